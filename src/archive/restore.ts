import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import type { Readable, Transform } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../planner/actions.js';
import { decompressor, type Compression } from './compression.js';
import { HashingStream } from './hash-stream.js';
import { dataKeyOf, parseManifest, type ArchiveManifest } from './manifest.js';
import { partitionPrefix, type Storage } from './storage.js';
import { restoreDdl } from './table-shape.js';
import { copyInSql } from '../sql/copy.js';
import { attachSql } from '../sql/ddl.js';
import { CITUS_SEQUENTIAL_SQL, distributeColocatedSql } from '../sql/citus.js';
import { distributionColumnOf } from '../catalog/citus.js';
import { inTransaction } from '../db/transaction.js';
import { streamInParquet } from './restore-parquet.js';

export interface RestoreRequest {
  readonly storage: Storage;
  readonly database: string;
  readonly parent: PartitionRef;
  readonly partition: string;
  /** Where to restore; default: the partition's original schema and name. */
  readonly target?: PartitionRef;
  readonly attach: boolean;
  readonly lockTimeoutMs: number;
}

export async function readArchiveManifest(storage: Storage, database: string, parent: PartitionRef, partition: string): Promise<{ manifest: ArchiveManifest; prefix: string }> {
  const prefix = partitionPrefix(database, parent.schema, parent.name, partition);
  const key = `${prefix}manifest.json`;
  if (!(await storage.head(key))) throw new Error(`no archive of partition ${partition} in ${storage.location} (looked for ${key})`);
  return { manifest: parseManifest(await text(await storage.get(key)), key), prefix };
}

/**
 * Recreates the table from the manifest and streams the archive back with COPY FROM, in one
 * transaction: the sha256 and size of the object and the row count must match the manifest, or
 * nothing is kept. With `attach`, the table is attached with its original bounds in the same
 * transaction (PostgreSQL refuses bounds that overlap an existing partition).
 */
export async function restoreArchive(client: pg.Client, req: RestoreRequest): Promise<{ manifest: ArchiveManifest; target: PartitionRef; rows: number }> {
  const { manifest, prefix } = await readArchiveManifest(req.storage, req.database, req.parent, req.partition);
  const target = req.target ?? { schema: manifest.schema, name: manifest.partition };
  const targetSql = quoteQualified(target.schema, target.name);
  if ((await client.query('SELECT to_regclass($1) AS t', [targetSql])).rows[0].t !== null) {
    throw new Error(`${target.schema}.${target.name} already exists; choose another name with --as`);
  }
  const distribution = await distributionColumnOf(client, req.parent);
  return inTransaction(client, req.lockTimeoutMs, async () => {
    for (const statement of restoreTableSql(req, manifest, target, distribution)) await client.query(statement);
    const key = dataKeyOf(prefix, manifest);
    const copied = manifest.format === 'parquet'
      ? await streamInParquet(client, copyInSql(target, manifest.parquet!.columns.map((c) => c.name), manifest.copyOptions), req.storage, key, manifest)
      : await streamIn(client, copyInSql(target, manifest.columns.filter((c) => !c.generated).map((c) => c.name), manifest.copyOptions), await req.storage.get(key), manifest.compression);
    if (copied.sha256 !== manifest.sha256 || copied.bytes !== manifest.bytes) {
      throw new Error(`archive object does not match its manifest (sha256 ${copied.sha256} vs ${manifest.sha256}, ${copied.bytes} vs ${manifest.bytes} bytes); nothing restored`);
    }
    if (copied.rows !== manifest.rows) throw new Error(`restored ${copied.rows} rows, manifest says ${manifest.rows}; nothing restored`);
    if (req.attach) await client.query(attachSql(req.parent, target, manifest.bounds));
    return { manifest, target, rows: copied.rows };
  });
}

/**
 * The table, as it was archived. Under a distributed Citus parent it is distributed and colocated
 * with it before any row arrives (COPY then writes to the shards, ATTACH copies nothing), in
 * sequential shard mode since the transaction goes on to change a distributed table after writing
 * rows (ATTACH).
 */
function restoreTableSql(req: RestoreRequest, manifest: ArchiveManifest, target: PartitionRef, distribution: string | null): string[] {
  const ddl = restoreDdl(target, manifest.partition, manifest.columns, manifest.partitioning);
  if (distribution === null) return ddl;
  return [CITUS_SEQUENTIAL_SQL, ...ddl, distributeColocatedSql(target, distribution, req.parent)];
}

/**
 * Streams an archive object (as stored: compressed or not) into `copySql`, a `COPY ... FROM
 * STDIN`, hashing the stored bytes on the way. The caller compares with the manifest and owns the
 * transaction.
 */
export async function streamIn(client: pg.Client, copySql: string, source: Readable, compression: Compression): Promise<{ sha256: string; bytes: number; rows: number }> {
  const copy = client.query(copyFrom(copySql));
  const hasher = new HashingStream();
  const unzip: Transform | undefined = decompressor(compression);
  await pipeline(unzip ? [source, hasher, unzip, copy] : [source, hasher, copy]);
  return { sha256: hasher.digest(), bytes: hasher.bytes, rows: copy.rowCount };
}

/** Every manifest under `prefix`, newest layout first in key order. */
export async function listArchives(storage: Storage, prefix: string): Promise<Array<{ key: string; manifest?: ArchiveManifest; error?: string }>> {
  const out: Array<{ key: string; manifest?: ArchiveManifest; error?: string }> = [];
  for await (const key of storage.list(prefix)) {
    if (!key.endsWith('/manifest.json')) continue;
    try {
      out.push({ key, manifest: parseManifest(await text(await storage.get(key)), key) });
    } catch (err) {
      out.push({ key, error: (err as Error).message });
    }
  }
  // a partition's latest-manifest pointer repeats its attempt's own manifest: list each archive once
  const attempts = new Set(out.filter((o) => o.manifest?.attempt && o.key.endsWith(`/${o.manifest.attempt}/manifest.json`)).map((o) => o.key));
  return out.filter((o) => !(o.manifest?.attempt && !o.key.endsWith(`/${o.manifest.attempt}/manifest.json`) && attempts.has(o.key.replace(/manifest\.json$/, `${o.manifest.attempt}/manifest.json`))));
}
