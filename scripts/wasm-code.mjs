// Prints the machine code V8's optimizing compiler (TurboFan) makes of one exported function of a wasm module — what
// a kernel really runs as: its loads, multiply-adds, pointer steps and spills to the stack.
//
//   node scripts/wasm-code.mjs build/vaekit-testing.wasm conv2d_forward [--count]
//
// `--count` prints a summary instead of the listing: instructions, vector multiplies and adds, broadcasts, and loads
// and stores addressed off the frame pointer (register spills and their reloads). Inlined helpers are part of the
// export that calls them, so the listing of conv2d_forward holds thin_direct's loops. A kernel that stays a function
// of its own (convt_one, thin_dw) has no export; a build with names prints it by name:
//   npx asc assembly/testing.ts --config asconfig.json --target release --debug -o /tmp/named.wasm
//   node scripts/wasm-code.mjs /tmp/named.wasm convt_one --count
// How: the function's index is read from the module's export section (imports first, as V8 numbers them), then a
// child node compiles the whole module eagerly with TurboFan (no Liftoff, no lazy compilation) under
// --print-wasm-code-function-index, which prints that one function. Needs a Node whose V8 has its disassembler (the
// release builds of Node 20 on x64 do; where it has none, nothing is printed and the script says so).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** Reads wasm bytes `b` from byte `p` on (8: after the header): bytes, unsigned LEB128 numbers, names. */
class Cursor {
  constructor(b, p = 8) { this.b = b; this.p = p; }
  byte() { return this.b[this.p++]; }
  u() {
    let r = 0, s = 0, x;
    do { x = this.b[this.p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
    return r;
  }
  str() { const l = this.u(); const t = Buffer.from(this.b.subarray(this.p, this.p + l)).toString(); this.p += l; return t; }
}

/** The function index of export `name` in wasm bytes `b`, or -1. The export section holds the index as V8 numbers
 *  functions (imported functions first); the sections before it are skipped whole. */
export function exportIndex(b, name) {
  const c = new Cursor(b);
  while (c.p < b.length) {
    const id = c.byte(), len = c.u(), end = c.p + len;
    if (id === 7) {
      for (let i = 0, n = c.u(); i < n; i++) {
        const e = c.str(), kind = c.byte(), index = c.u();
        if (kind === 0 && e === name) return index;
      }
      return -1;
    }
    c.p = end;
  }
  return -1;
}

/** The function index of a function named `name` in the module's "name" section (a build with `--debug` keeps it;
 *  AssemblyScript names functions by path, "assembly/conv/convt_one", so a name matches the whole path or its last
 *  part), or -1. The name section numbers functions as V8 does. */
export function nameIndex(b, name) {
  const c = new Cursor(b);
  while (c.p < b.length) {
    const id = c.byte(), len = c.u(), end = c.p + len;
    if (id === 0 && c.str() === "name") {
      while (c.p < end) {
        const sub = c.byte(), subLen = c.u(), subEnd = c.p + subLen;
        if (sub === 1) {
          for (let i = 0, n = c.u(); i < n; i++) {
            const index = c.u(), fn = c.str();
            if (fn === name || fn.endsWith(`/${name}`)) return index;
          }
        }
        c.p = subEnd;
      }
    }
    c.p = end;
  }
  return -1;
}

/** The TurboFan listing of export `name` of the module at `file` — or, if it exports none by that name, of the
 *  function the module's name section calls so (a string; empty when V8 has no disassembler). */
export function wasmCode(file, name) {
  const bytes = readFileSync(file);
  let index = exportIndex(bytes, name);
  if (index < 0) index = nameIndex(bytes, name);
  if (index < 0) throw new Error(`wasm-code: ${file} exports no function named ${name} (and names none so)`);
  const child = spawnSync(process.execPath, [
    "--no-liftoff", "--no-wasm-lazy-compilation", `--print-wasm-code-function-index=${index}`,
    "-e", `new WebAssembly.Instance(new WebAssembly.Module(require("fs").readFileSync(${JSON.stringify(file)})), {})`,
  ], { encoding: "utf8", maxBuffer: 256 << 20 });
  if (child.status !== 0) throw new Error(`wasm-code: node failed: ${child.stderr}`);
  return child.stdout;
}

/** Counts in a listing: instructions, vector mul/add, broadcasts, frame-pointer (spill) loads and stores. */
export function countCode(listing) {
  const lines = listing.split("\n").filter((l) => /^0x[0-9a-f]+\s/.test(l));
  const has = (re) => lines.filter((l) => re.test(l)).length;
  return {
    instructions: lines.length,
    vectorMultiplies: has(/\s[v]?mulps\s/),
    vectorAdds: has(/\s[v]?addps\s/),
    broadcasts: has(/\s[v]?broadcastss\s/),
    frameVectorMoves: has(/\s[v]?mov(ups|dqu|aps)\s.*\[rbp[-+]/),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, name, flag] = process.argv.slice(2);
  if (!file || !name) {
    console.error("usage: node scripts/wasm-code.mjs <module.wasm> <export> [--count]");
    process.exit(2);
  }
  let listing;
  try {
    listing = wasmCode(file, name);
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  if (!listing.trim()) {
    console.error("wasm-code: this node printed no code (its V8 was built without a disassembler)");
    process.exit(1);
  }
  console.log(flag === "--count" ? JSON.stringify(countCode(listing), null, 2) : listing);
}
