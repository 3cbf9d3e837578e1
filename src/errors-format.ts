// Values shown in error messages: bounded in length and never recursing, so a 10,000-level JSON value or a huge
// typed array gives a short message instead of a stack overflow.

/**
 * A short rendering of any value for an error message: strings quoted (at most 80 characters), numbers as they
 * are, arrays of up to 8 numbers in brackets, anything else described by `kind`.
 *
 * @example
 * ```ts
 * show([1, 2]); // "[1,2]"
 * ```
 */
export function show(v: unknown): string {
  return typeof v == "string" ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)
    : Array.isArray(v) && v.length < 9 && v.every((x) => typeof x == "number") ? `[${v}]`
    : (v && typeof v == "object") || typeof v == "function" ? kind(v) : String(v);
}

/**
 * What a value is, in words: "null", "an array of length 3", "a Float32Array of length 4", "an object", "a function",
 * "the number 3".
 *
 * @example
 * ```ts
 * kind({}); // "an object"
 * ```
 */
export function kind(v: unknown): string {
  return Array.isArray(v) || ArrayBuffer.isView(v)
    ? `a${Array.isArray(v) ? "n array" : ` ${v.constructor.name}`} of length ${(v as ArrayLike<unknown>).length}`
    : v == null ? String(v) : typeof v == "object" ? "an object" : typeof v == "function" ? "a function" : `the ${typeof v} ${show(v)}`;
}
