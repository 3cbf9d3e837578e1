// A tiny static file server for the browser runs: serves one folder on 127.0.0.1 with the MIME types browsers
// insist on (application/wasm for compileStreaming, text/javascript for module scripts), and remembers 404s.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".map": "application/json",
};

/**
 * Serves `root`; resolves to { url, missing, close() } where `missing` lists the paths that got a 404. With
 * `isolate`, every answer carries the headers that make a page cross-origin isolated (SharedArrayBuffer, threads).
 */
export function serve(root, { isolate = false } = {}) {
  const extra = isolate ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } : {};
  const base = resolve(root);
  const missing = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    const file = resolve(join(base, path));
    try {
      if (file !== base && !file.startsWith(base + sep)) throw new Error("outside the served folder");
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store", ...extra });
      res.end(body);
    } catch {
      missing.push(path);
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(`not found: ${path}`);
    }
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}`, missing, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
