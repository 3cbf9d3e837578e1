// Builds one self-contained bundle per runtime family next to dist/vaekit.wasm (written by scripts/build-wasm.mjs),
// plus the bundled type declarations. The bundles differ only in src/runtime/platform.ts, which says how the
// default kernel module is found:
//   dist/index.js    ESM for Node and Bun: reads ./vaekit.wasm with node:fs
//   dist/index.cjs   CommonJS (require): the same
//   dist/web.js      ESM for browsers and Deno: fetches new URL("./vaekit.wasm", import.meta.url); no node: import
//   dist/workerd.js  ESM for Cloudflare Workers: imports ./vaekit-ext.wasm as a module (workerd compiles no wasm
//                    bytes; vaekit-ext.wasm has every kernel, so one module serves every model family)
// Each bundle is complete (no shared chunk), so importing one entry never runs another's loader. The code for
// `threads > 1` (src/runtime/threads/) is split off into a chunk of its own per entry, imported only when asked
// for, so it costs the default entry nothing: dist/index-threads.js, dist/index-threads.cjs, dist/web-threads.js;
// it finds dist/vaekit-mt.wasm through src/runtime/threads/mt-url.ts, swapped per entry like platform.ts.
// workerd can't run threads, so its entry keeps that code inline (it only reports why).
import esbuild, { minify } from "rollup-plugin-esbuild";
import { dts } from "rollup-plugin-dts";
import terser from "@rollup/plugin-terser";
import { fileURLToPath } from "node:url";
import { relative, sep } from "node:path";
import { chmod } from "node:fs/promises";
import { existsSync } from "node:fs";

// Each ES entry names every .wasm it may load with a literal `new URL("./x.wasm", import.meta.url)` of its own, the
// pattern webpack 5, Vite and Parcel recognise and ship beside their bundle; wrapped in a function, so that the URL
// is made only when that file is needed (a bundle whose import.meta.url is empty must not fail at import).
const PLATFORMS = {
  node: `
export const bundledModule = undefined;
export const wasmUrl = () => new URL("./vaekit.wasm", import.meta.url);
export const extWasmUrl = () => new URL("./vaekit-ext.wasm", import.meta.url);
export const fastWasmUrl = () => new URL("./vaekit-fast.wasm", import.meta.url);
export const canReadFiles = true;
export async function readFileUrl(url) {
  const { readFile } = await import("node:fs/promises");
  return readFile(url);
}`,
  cjs: `
const beside = (file) => () => require("node:url").pathToFileURL(require("node:path").join(__dirname, file));
export const bundledModule = undefined;
export const wasmUrl = beside("vaekit.wasm");
export const extWasmUrl = beside("vaekit-ext.wasm");
export const fastWasmUrl = beside("vaekit-fast.wasm");
export const canReadFiles = true;
export function readFileUrl(url) {
  return require("node:fs").promises.readFile(url);
}`,
  web: `
export const bundledModule = undefined;
export const wasmUrl = () => new URL("./vaekit.wasm", import.meta.url);
export const extWasmUrl = () => new URL("./vaekit-ext.wasm", import.meta.url);
export const fastWasmUrl = () => new URL("./vaekit-fast.wasm", import.meta.url);
export const canReadFiles = false;
export function readFileUrl() {
  throw new Error("unreachable: this build fetches its wasm");
}`,
  workerd: `
import wasm from "./vaekit-ext.wasm";
export const bundledModule = wasm;
export const wasmUrl = undefined;
export const extWasmUrl = undefined;
export const fastWasmUrl = undefined;
export const canReadFiles = false;
export function readFileUrl() {
  throw new Error("unreachable: this build imports its wasm as a module");
}`,
};

const MT_URLS = {
  node: `export const mtWasmUrl = () => new URL("./vaekit-mt.wasm", import.meta.url);
export const mtFastWasmUrl = () => new URL("./vaekit-fast-mt.wasm", import.meta.url);`,
  cjs: `const beside = (file) => () => require("node:url").pathToFileURL(require("node:path").join(__dirname, file));
export const mtWasmUrl = beside("vaekit-mt.wasm");
export const mtFastWasmUrl = beside("vaekit-fast-mt.wasm");`,
  web: `export const mtWasmUrl = () => new URL("./vaekit-mt.wasm", import.meta.url);
export const mtFastWasmUrl = () => new URL("./vaekit-fast-mt.wasm", import.meta.url);`,
  workerd: `export const mtWasmUrl = undefined;
export const mtFastWasmUrl = undefined;`,
};

// The browser and workerd entries start threads only as Web Workers: src/runtime/threads/spawn-node.ts (which
// imports node:worker_threads) becomes this stub there, so bundlers targeting the web never see a node: import.
const NO_NODE_WORKERS = `export function nodeFactory() {
  throw new Error("this build of vaekit starts threads as Web Workers only");
}`;

/** Swaps src/runtime/platform.ts and src/runtime/threads/mt-url.ts for the given platform's loaders. */
function platform(name) {
  return {
    name: `vaekit-platform-${name}`,
    resolveId(source, importer) {
      // The precision path (src/runtime/fast.ts) stays out of the entries: dist/vaekit-fast.js, imported lazily.
      if (source === "./fast.js" && importer?.replace(/\\/g, "/").endsWith("src/runtime/engine.ts")) {
        return { id: "./vaekit-fast.js", external: true };
      }
      return source === "./vaekit-ext.wasm" ? { id: "./vaekit-ext.wasm", external: true } : null;
    },
    transform(code, id) {
      const path = id.replace(/\\/g, "/");
      if (path.endsWith("src/runtime/platform.ts")) return { code: PLATFORMS[name], map: null };
      if (path.endsWith("src/runtime/threads/mt-url.ts")) return { code: MT_URLS[name], map: null };
      if (path.endsWith("src/runtime/threads/spawn-node.ts") && (name === "web" || name === "workerd")) {
        return { code: NO_NODE_WORKERS, map: null };
      }
      return null;
    },
    generateBundle(_, bundle) {
      if (name !== "web" && name !== "workerd") return;
      for (const chunk of Object.values(bundle)) {
        const node = [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])].find((i) => i.startsWith("node:"));
        if (node) this.error(`${chunk.fileName} imports ${node}: the ${name} build must not reach a Node built-in`);
      }
    },
  };
}

// The training loop (src/train/fit.ts) is imported dynamically on a model's first fit, the thread pool
// (src/runtime/threads/) on the first model with threads > 1: each bundle but workerd's gets them as chunks of its
// own (index-fit.js, index-threads.js, index-*.cjs, web-*.js) that import the rest from their entry, so users who
// don't train or don't ask for threads never load them. workerd's bundle stays one file (a Worker's modules are
// listed one by one).
//
// Model families beyond the MLP (FAMILIES: src/<family>.ts → vaekit/<family>) are entries of the same builds: the
// core (everything src/index.ts reaches statically) stays in the entry chunk — index.js, index.cjs, web.js — and a
// family's entry (dist/<family>.js, <family>.cjs, web-<family>.js) imports the core from it, so both share one copy
// of the classes and the loaded wasm, and the default entry carries none of a family's code. For workerd, the one
// file workerd.js holds everything and dist/workerd-<family>.js re-exports a family from it.
const FAMILIES = ["gan", "grouped", "sequence", "tabular", "tabular-arrow", "metrics"].filter((f) => existsSync(new URL(`./src/${f}.ts`, import.meta.url)));
const FAMILY_FILES = new Set(FAMILIES.map((f) => fileURLToPath(new URL(`./src/${f}.ts`, import.meta.url))));
const FAMILY_PEERS = ["apache-arrow", "hyparquet", "hyparquet-compressors", "ml-matrix"];
const CORE = new Map();
/** The modules src/index.ts reaches by static imports (the default entry's own code), once per build. */
function coreModules(file, getModuleIds, getModuleInfo) {
  let core = CORE.get(file);
  if (!core) {
    core = new Set();
    const stack = [[...getModuleIds()].find((m) => m.replace(/\\/g, "/").endsWith("/src/index.ts"))];
    while (stack.length) {
      const m = stack.pop();
      if (core.has(m)) continue;
      core.add(m);
      stack.push(...(getModuleInfo(m)?.importedIds ?? []));
    }
    CORE.set(file, core);
  }
  return core;
}
const js = (name, file, format) => ({
  input: { [file.replace(/\.c?js$/, "")]: "src/index.ts", ...Object.fromEntries(FAMILIES.map((f) => [f, `src/${f}.ts`])) },
  // The lazy chunks import the engine's classes from the entry: let the entry export them (under short names)
  // instead of splitting everything into a shared chunk behind a facade.
  preserveEntrySignatures: "allow-extension",
  output: {
    dir: "dist", format, sourcemap: false,
    entryFileNames: (c) => (!FAMILIES.includes(c.name) ? file
      : name === "node" || name === "cjs" ? `${c.name}.${format === "cjs" ? "cjs" : "js"}` : `${name}-${c.name}.js`),
    // index-fit.js and index-threads.js (index-*.cjs, web-*.js): named by what they hold
    // (and index-idx.js: the IDX reader; index-load.js: the model-file reader; index-config.js: the VAE configs' checks;
    // index-ext.js: the loader of vaekit-ext.wasm, for models that need the EXT kernels; index-state.js: the optimizer
    // state of resumable files, shared by the training loop and the loading of such files)
    chunkFileNames: (c) => `${file.replace(/\.c?js$/, "")}-${c.moduleIds.some((id) => id.replace(/\\/g, "/").includes("/runtime/threads/")) ? "threads"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/io/idx-read.ts")) ? "idx"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/models/read-model-file.ts")) ? "load"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/models/config.ts")) ? "config"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/train/state.ts")) ? "state"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/runtime/ext.ts")) ? "ext"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/runtime/kernels.generated.ts")) ? "kernels"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/models/vrnn.ts")) ? "sequence" // loadModel of a VRNN file
      // layer lists (issue 13): their checks (shared by the config chunk) and their modules, loaded only for them
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/models/layers-config.ts")) ? "layers-config"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/models/layer-nets.ts")) ? "layers"
      : c.moduleIds.some((id) => id.replace(/\\/g, "/").endsWith("/train/fit.ts")) ? "fit" : c.name}.${format === "cjs" ? "cjs" : "js"}`,
    // the core's modules form the entry's own chunk (the manual chunk holds the entry module, so it is the entry);
    // workerd's holds every module but the families' entry modules, which stay facades re-exporting from it (were
    // they in the chunk too, rollup could name the chunk after a family and make workerd.js the facade)
    manualChunks: (id, { getModuleIds, getModuleInfo }) =>
      ((name === "workerd" ? !FAMILY_FILES.has(id) : coreModules(file, getModuleIds, getModuleInfo).has(id)) ? "core" : undefined),
    ...(format === "cjs" ? { exports: "named" } : {}),
  },
  // a family's optional peers (vaekit/tabular-arrow's table readers) are the application's, imported on first use
  external: [/^node:/, ...FAMILY_PEERS],
  // No keepNames: nothing reads a class's or function's own name (errors spell theirs out), and keeping them
  // costs about 2 KB gzipped.
  plugins: [
    platform(name),
    esbuild({ target: "es2022" }),
    // terser rather than esbuild's minifier here: about 0.7 KB smaller gzipped, which the size budget needs.
    terser({ ecma: 2020, module: true, compress: { passes: 3 }, format: { comments: false } }),
  ],
});

// Sub-path entries (vaekit/onnx, vaekit/tfjs): ESM and CommonJS builds with their declarations. They take vaekit's
// public API from "vaekit" itself (src/index.ts becomes that external import), so they share the application's
// copy of the core (its classes for instanceof, its loaded wasm) and work wherever the core's conditional exports
// do; they import nothing from node:. The build fails if a sub-path would bundle any core module.
const SRC = fileURLToPath(new URL("./src/", import.meta.url));
const INDEX = fileURLToPath(new URL("./src/index.ts", import.meta.url));
// Core modules a sub-path may import directly: errors.ts becomes the import from "vaekit" (its classes are public,
// so instanceof works across entries); the others are stateless helpers that may be copied into a sub-path.
const ERRORS = fileURLToPath(new URL("./src/errors.ts", import.meta.url));
const COPYABLE = [
  "models/config.ts", "models/config-checks.ts", "runtime/kernels.ts", "io/safetensors-layout.ts",
  "errors-format.ts", "io/json-depth.ts", // message formatting and bounded JSON parsing: stateless
  "nn/dense.ts", // for its Activation type (declarations); no code of it is used
  "io/safetensors.ts", // exportTorch's state_dict writer: stateless
  "models/layers-config.ts", // config.ts's layer-list checks (issue 13): stateless
  "io/idx-header.ts", // the IDX header parser readIdx and vaekit/stream share (issue 19): stateless
  // vaekit/onnx: the module kinds' ONNX export hooks (stateless functions; their module classes are tree-shaken away)
  "nn/mlp.ts", "nn/stack.ts", "nn/conv2d.ts", "nn/batch-norm.ts",
];
const PEERS = ["@tensorflow/tfjs-core", "fast-png", "ml-matrix"]; // ml-matrix: vaekit/metrics

function coreFromPackage(entry) {
  return {
    name: "vaekit-core-from-package",
    async resolveId(source, importer, options) {
      if (!importer || PEERS.includes(source)) return PEERS.includes(source) ? { id: source, external: true } : null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      const id = r && !r.external ? r.id.replace(/\.d\.ts$/, ".ts") : "";
      return id === INDEX || id === ERRORS ? { id: "vaekit", external: true } : null;
    },
    generateBundle(_, bundle) {
      for (const chunk of Object.values(bundle)) {
        for (const id of Object.keys(chunk.modules ?? {})) {
          const rel = relative(SRC, id).split(sep).join("/");
          if (rel !== entry && !rel.startsWith("interop/") && !rel.startsWith(`${entry.slice(0, -3)}/`) && !COPYABLE.includes(rel)) {
            this.error(`src/${entry} would bundle the core module src/${rel}; import it from "../index.js" (vaekit's public API)`);
          }
        }
      }
    },
  };
}

const subpath = (name) => [
  {
    input: `src/${name}.ts`,
    output: [
      { file: `dist/${name}.js`, format: "es", sourcemap: false },
      { file: `dist/${name}.cjs`, format: "cjs", sourcemap: false, exports: "named" },
    ],
    plugins: [coreFromPackage(`${name}.ts`), esbuild({ target: "es2022" }), minify({ target: "es2022", legalComments: "none" })],
  },
  {
    input: `src/${name}.ts`,
    output: [
      { file: `dist/${name}.d.ts`, format: "es" },
      { file: `dist/${name}.d.cts`, format: "es" },
    ],
    plugins: [coreFromPackage(`${name}.ts`), dts({ tsconfig: "tsconfig.build.json" })],
  },
];

// A family's declarations (dist/<family>.d.ts, .d.cts): vaekit's public types come from "vaekit" (src/index.ts and
// errors.ts become that import, so they are the application's types); the family's own classes are declared here.
const familyTypes = (family) => ({
  input: `src/${family}.ts`,
  output: [
    { file: `dist/${family}.d.ts`, format: "es" },
    { file: `dist/${family}.d.cts`, format: "es" },
  ],
  plugins: [{
    name: "vaekit-family-types",
    async resolveId(source, importer, options) {
      if (!importer) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      const id = r && !r.external ? r.id.replace(/\.d\.ts$/, ".ts") : "";
      return id === INDEX || id === ERRORS ? { id: "vaekit", external: true } : null;
    },
  }, dts({ tsconfig: "tsconfig.build.json" })],
});

// The command line (dist/cli.js, the package's "bin"): ESM for Node with a shebang. It takes vaekit's API from
// "vaekit" and the pictures from "vaekit/pictures" (self-references through package.json "exports", so it runs
// the installed package's own builds); the build fails if it would bundle anything but src/cli/.
const PICTURES = fileURLToPath(new URL("./src/pictures.ts", import.meta.url));
const STREAM = fileURLToPath(new URL("./src/stream.ts", import.meta.url)); // vaekit/stream: the CLI's file readers

function cliFromPackage() {
  return {
    name: "vaekit-cli-from-package",
    async resolveId(source, importer, options) {
      if (!importer) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      const id = r && !r.external ? r.id.replace(/\.d\.ts$/, ".ts") : "";
      if (id === INDEX || id === ERRORS) return { id: "vaekit", external: true };
      if (id === PICTURES) return { id: "vaekit/pictures", external: true };
      const family = FAMILIES.find((f) => id === fileURLToPath(new URL(`./src/${f}.ts`, import.meta.url)));
      if (family) return { id: `vaekit/${family}`, external: true };
      if (id === STREAM) return { id: "vaekit/stream", external: true };
      return null;
    },
    generateBundle(_, bundle) {
      for (const chunk of Object.values(bundle)) {
        for (const id of Object.keys(chunk.modules ?? {})) {
          const rel = relative(SRC, id).split(sep).join("/");
          if (!rel.startsWith("cli/")) this.error(`src/cli would bundle src/${rel}; import it from "../index.js" or "../pictures.js"`);
        }
      }
    },
    async writeBundle(options) {
      await chmod(options.file, 0o755);
    },
  };
}

const cli = {
  input: "src/cli/bin.ts",
  output: { file: "dist/cli.js", format: "es", sourcemap: false, banner: "#!/usr/bin/env node" },
  external: [/^node:/],
  plugins: [cliFromPackage(), esbuild({ target: "es2022" })],
};

// The precision choice (src/runtime/fast.ts), which every entry imports lazily as ./vaekit-fast.js only when a
// precision is asked for; it imports nothing of the core (the core lends it its loader), so one file serves all.
const fastChunk = {
  input: "src/runtime/fast.ts",
  output: { file: "dist/vaekit-fast.js", format: "es", sourcemap: false },
  plugins: [
    esbuild({ target: "es2022" }),
    terser({ ecma: 2020, module: true, compress: { passes: 3 }, format: { comments: false } }),
    {
      name: "vaekit-fast-alone",
      generateBundle(_, bundle) {
        for (const chunk of Object.values(bundle)) {
          for (const id of Object.keys(chunk.modules ?? {})) {
            if (!id.replace(/\\/g, "/").endsWith("src/runtime/fast.ts")) this.error(`dist/vaekit-fast.js would bundle ${id}`);
          }
        }
      },
    },
  ],
};

export default [
  fastChunk,
  js("node", "index.js", "es"),
  js("cjs", "index.cjs", "cjs"),
  js("web", "web.js", "es"),
  js("workerd", "workerd.js", "es"),
  {
    input: "src/index.ts",
    output: [
      { file: "dist/index.d.ts", format: "es" },
      { file: "dist/index.d.cts", format: "es" },
    ],
    plugins: [dts({ tsconfig: "tsconfig.build.json" })],
  },
  ...subpath("onnx"),
  ...subpath("tfjs"),
  ...subpath("torch"),
  ...subpath("pictures"),
  ...FAMILIES.map(familyTypes),
  ...subpath("stream"),
  cli,
];
