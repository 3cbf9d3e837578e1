// The page's side of worker.js: request(type, args) → Promise of the result, and a listener for the batch
// reports training posts. Rejections carry the worker's error message.
export class ModelClient {
  #worker;
  #next = 1;
  #pending = new Map();

  /** @param {(report: object) => void} onBatch called with every { type: "batch", ... } report */
  constructor(onBatch) {
    this.#worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.#worker.onmessage = ({ data }) => {
      if (data.type === "batch") return onBatch(data);
      const p = this.#pending.get(data.id);
      if (!p) return;
      this.#pending.delete(data.id);
      if ("error" in data) p.reject(new Error(data.error));
      else p.resolve(data.result);
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      const error = new Error(`the model worker failed: ${e.message || "it could not start (is the page served by serve.mjs?)"}`);
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
  }

  /** Sends a request; typed arrays listed in `transfer` move to the worker without a copy. */
  request(type, args = {}, transfer = []) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, type, ...args }, transfer);
    });
  }
}
