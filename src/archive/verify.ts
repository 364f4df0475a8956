import { parquetMetadataAsync } from 'hyparquet';
import type { ArchiveSpec } from '../config/types.js';
import { digestObject } from './export.js';
import { storageBuffer, type Storage } from './storage.js';

/** An object in storage that is missing or differs from what its manifest (or the export) says. */
export class VerificationFailed extends Error {}

/** Size check (checksum), plus a full re-read and re-hash (full). */
export async function verifyObject(storage: Storage, key: string, expected: { bytes: number; sha256: string }, mode: ArchiveSpec['verify']): Promise<void> {
  const head = await storage.head(key);
  if (!head) throw new VerificationFailed(`verification failed: ${key} is missing from ${storage.location}`);
  if (head.size !== expected.bytes) throw new VerificationFailed(`verification failed: ${key} has ${head.size} bytes, expected ${expected.bytes}`);
  if (mode === 'full') {
    const d = await digestObject(storage, key, 'none');
    if (d.sha256 !== expected.sha256) throw new VerificationFailed(`verification failed: ${key} sha256 ${d.sha256} != ${expected.sha256}`);
  }
}

/** verify: full of a Parquet object: its footer, read back from storage, counts the exported rows. */
export async function verifyParquetRows(storage: Storage, key: string, expected: { bytes: number; rows: number }): Promise<void> {
  const meta = await parquetMetadataAsync(storageBuffer(storage, key, expected.bytes));
  if (Number(meta.num_rows) !== expected.rows) throw new VerificationFailed(`verification failed: ${key} holds ${meta.num_rows} rows, ${expected.rows} were exported`);
}
