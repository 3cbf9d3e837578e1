// "vaekit" in the workerd config: vaekit's workerd build, listed once as "vaekit/workerd.js" so that this module and
// the family facades ("vaekit/tabular" imports "./workerd.js") share one instance of it. A bundler (wrangler) resolves
// "vaekit" through the package's "workerd" export condition instead and needs none of this.
export * from "vaekit/workerd.js";
