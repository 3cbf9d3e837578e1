// The `vaekit` executable: runs the command with the process's arguments and streams. The first Ctrl-C asks the
// running command to stop cleanly (training saves the last finished epoch); a second one quits at once.
import { run } from "./run.js";

const controller = new AbortController();
let interrupts = 0;
process.on("SIGINT", () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort();
});
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0); // the reader went away (e.g. `| head`)
  throw e;
});

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
