// workerd (Cloudflare Workers): a module worker that answers any request with the scenario's result as JSON.
// "vaekit" is the package's "workerd" entry, which imports its kernels as a wasm module.
import * as vaekit from "vaekit";
import { run } from "./scenario.js";

export default {
  async fetch() {
    try {
      return Response.json(await run(vaekit));
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
