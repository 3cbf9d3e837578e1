// JSON read from files (safetensors headers, model configs, TF.js model.json) is parsed only after a linear scan
// bounds its nesting: a hostile file can't make later code (formatting, validation, structuredClone) recurse deeply.

/**
 * JSON.parse after checking that the text nests at most 64 levels; `fail(message)` must throw the caller's typed
 * error (it is also called when the text is not JSON).
 *
 * @example
 * ```ts
 * const header = parseBoundedJson(text, (m) => { throw new ModelFormatError(m); });
 * ```
 */
export function parseBoundedJson(text: string, fail: (message: string) => never): unknown {
  let depth = 0;
  // brackets outside strings
  for (const c of text.replace(/"(?:[^"\\]|\\.)*"/g, "")) {
    if (c == "[" || c == "{") depth++ < 64 || fail("JSON nested deeper than 64 levels");
    else if (c == "]" || c == "}") depth--;
  }
  try {
    return JSON.parse(text);
  } catch {
    return fail("not JSON");
  }
}
