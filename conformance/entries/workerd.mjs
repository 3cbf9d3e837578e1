// workerd (Cloudflare Workers): a module worker that answers any request with the scenario's result as JSON.
import * as vaekit from "vaekit";
import wasm from "./vaekit.wasm";
import { run } from "./scenario.js";

export default {
  async fetch() {
    try {
      const result = await run(vaekit, { engine: { wasm } });
      return Response.json({ ...result, entry: "vaekit" });
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
