// Every file vaekit loads by itself (vaekit.wasm, vaekit-mt.wasm, vaekit-fast-mt.wasm; vaekit-fast.wasm in
// test/fast/wasm-files.test.ts) fails with a VaekitError that names the file it wanted and says what to do, and the
// URLs are made only when a file is needed: here the entry's URL of vaekit.wasm throws the way
// `new URL("./vaekit.wasm", import.meta.url)` does in a bundle without import.meta.url (an ES module bundled as
// CommonJS), and importing vaekit still works, as does handing the kernels over with init({ wasm }).
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const nowhere = "file:///nowhere/vaekit-files/";
vi.mock("../../src/runtime/platform.js", async (importOriginal) => ({
  ...(await importOriginal<object>()),
  wasmUrl: () => new URL("./vaekit.wasm", undefined as unknown as string),
}));
vi.mock("../../src/runtime/threads/mt-url.js", () => ({
  mtWasmUrl: () => new URL("vaekit-mt.wasm", nowhere),
  mtFastWasmUrl: () => new URL("vaekit-fast-mt.wasm", nowhere),
}));

const { VAE, VaekitError, init } = await import("../../src/index.js");
const { compileFile } = await import("../../src/runtime/module.js");

const config = { inputSize: 6, latentSize: 2, hiddenSizes: [5], seed: 7 };
const wasmBytes = () => new Uint8Array(readFileSync(new URL("../../dist/vaekit.wasm", import.meta.url)));

async function failure(p: Promise<unknown>): Promise<InstanceType<typeof VaekitError>> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(VaekitError);
  expect((e as InstanceType<typeof VaekitError>).code).toBe("WASM_LOAD");
  return e as InstanceType<typeof VaekitError>;
}

let server: Server, base: string, dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vaekit-files-"));
  server = createServer((req, res) => {
    if (req.url === "/app/vaekit.wasm") {
      // what a single-page app's server answers for a file it doesn't have
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>app</title>");
    } else {
      res.writeHead(404);
      res.end("not found");
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((ok) => server.close(ok));
});

describe("the files vaekit ships beside its entry", () => {
  it("an entry whose URL of vaekit.wasm can't be made imports fine, and the first model says why, naming the file", async () => {
    const e = await failure(VAE.create(config));
    expect(e.message).toMatch(/^could not locate vaekit\.wasm \(.*\): this bundle has no import\.meta\.url/);
    expect(e.message).toMatch(/--format=esm\), or pass it yourself with init\(\{ wasm \}\)$/);
    // init({ wasm }) still works in such a bundle, and the models then use it
    await init({ wasm: wasmBytes() });
    const vae = await VAE.create(config);
    expect(vae.sample(1, { seed: 1 })).toHaveLength(6);
    vae.dispose();
  });

  it("a missing file: names it, where it looked, and the one line a bundler that doesn't copy it needs", async () => {
    const e = await failure(compileFile(() => new URL("vaekit-fast.wasm", nowhere), "vaekit-fast.wasm"));
    expect(e.message).toMatch(/^could not read vaekit-fast\.wasm at file:\/\/\/nowhere\/vaekit-files\/vaekit-fast\.wasm \(.*ENOENT/);
    expect(e.message).toContain("esbuild and Rollup don't copy .wasm files: add `cp node_modules/vaekit/dist/*.wasm <your output folder>`");
  });

  it("a file that is not wasm (an HTML page in its place) is named, not a bare CompileError", async () => {
    const file = join(dir, "vaekit.wasm");
    writeFileSync(file, "<!doctype html>");
    const e = await failure(compileFile(() => pathToFileURL(file), "vaekit-mt.wasm"));
    expect(e.message).toMatch(/^file:.*vaekit\.wasm is not vaekit-mt\.wasm \(/);
    const served = await failure(compileFile(() => new URL("app/vaekit.wasm", base), "vaekit.wasm"));
    expect(served.message).toMatch(/^http:.*\/app\/vaekit\.wasm is not vaekit\.wasm \(.*\); serve the file beside vaekit's JavaScript/);
  });

  it("HTTP errors and unreachable servers name the file", async () => {
    const e = await failure(compileFile(() => new URL("dist/vaekit-fast-mt.wasm", base), "vaekit-fast-mt.wasm"));
    expect(e.message).toMatch(/^could not load vaekit-fast-mt\.wasm: HTTP 404 for http:.*\/dist\/vaekit-fast-mt\.wasm; serve it beside/);
    const down = await failure(compileFile(() => new URL("http://127.0.0.1:1/vaekit.wasm"), "vaekit.wasm"));
    expect(down.message).toMatch(/^could not fetch vaekit\.wasm from http:\/\/127\.0\.0\.1:1\/vaekit\.wasm \(/);
  });

  it("threads whose vaekit-mt.wasm is missing: one thread, and the reason names the file and the fix", async () => {
    await init({ wasm: wasmBytes() });
    const vae = await VAE.create(config, { threads: 2 });
    try {
      expect(vae.engineInfo.threads).toBe(1);
      expect(vae.engineInfo.fallbacks).toEqual([expect.stringMatching(
        /^threads: 2 was requested but vaekit-mt\.wasm, the kernels for threads, could not be loaded \(could not read vaekit-mt\.wasm at file:\/\/\/nowhere\/vaekit-files\/vaekit-mt\.wasm .*cp node_modules\/vaekit\/dist\/\*\.wasm/)]);
    } finally {
      vae.dispose();
    }
  });
});
