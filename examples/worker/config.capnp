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
    # what `import ... from "vaekit"` resolves to (vaekit's workerd build), and the kernels it imports as
    # "./vaekit-ext.wasm" (every kernel): a compiled wasm module, because workerd does not compile WebAssembly from bytes at run time
    (name = "vaekit", esModule = embed "node_modules/vaekit/dist/workerd.js"),
    (name = "vaekit-ext.wasm", wasm = embed "node_modules/vaekit/dist/vaekit-ext.wasm"),
    # the trained model, as an ArrayBuffer
    (name = "model.safetensors", data = embed "model.safetensors"),
    # a convolutional VAE on the same images (served under /conv)
    (name = "conv.safetensors", data = embed "conv.safetensors"),
  ],
  compatibilityDate = "2025-01-01",
);
