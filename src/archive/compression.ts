import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { ParallelGzip } from './parallel-gzip.js';

export type Compression = 'gzip' | 'zstd' | 'none';

type ZstdZlib = {
  createZstdCompress?: (o: { params: Record<number, number> }) => Transform;
  createZstdDecompress?: () => Transform;
  constants: Record<string, number>;
};


/** Default levels: gzip 1 (fast; a few % larger than 6 at twice the speed), zstd 3 (its own default). */
export const DEFAULT_LEVEL: Readonly<Record<Compression, number | undefined>> = { gzip: 1, zstd: 3, none: undefined };

/** Deterministic compressors: the same rows give the same bytes. gzip runs on several cores. */
export function compressor(c: Compression, level = DEFAULT_LEVEL[c]): Transform | undefined {
  if (c === 'gzip') return new ParallelGzip(level ?? 1);
  if (c === 'zstd') {
    const z = zlib as unknown as ZstdZlib;
    return z.createZstdCompress!({ params: { [z.constants.ZSTD_c_compressionLevel!]: level ?? 3 } });
  }
  return undefined;
}

export function decompressor(c: Compression): Transform | undefined {
  if (c === 'gzip') return zlib.createGunzip();
  if (c === 'zstd') return (zlib as unknown as ZstdZlib).createZstdDecompress!();
  return undefined;
}

/** The data object's name: `data.csv.gz`, `data.binary.zst`, `data.parquet` (compressed inside). */
export function extension(format: 'csv' | 'binary' | 'parquet', c: Compression | 'snappy'): string {
  if (format === 'parquet') return 'data.parquet';
  return `data.${format}${c === 'gzip' ? '.gz' : c === 'zstd' ? '.zst' : ''}`;
}

/** The object-level compression of an archive: Parquet compresses inside the file, so none. */
export const objectCompression = (format: 'csv' | 'binary' | 'parquet', c: Compression | 'snappy'): Compression => (format === 'parquet' || c === 'snappy' ? 'none' : c);
