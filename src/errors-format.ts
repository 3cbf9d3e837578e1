// Values shown in error messages: bounded in depth and length, and never recursing on the caller's stack, so a
// 10,000-level JSON value or a huge typed array gives a short message instead of a stack overflow.

const article = (w: string): string => (/^[aeiou]/i.test(w) ? "an " : "a ") + w;

/**
 * A short JSON-like rendering of any value for an error message: at most 3 levels deep (deeper parts and objects
 * with more than 8 keys are summarised), at most 80 characters.
 *
 * @example
 * ```ts
 * show({ a: [1, 2] }); // '{"a":[1,2]}'
 * ```
 */
export function show(v: unknown): string {
  if (v === undefined || typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "function" || typeof v === "symbol") return article(typeof v);
  const depth = new WeakMap<object, number>();
  let s: string | undefined;
  try {
    s = JSON.stringify(v, function (this: object, _k, x: unknown) {
      if (typeof x === "bigint") return String(x);
      if (typeof x !== "object" || x === null) return x;
      const d = (depth.get(this) ?? 0) + 1;
      if (d > 3 || ArrayBuffer.isView(x) || (Array.isArray(x) ? x.length : Object.keys(x).length) > 8) return kind(x);
      depth.set(x, d);
      return x;
    });
  } catch {
    // a throwing getter, toJSON or proxy
  }
  s ??= kind(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/**
 * What a value is, in words: "null", "undefined", "an array of length 3", "a Float32Array of length 4",
 * "an object", "the number 3", "the string \"x\"".
 *
 * @example
 * ```ts
 * kind({}); // "an object"
 * ```
 */
export function kind(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${article(v.constructor.name)} of length ${(v as unknown as ArrayLike<unknown>).length}`;
  if (typeof v === "object") {
    let name: unknown;
    try {
      name = Object.getPrototypeOf(v)?.constructor?.name;
    } catch {
      // a proxy that throws
    }
    return typeof name === "string" && name !== "" && name !== "Object" ? article(name) : "an object";
  }
  if (typeof v === "function" || typeof v === "symbol") return article(typeof v);
  return `the ${typeof v} ${show(v)}`;
}

/**
 * `own(table, name)`: the table's own entry for a name that came from a user or a file, never one inherited from
 * Object.prototype ("toString", "constructor", "__proto__" …); undefined when it has none.
 *
 * @example
 * ```ts
 * own({ relu: 1 }, "toString"); // undefined
 * ```
 */
export function own<V>(table: Readonly<Record<string, V>>, name: unknown): V | undefined {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}
