// Node.js through require(): the CommonJS build (dist/index.cjs) must give the same hash as the ES module builds.
const vaekit = require("vaekit");

import("./scenario.js").then(async ({ run }) => {
  const result = await run(vaekit);
  console.log("CONFORMANCE " + JSON.stringify({ ...result, entry: require("node:url").pathToFileURL(require.resolve("vaekit")).href }));
});
