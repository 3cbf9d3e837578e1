// How the KL term is weighted at a given training step: β with optional linear warm-up, or Burgess et al.'s
// capacity target C rising linearly to C_max.
import type { CapacitySchedule } from "./config.js";

/** β at `step` (steps completed before this one): beta·min(1, step / warmup), or beta without warm-up. */
export function betaAt(beta: number, warmup: number, step: number): number {
  return warmup > 0 ? beta * Math.min(1, step / warmup) : beta;
}

/** The capacity C at `step`: max·min(1, step / steps) (max at once when steps is 0). */
export function capacityAt(c: CapacitySchedule, step: number): number {
  return c.steps > 0 ? c.max * Math.min(1, step / c.steps) : c.max;
}
