/** Lines logged one by one in each window; past that, one line counts the rest. */
const LINES_PER_WINDOW = 20;
const WINDOW_MS = 60_000;

/**
 * A warning that a client can cause at will (a refused handshake, a request that never arrives):
 * the first few of each minute are logged, then one line a minute counts the rest, so that a scan
 * or a flood costs a line a minute and not a line each.
 */
export function throttledWarning(
  warn: (fields: Record<string, unknown>, message: string) => void,
  what: string,
): (fields: Record<string, unknown>, message: string) => void {
  let windowStart = 0;
  let logged = 0;
  let suppressed = 0;
  return (fields, message) => {
    const now = Date.now();
    if (now - windowStart >= WINDOW_MS) {
      if (suppressed > 0) warn({ suppressed, windowMs: WINDOW_MS }, `${suppressed} more ${what} (not logged one by one)`);
      windowStart = now;
      logged = 0;
      suppressed = 0;
    }
    if (logged >= LINES_PER_WINDOW) {
      suppressed++;
      return;
    }
    logged++;
    warn(fields, message);
  };
}
