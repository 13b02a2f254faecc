/**
 * A copy of `bytes` in memory of its own, for bytes kept long (cached answers, opened
 * credentials). A small Buffer from Node's pool is a view of a shared 8 KiB slab, and keeps all of
 * it alive: one kept answer per gateway held a slab each.
 */
export function ownBytes(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}
