// Types of bench/fashion-mnist.mjs (test/metrics/fid.test.ts reads the same split as the benches).
export declare function fashionMnist(): { trainX: Float32Array; trainY: Int32Array; testX: Float32Array; testY: Int32Array };
