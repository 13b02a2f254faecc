import { parse as parseJsonLossless } from 'lossless-json';

/**
 * Whether a key may appear twice: escapes could spell one key two ways, or the text names more
 * keys than the parsed value holds (JSON.parse keeps the last of a repeated key).
 */
export function mayRepeatAKey(json: string, parsed: unknown): boolean {
  return json.includes('\\') || keysWritten(json) !== keysHeld(parsed);
}

/** Keys in JSON text without escapes: each string followed by a colon (no string holds a quote). */
function keysWritten(json: string): number {
  let keys = 0;
  for (let open = json.indexOf('"'); open !== -1; ) {
    const close = json.indexOf('"', open + 1);
    if (close === -1) break;
    let next = close + 1;
    while (json[next] === ' ' || json[next] === '\t' || json[next] === '\n' || json[next] === '\r') next++;
    if (json[next] === ':') keys++;
    open = json.indexOf('"', close + 1);
  }
  return keys;
}

/** Keys of every object in a parsed JSON value, at any depth. */
function keysHeld(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) keys += keysHeld(item);
    return keys;
  }
  for (const key in value) keys += 1 + keysHeld((value as Record<string, unknown>)[key]);
  return keys;
}

/**
 * JSON.parse for input from outside, refusing what it would read one way and a reader elsewhere
 * another: a key named twice (JSON.parse keeps the last), spelled alike or through escapes.
 */
export function parseJsonStrictly(text: string): unknown {
  const parsed = JSON.parse(text) as unknown;
  // The exact reader throws on a duplicate key; numbers are read as JSON.parse reads them.
  return mayRepeatAKey(text, parsed) ? parseJsonLossless(text, null, Number) : parsed;
}
