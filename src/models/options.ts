// Checks of per-call options objects: unknown names (with "did you mean"), and the common numeric options.
import { InvalidInputError } from "../errors.js";
import { kind, show } from "../errors-format.js";
import { suggest } from "./config-checks.js";

/** Returns options as a record after checking it is an object with only `keys`. */
export function optionsOf(o: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new InvalidInputError(`${what}: options must be an object; got ${kind(o)}`);
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!keys.includes(k)) {
      throw new InvalidInputError(`${what}: unknown option '${k}'${suggest(k, keys)}; known options: ${keys.join(", ")}`);
    }
  }
  return r;
}

/** An integer option in [lo, hi] with a default. */
export function intOption(what: string, v: unknown, fallback: number, lo: number, hi: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidInputError(`${what} must be an integer from ${lo} to ${hi}; got ${show(v)}`);
  }
  return v;
}

