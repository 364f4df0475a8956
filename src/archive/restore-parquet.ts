import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { HashingStream } from './hash-stream.js';
import type { ArchiveManifest } from './manifest.js';
import { parquetCopyText } from './parquet-decode.js';
import { storageBuffer, type Storage } from './storage.js';

/**
 * A Parquet archive into `copySql` (a `COPY ... FROM STDIN (FORMAT text)` in the caller's
 * transaction): the object is read once whole, its sha256 and size checked against the manifest
 * before any row is loaded, then row group by row group through ranged reads (memory: one row
 * group; no local file, so it runs in a pod with a read-only root file system).
 */
export async function streamInParquet(client: pg.Client, copySql: string, storage: Storage, key: string, manifest: ArchiveManifest): Promise<{ sha256: string; bytes: number; rows: number }> {
  const hasher = new HashingStream();
  await pipeline(await storage.get(key), hasher, new Writable({ write: (_c, _e, cb) => cb() }));
  const digest = { sha256: hasher.digest(), bytes: hasher.bytes };
  if (digest.sha256 !== manifest.sha256 || digest.bytes !== manifest.bytes) return { ...digest, rows: 0 };
  const columns = manifest.parquet!.columns.map((c) => ({ pg: c, asText: c.asText }));
  const copy = client.query(copyFrom(copySql));
  await pipeline(Readable.from(parquetCopyText({ file: storageBuffer(storage, key, digest.bytes), columns })), copy);
  return { ...digest, rows: copy.rowCount };
}
