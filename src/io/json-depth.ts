// JSON read from files (safetensors headers, model configs, TF.js model.json) is parsed only after a linear scan
// bounds its nesting: a hostile file can't make later code (formatting, validation, structuredClone) recurse deeply.

/** The deepest nesting of arrays and objects vaekit accepts in a JSON header or config. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON.parse after checking that the text nests at most MAX_JSON_DEPTH levels; `fail(message)` must throw the
 * caller's typed error (it is also called when the text is not JSON).
 *
 * @example
 * ```ts
 * const header = parseBoundedJson(text, (m) => { throw new ModelFormatError(m); });
 * ```
 */
export function parseBoundedJson(text: string, fail: (message: string) => never): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) fail(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${e instanceof Error ? e.message.slice(0, 80) : "unparsable"})`);
  }
}
