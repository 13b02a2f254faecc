import CRC32 from 'crc-32';

/** Plain IEEE CRC32 (zlib's), as an unsigned 32-bit number; `previous` chains several buffers. */
export function crc32(data: Uint8Array, previous = 0): number {
  return CRC32.buf(data, previous) >>> 0;
}
