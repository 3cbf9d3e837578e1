// init.ts — weight initialisation: turns uniforms in [0, 1) (rng_uniform's stream) into U(−bound, bound) in place,
// as PyTorch's nn.Linear draws them: x = f32(bound·(2·u − 1)), evaluated in f64 (2·u − 1 is exact there, then one
// f64 rounding of the product and one to f32) — the same bits as the host computing it in JavaScript numbers.
// Done here rather than in a JavaScript loop so that creating a model costs no cold-JIT loop over every weight
// (the first VAE.create of a process spent most of its time in that loop before it was optimized).
// Scalar by design (f64 arithmetic; it runs once per model), so it has no `_scalar` twin.

export function uniform_symmetric(x: usize, n: i32, bound: f64): void {
  // x [n] (in: uniforms in [0, 1); out: bound·(2x − 1) rounded to f32). The final + 0 turns a −0 into +0 and changes
  // nothing else: for bound > 0 no product is −0 (2x − 1 = 0 only as +0), and bound = 0 gives +0 everywhere (the
  // zero biases of Glorot initialisation).
  const end = x + (<usize>n << 2);
  for (let p = x; p < end; p += 4) store<f32>(p, <f32>(bound * (2 * <f64>load<f32>(p) - 1) + 0));
}
