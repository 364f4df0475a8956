import zlib from 'node:zlib';

/** What this Node.js runtime offers that partwarden's features depend on. */

/** zstd needs Node >= 22.15 / 23.8 (zlib.createZstdCompress). */
export function zstdAvailable(): boolean {
  return typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function';
}
