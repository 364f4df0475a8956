import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { AsyncBuffer } from 'hyparquet';
import { keySegment } from '../model/archive-keys.js';

export { keySegment };

/** Where archives live: S3-compatible object storage or a mounted file system. */
export interface Storage {
  /** `s3://bucket/prefix` or `file:///path`, for messages (never credentials). */
  readonly location: string;
  /** Fails fast with a clear message when the bucket, endpoint, path or credentials are wrong. */
  probe(): Promise<void>;
  head(key: string): Promise<{ size: number } | undefined>;
  /**
   * Streams `body` to `key`. Never overwrites: resolves 'exists' (and consumes nothing) when the
   * key is already there, unless `replace` (only ever used for a partition's latest-manifest
   * pointer, whose content every archive also keeps under its own attempt's key). Partial uploads
   * are aborted on failure.
   */
  put(key: string, body: Readable, opts: PutOptions): Promise<'created' | 'exists'>;
  /** The object, or with `range` only bytes [start, end) of it (a Parquet restore reads the footer, then one row group at a time). */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Copies the object at `from` (of `size` bytes) to `to` inside the store, replacing `to` (a
   * Hive-layout archive publishes its verified object under the path query engines read; the
   * manifest's sha256 is what makes it count). S3: a server-side copy, no byte passes through here.
   */
  copy(from: string, to: string, size: number): Promise<void>;
  /** Removes `key` (only ever an archive attempt's staging object once its published copy is committed). */
  remove(key: string): Promise<void>;
  /** Keys under `prefix` (recursively). */
  list(prefix: string): AsyncIterable<string>;
  /** Aborts multipart uploads under `prefix` started more than `olderThanMs` ago; returns how many. */
  abortStaleUploads(prefix: string, olderThanMs: number): Promise<number>;
}

export interface ByteRange {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface PutOptions {
  readonly contentType: string;
  readonly sizeHint?: number;
  readonly signal?: AbortSignal;
  readonly replace?: boolean;
  /** S3: parts uploaded at once (default 3) and the smallest part (default 16 MiB): memory is about partSize x (queueSize + 1). */
  readonly queueSize?: number;
  readonly minPartMiB?: number;
}

export class StorageError extends Error {
  constructor(readonly key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** `<db>/<schema>/<parent>/`: a partitioned table's archives, one folder per partition (SPEC §3). */
export function tablePrefix(database: string, schema: string, parent: string): string {
  return [database, schema, parent].map(keySegment).join('/') + '/';
}

/** `<db>/<schema>/<parent>/<partition>/` under the storage prefix (SPEC §3). */
export function partitionPrefix(database: string, schema: string, parent: string, partition: string): string {
  return `${tablePrefix(database, schema, parent)}${keySegment(partition)}/`;
}

/** An object in storage as hyparquet reads files: its size, and byte ranges fetched on demand (no local copy). */
export function storageBuffer(storage: Storage, key: string, size: number): AsyncBuffer {
  return {
    byteLength: size,
    slice: async (start, end = size) => {
      if (end <= start) return new ArrayBuffer(0);
      const b = await buffer(await storage.get(key, { start, end }));
      if (b.length !== end - start) throw new Error(`${key}: asked for bytes ${start}-${end}, got ${b.length}`);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    },
  };
}
