import zlib from 'node:zlib';
import type { Transform } from 'node:stream';

export type Compression = 'gzip' | 'zstd' | 'none';

type ZstdZlib = { createZstdCompress?: () => Transform; createZstdDecompress?: () => Transform };

/** zstd needs Node >= 22.15 / 23.8 (zlib.createZstdCompress). */
export function zstdAvailable(): boolean {
  return typeof (zlib as unknown as ZstdZlib).createZstdCompress === 'function';
}

export function compressor(c: Compression): Transform | undefined {
  if (c === 'gzip') return zlib.createGzip({ level: 6 }); // deterministic: the same rows give the same bytes
  if (c === 'zstd') return (zlib as unknown as ZstdZlib).createZstdCompress!();
  return undefined;
}

export function decompressor(c: Compression): Transform | undefined {
  if (c === 'gzip') return zlib.createGunzip();
  if (c === 'zstd') return (zlib as unknown as ZstdZlib).createZstdDecompress!();
  return undefined;
}

export function extension(format: 'csv' | 'binary', c: Compression): string {
  return `data.${format}${c === 'gzip' ? '.gz' : c === 'zstd' ? '.zst' : ''}`;
}
