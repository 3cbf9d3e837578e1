// Trains the tabular model the worker serves at /tabular/… and writes tabular.safetensors beside this file: a
// TabularVAE (latent 3, hidden 32) on the raw penguin records of vega-datasets (species, island, four measurements
// and sex, with their missing values), schema and preprocessing inferred from the records, 150 epochs of Adam.
// Deterministic: `node make-tabular-model.mjs --check` retrains and fails if the committed file differs.
//
//   node make-tabular-model.mjs [--check]       (vega-datasets from the repository's devDependencies)
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { TabularVAE } from "vaekit/tabular";

const require = createRequire(import.meta.url);
const penguins = JSON.parse(await readFile(require.resolve("vega-datasets/data/penguins.json"), "utf8"))
  .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === "." ? null : v]))); // "." marks a missing sex
const file = new URL("./tabular.safetensors", import.meta.url);
const model = await TabularVAE.fromRecords(penguins, { latentSize: 3, hiddenSizes: [32], seed: 1 });
const history = await model.fit(penguins, { epochs: 150, batchSize: 32, learningRate: 3e-3, shuffleSeed: 1 });
const bytes = model.save();
model.dispose();
const loss = history.at(-1).loss.toFixed(2);
if (process.argv.includes("--check")) {
  const committed = await readFile(file).catch(() => new Uint8Array(0));
  if (Buffer.compare(Buffer.from(bytes), committed) !== 0) {
    console.error("tabular.safetensors is not what make-tabular-model.mjs trains now: run it and commit the new file");
    process.exit(1);
  }
  console.log(`tabular.safetensors matches a fresh training run byte for byte (final loss ${loss} nats/record)`);
} else {
  await writeFile(file, bytes);
  console.log(`wrote tabular.safetensors (${bytes.length} bytes), final training loss ${loss} nats/record`);
}
