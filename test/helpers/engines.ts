// A single-threaded engine and a 3-thread one whose split thresholds are 0 (even the smallest call is spread over
// the threads), for tests that compare the two bit for bit. The single-threaded one runs vaekit-ext.wasm, so that
// it has every kernel the threads build has (the EXT ones too).
import { Engine } from "../../src/runtime/engine";
import { startThreads } from "../../src/runtime/threads/start";

/** Both engines; stop `many`'s pool when done (`many.pool?.stop()`). */
export async function oneAndMany(): Promise<{ one: Engine; many: Engine }> {
  const one = await Engine.create(undefined, undefined, 1, true);
  const many = await startThreads(undefined, 3, { gemm: 0, elements: 0 });
  if (typeof many === "string") throw new Error(many);
  return { one, many };
}
