// The loader fuzzer shared by the seeded corpus in `npm test` (test/harden/fuzz.test.ts) and the long run in
// bench/fuzz.mjs: seed files of every kind vaekit reads, a seeded mutator, and one run of a mutant classified as
// "loaded", "typed" (a VaekitError, or the CLI's own error for its readers) or "other" (anything else: a bug).
// Plain JavaScript: the library's functions come in as `lib`, so it runs on the sources (tests) and on tsx (bench).

/** A small seeded PRNG (mulberry32): the same seed gives the same mutants everywhere. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

function f32(n, r) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** An F16 / BF16 bit pattern of a number (round toward zero is enough for seed files). */
function half(v, bf) {
  const b = new Uint32Array(new Float32Array([v]).buffer)[0];
  if (bf) return b >>> 16;
  const s = (b >>> 16) & 0x8000, e = ((b >>> 23) & 0xff) - 127 + 15, m = (b >>> 13) & 0x3ff;
  return e <= 0 ? s : e >= 31 ? s | 0x7c00 : s | (e << 10) | m;
}

/** Safetensors bytes from [name, dtype, shape, raw bytes] entries (any dtype). */
export function rawSafetensors(entries, metadata = { format: "pt" }) {
  let off = 0;
  const parts = [`"__metadata__":${JSON.stringify(metadata)}`];
  for (const [name, dtype, shape, bytes] of entries) {
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${off},${off + bytes.length}]}`);
    off += bytes.length;
  }
  const json = enc.encode(`{${parts.join(",")}}`);
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, , , bytes] of entries) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function torchFile(dtype, r) {
  const shapes = [["fc1.weight", [5, 6]], ["fc1.bias", [5]], ["fc21.weight", [2, 5]], ["fc21.bias", [2]], ["fc22.weight", [2, 5]],
    ["fc22.bias", [2]], ["fc3.weight", [5, 2]], ["fc3.bias", [5]], ["fc4.weight", [6, 5]], ["fc4.bias", [6]]];
  return rawSafetensors(shapes.map(([name, shape]) => {
    const v = f32(shape.reduce((a, b) => a * b, 1), r);
    let bytes;
    if (dtype === "F32") bytes = new Uint8Array(v.buffer);
    else if (dtype === "F64") bytes = new Uint8Array(Float64Array.from(v).buffer);
    else bytes = new Uint8Array(Uint16Array.from(v, (x) => half(x, dtype === "BF16")).buffer);
    return [name, dtype, shape, bytes];
  }));
}

function idxFile(type, shape, r) {
  const size = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 }[type];
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * shape.length + count * size);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 4 + 4 * shape.length; i < out.length; i++) out[i] = Math.floor(r() * 256);
  return out;
}

function npyFile(descr, shape, bytes) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const out = new Uint8Array(10 + header.length + bytes.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(enc.encode(header), 10);
  out.set(bytes, 10 + header.length);
  return out;
}

/**
 * The seed files: [kind, name, bytes] for every file kind vaekit reads — model files of every class, PyTorch
 * state_dicts in F32/F64/F16/BF16, IDX raw and gzipped, .npy of every dtype the CLI reads, and CSV.
 */
export async function seeds(lib) {
  const r = rng(1);
  const out = [];
  const small = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 1 };
  const models = [
    await lib.VAE.create(small), await lib.VAE.create({ ...small, likelihood: "gaussian", likelihoodScale: "learned" }),
    await lib.ConditionalVAE.create({ ...small, classes: 3 }), await lib.HierarchicalVAE.create({ inputSize: 6, latentSizes: [3, 2], seed: 1 }),
    await lib.Autoencoder.create(small),
  ];
  await models[0].fit(f32(24, r).map(Math.abs), { epochs: 1, batchSize: 4 });
  for (const m of models) {
    out.push(["model", `${m.kind}.safetensors`, m.save()]);
    m.dispose();
  }
  for (const d of ["F32", "F64", "F16", "BF16"]) out.push(["torch", `state_dict-${d}.safetensors`, torchFile(d, r)]);
  const idx = [idxFile(8, [4, 3, 3], r), idxFile(8, [7], r), idxFile(11, [2, 3], r), idxFile(12, [3], r), idxFile(13, [2, 2], r), idxFile(14, [2], r)];
  for (const b of idx) out.push(["idx", "raw.idx", b]);
  for (const b of idx.slice(0, 3)) out.push(["idx", "gz.idx.gz", await lib.gzip(b)]);
  out.push(["npy", "f4.npy", npyFile("<f4", [2, 3], new Uint8Array(f32(6, r).buffer))]);
  out.push(["npy", "f8.npy", npyFile("<f8", [3], new Uint8Array(Float64Array.from(f32(3, r)).buffer))]);
  out.push(["npy", "u1.npy", npyFile("|u1", [2, 2, 2], Uint8Array.from({ length: 8 }, (_, i) => i * 30))]);
  out.push(["npy", "i4.npy", npyFile("<i4", [4], new Uint8Array(Int32Array.from([0, 1, 2, 9]).buffer))]);
  out.push(["npy", "i8.npy", npyFile("<i8", [3], new Uint8Array(BigInt64Array.from([0n, 5n, 7n]).buffer))]);
  out.push(["csv", "header.csv", enc.encode("a,b,c\n0.5,1,0\n0,0.25,1e-3\n")]);
  out.push(["csv", "plain.csv", enc.encode("1,2\r\n3,4\r\n\r\n5,6\n")]);
  return out;
}

const NAMES = ["__proto__", "toString", "constructor", "hasOwnProperty", "valueOf", ""];
const NUMBERS = ["0", "-1", "1e308", "4294967295", "4294967296", "9007199254740993", "65536", "1.5", "NaN", "2147483648"];
const BOUNDARY = [0, 0xff, 0x7f, 0x80];

/** One mutation of `b` (a new array): byte-level, or on the text of a JSON/npy header. */
function mutateOnce(b, r) {
  const pick = (a) => a[Math.floor(r() * a.length)];
  const at = () => Math.floor(r() * Math.max(1, b.length));
  const op = Math.floor(r() * 10);
  if (op === 0) { // flip bits
    const c = b.slice();
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) c[at()] ^= 1 << Math.floor(r() * 8);
    return c;
  }
  if (op === 1) { // boundary bytes, or a little-endian/big-endian 32-bit boundary word
    const c = b.slice();
    const i = at();
    if (r() < 0.5) c[i] = pick(BOUNDARY);
    else for (let k = 0; k < 4 && i + k < c.length; k++) c[i + k] = pick([0, 0xff, 0x7f, 0x80]);
    return c;
  }
  if (op === 2) return b.slice(0, at()); // truncate
  if (op === 3) { // append junk
    const c = new Uint8Array(b.length + 1 + Math.floor(r() * 64));
    c.set(b);
    for (let i = b.length; i < c.length; i++) c[i] = Math.floor(r() * 256);
    return c;
  }
  if (op === 4) { // duplicate or delete a chunk
    const i = at(), n = Math.floor(r() * 32);
    if (r() < 0.5) return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)]);
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i, i + n), ...b.subarray(i)]);
  }
  // text mutations of the printable region (JSON header, npy header, CSV)
  let s = dec.decode(b);
  const keepLength = op < 8 && b.length > 8 && b[8] === 0x7b;
  if (op === 5) s = s.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, (m) => (r() < 0.15 ? pick(NUMBERS) : m));
  else if (op === 6) s = s.replace(/"([^"\\]{1,40})"/g, (m) => (r() < 0.1 ? `"${pick(NAMES)}"` : m));
  else if (op === 7) {
    const i = s.indexOf("[", Math.floor(r() * s.length));
    if (i >= 0) {
      const d = pick([70, 1000, 10000]);
      s = `${s.slice(0, i)}${"[".repeat(d)}${"]".repeat(d)}${s.slice(i + 2)}`;
    }
  } else if (op === 8) s = s.replace(/,/g, (m) => (r() < 0.05 ? "" : m));
  else s = s.replace(/[a-z_]+/g, (m) => (r() < 0.05 ? pick(NAMES) || m : m));
  const out = Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);
  // a safetensors header edited as text: fix up its length word most of the time (so the parser sees the edit)
  if (keepLength || (b.length > 8 && b[8] === 0x7b && r() < 0.8)) {
    const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
    const end = out.length - (b.length - 8 - n);
    if (end > 8) new DataView(out.buffer).setBigUint64(0, BigInt(end - 8), true);
  }
  return out;
}

/** A mutant of `b`: 1–3 mutations. */
export function mutate(b, r) {
  let c = b;
  for (let k = 1 + Math.floor(r() * 3); k > 0; k--) c = mutateOnce(c, r);
  return c;
}

/**
 * Reads `bytes` as a file of `kind`; returns { outcome: "loaded" | "typed" | "other", error?, memory? } where memory is
 * the wasm memory of a model it loaded (bytes).
 */
export async function attempt(lib, kind, bytes, r) {
  try {
    let memory = 0;
    if (kind === "model") {
      const m = await lib.loadModel(bytes);
      memory = m.memoryBytes;
      if (r() < 0.2) lib.decodeSafetensors(m.save());
      m.dispose();
    } else if (kind === "torch") {
      if (r() < 0.2) {
        const m = await lib.loadTorch(bytes);
        memory = m.memoryBytes;
        m.dispose();
      } else lib.readTorch(bytes);
    } else if (kind === "idx") {
      if (r() < 0.5) await lib.readIdx(bytes);
      else await lib.readIdxImages(bytes);
    } else if (kind === "npy") lib.readNpy(bytes, "fuzz.npy");
    else lib.readCsv(new TextDecoder().decode(bytes), "fuzz.csv");
    return { outcome: "loaded", memory };
  } catch (e) {
    if (e instanceof lib.VaekitError || e instanceof lib.CliError) return { outcome: "typed" };
    return { outcome: "other", error: e };
  }
}
