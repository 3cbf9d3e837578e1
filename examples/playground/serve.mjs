// Builds the playground's data and serves the page on 127.0.0.1: `node serve.mjs [--port 8080] [--train 10000]`.
// MNIST is cut down in memory (mnist.mjs) and answered under /data/; every other path is a file of this folder,
// vaekit included (node_modules/vaekit/dist/web.js and the vaekit.wasm beside it), with the MIME types browsers
// require: text/javascript for module scripts and workers, application/wasm for streaming compilation.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { prepareMnist } from "./mnist.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".safetensors": "application/octet-stream",
};

/**
 * Prepares the data and starts serving. Resolves to { url, close() } once listening; port 0 picks a free port.
 * Logs each request that ends in a 404 or 500 to `log` (console.error by default).
 */
export async function startServer({ port = 8080, host = "127.0.0.1", train = 10000, test = 1000, log = console.error } = {}) {
  const data = await prepareMnist({ train, test });
  const root = resolve(here);

  const server = createServer(async (req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      return send(400, "text/plain", "bad path");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "only GET");
    if (path.startsWith("/data/")) {
      const bytes = data[path.slice("/data/".length)];
      if (bytes) return send(200, "application/octet-stream", bytes);
    } else {
      const file = resolve(join(root, path === "/" ? "index.html" : path));
      if (file.startsWith(root + sep)) {
        try {
          if ((await stat(file)).isFile()) {
            return send(200, MIME[extname(file)] ?? "application/octet-stream", await readFile(file));
          }
        } catch (e) {
          if (e.code !== "ENOENT" && e.code !== "ENOTDIR") {
            log(`500 ${path}: ${e.message}`);
            return send(500, "text/plain", "could not read the file");
          }
        }
      }
    }
    log(`404 ${path}`);
    send(404, "text/plain", `not found: ${path}`);
  });

  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "8080" }, train: { type: "string", default: "10000" } },
  });
  const port = Number(values.port);
  const train = Number(values.train);
  try {
    const { url } = await startServer({ port, train });
    console.log(`vaekit playground (${train} MNIST training images): ${url}`);
    console.log("Ctrl+C stops the server.");
  } catch (e) {
    console.error(e.code === "EADDRINUSE" ? `port ${port} is in use: try --port 0 for a free one` : e.message);
    process.exit(1);
  }
}
