# workerd configuration: `npx workerd serve config.capnp` serves the worker on 127.0.0.1:8787
# (override with --socket-addr http=127.0.0.1:<port>). Paths are relative to this file; run `npm install` first.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .vaeWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const vaeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    # vaekit's workerd build, once: dist/workerd.js holds all of it and imports its kernels as "./vaekit-ext.wasm"
    # (a compiled wasm module: workerd does not compile WebAssembly from bytes at run time). Its families' facades
    # (dist/workerd-<family>.js) import "./workerd.js", which from "vaekit/tabular" is "vaekit/workerd.js"; so the
    # build is listed under that name, and "vaekit" is vaekit-entry.js re-exporting it — one instance of the core
    # (one wasm instance, one set of classes: instanceof works across "vaekit" and "vaekit/tabular").
    (name = "vaekit", esModule = embed "vaekit-entry.js"),
    (name = "vaekit/workerd.js", esModule = embed "node_modules/vaekit/dist/workerd.js"),
    (name = "vaekit/vaekit-ext.wasm", wasm = embed "node_modules/vaekit/dist/vaekit-ext.wasm"),
    (name = "vaekit/tabular", esModule = embed "node_modules/vaekit/dist/workerd-tabular.js"),
    # the trained model, as an ArrayBuffer
    (name = "model.safetensors", data = embed "model.safetensors"),
    # a convolutional VAE on the same images (served under /conv)
    (name = "conv.safetensors", data = embed "conv.safetensors"),
    # the tabular endpoints: their routes and the trained TabularVAE
    (name = "tabular.js", esModule = embed "tabular.js"),
    (name = "tabular.safetensors", data = embed "tabular.safetensors"),
  ],
  compatibilityDate = "2025-01-01",
);
