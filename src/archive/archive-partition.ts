import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type pg from 'pg';
import type { ArchiveSpec, DatabaseConfig } from '../config/types.js';
import { BINARY_ON_CITUS, distributionColumnOf } from '../catalog/citus.js';
import { quoteQualified } from '../db/quote.js';
import { tableState } from '../db/relations.js';
import type { PartitionRef } from '../planner/actions.js';
import { failpoint } from '../testing/faults.js';
import { VERSION } from '../version.js';
import { copyOptionsSql, lockTableSql } from '../sql/copy.js';
import { dropSql } from '../sql/ddl.js';
import { extension, objectCompression } from './compression.js';
import { readParquetColumns } from './parquet-columns.js';
import type { ParquetStats } from './parquet-encode.js';
import { DEFAULT_ROW_GROUP_ROWS } from '../config/policy-schema.js';
import { exportCopySql, deterministicScans, digestOnSession, exportToStorage, type ExportResult, type ExportSpec } from './export.js';
import { dataKeyOf, parseManifest, renderManifest, type ArchiveManifest, type ParquetManifest } from './manifest.js';
import { hiveKey } from '../model/archive-keys.js';
import { partitionPrefix, type Storage } from './storage.js';
import { VerificationFailed, verifyObject, verifyParquetRows } from './verify.js';
import { createTableDdl, readColumns, readPartitioning, restoreDdl, type ArchivedColumn } from './table-shape.js';

type StepFn = <T>(name: 'export' | 'verify' | 'manifest' | 'drop', sql: string, final: boolean, run: () => Promise<{ value: T; attempts: number; rows?: number }>, storageKey?: string) => Promise<T>;

export interface ArchiveJob {
  readonly client: pg.Client;
  readonly db: DatabaseConfig;
  readonly storage: Storage;
  readonly policy: string;
  readonly database: string;
  readonly parent: PartitionRef;
  readonly table: PartitionRef;
  readonly relid: number;
  readonly boundSql: string;
  readonly spec: ArchiveSpec;
  readonly step: StepFn;
  /** Runs `body` in a transaction on `client` under lock_timeout, retried when a lock is not granted. */
  readonly inLockedTransaction: <T>(body: () => Promise<T>) => Promise<{ value: T; attempts: number }>;
  /** Data keys of this partition's exports that never finished (from the journal). */
  readonly unfinishedUploads: () => Promise<string[]>;
  /** Leader fencing: throws when this process may no longer change the database (or write archives). */
  readonly fence?: () => Promise<void>;
  /** Export progress (COPY bytes so far), for logs. */
  readonly onProgress?: (copyBytes: number) => void;
}

/** Where a partition's archives live: its prefix, and the manifest of its latest archive. */
export function archiveKeys(database: string, parent: PartitionRef, partition: string) {
  const prefix = partitionPrefix(database, parent.schema, parent.name, partition);
  return { prefix, manifest: prefix + 'manifest.json' };
}

/**
 * One archive attempt's own keys: `<partition>/<attempt>/data.<ext>` and its manifest next to it.
 * Nothing is ever written twice under a key: two replicas (or a crashed and a resumed run)
 * archiving the same table write different objects, and a manifest names exactly one of them.
 */
export function attemptKeys(prefix: string, attempt: string, spec: Pick<ArchiveSpec, 'format' | 'compression'>) {
  const dataObject = `${attempt}/${extension(spec.format, spec.compression)}`;
  return { attempt, dataObject, data: prefix + dataObject, manifest: `${prefix}${attempt}/manifest.json` };
}

/** `20261201T111700Z-1a2b3c4d`: sortable by time, unique across replicas. */
export const newAttemptId = (at: Date): string => `${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;

async function readManifest(storage: Storage, key: string): Promise<ArchiveManifest | undefined> {
  if (!(await storage.head(key))) return undefined;
  return parseManifest(await text(await storage.get(key)), key);
}

/** Raised inside the drop step when the table differs from its archive (written to after the export). */
class ChangedSinceExport extends Error {}

/**
 * Archives one detached table: export (COPY, streamed, hashed, counted) -> upload -> verify ->
 * manifest (the commit marker, written last) -> drop. Resumable from storage and the catalog:
 * - the partition's latest manifest is this very table's (same OID; a crash before DROP, or
 *   another replica archived it): verify that object, then drop;
 * - otherwise (no archive, or one of an older table with the same name): a new attempt.
 * The drop proves, under ACCESS EXCLUSIVE, that the table still holds exactly the archived rows
 * (row count and sha256 of a deterministic COPY); if it was written to since the export, it is
 * archived again (once) and the proof repeated. Nothing is dropped on any doubt.
 */
export async function archivePartition(job: ArchiveJob): Promise<ArchiveManifest> {
  const keys = archiveKeys(job.database, job.parent, job.table.name);
  const exportSpec = await exportSpecFor(job);
  const latest = await readManifest(job.storage, keys.manifest);
  let manifest: ArchiveManifest;
  if (latest && describesThisTable(latest, job) && (await verifiedLatest(job, keys.prefix, latest))) {
    manifest = latest;
  } else {
    manifest = await archiveAttempt(job, exportSpec, keys, latest);
  }
  if (job.spec.afterArchive === 'keep') return manifest;
  if (await dropArchived(job, exportSpec, manifest)) return manifest;
  // written to after its export: archive what it holds now, and prove it again
  manifest = await archiveAttempt(job, exportSpec, keys, manifest);
  if (await dropArchived(job, exportSpec, manifest)) return manifest;
  throw new Error(`${displayTable(job)} changed again while it was being archived (something writes to the detached table); not dropping it — stop the writer, the next run archives it again`);
}

/**
 * This table's own archive found on resume (a crash before DROP, or another replica archived it):
 * verify it. A published (layout: hive) file that no longer matches — a later attempt was
 * replacing it when the process died — is archived again (false); any other mismatch fails.
 */
async function verifiedLatest(job: ArchiveJob, prefix: string, found: ArchiveManifest): Promise<boolean> {
  const key = dataKeyOf(prefix, found);
  try {
    await job.step('verify', `verify ${job.spec.verify} ${job.storage.location}/${key}`, job.spec.afterArchive === 'keep', async () => {
      await verifyObject(job.storage, key, found, job.spec.verify);
      return { value: true, attempts: 1 };
    });
    // killed between the manifest and the removal of the attempt's own object: remove it now (a no-op when gone)
    if (found.publishedObject) await job.storage.remove(prefix + found.dataObject);
    return true;
  } catch (err) {
    if (found.publishedObject && (err instanceof VerificationFailed || (err instanceof Error && err.cause instanceof VerificationFailed))) return false;
    throw err;
  }
}

const displayTable = (job: ArchiveJob) => `${job.table.schema}.${job.table.name}`;

/** The latest manifest is this table's own archive (not an older table's with the same name). */
const describesThisTable = (m: ArchiveManifest, job: ArchiveJob) =>
  m.relid === job.relid && m.partition === job.table.name && m.schema === job.parent.schema && m.parent === job.parent.name;

async function exportSpecFor(job: ArchiveJob): Promise<ExportSpec> {
  const kind = await job.client.query<{ relkind: string }>('SELECT relkind::text FROM pg_class WHERE oid = $1', [job.relid]);
  const distributed = (await distributionColumnOf(job.client, job.table)) !== null;
  if (distributed && job.spec.format !== 'csv') throw new Error(`${displayTable(job)} is a distributed Citus table: ${BINARY_ON_CITUS}`);
  const columns = inParentOrder(await readColumns(job.client, job.table), await readColumns(job.client, job.parent));
  return {
    db: job.db,
    table: job.table,
    columns,
    format: job.spec.format,
    compression: objectCompression(job.spec.format, job.spec.compression),
    ...(job.spec.format === 'parquet' ? { parquet: await parquetSpec(job, columns) } : {}),
    level: job.spec.compressionLevel,
    partitioned: kind.rows[0]?.relkind === 'p',
    ...(distributed ? { distributed } : {}),
    ...(job.onProgress ? { onProgress: job.onProgress } : {}),
    ...(job.fence ? { fence: job.fence } : {}),
  };
}

/** The Parquet columns in the order of the other formats' (the parent's), with the codec and row group size. */
async function parquetSpec(job: ArchiveJob, columns: readonly ArchivedColumn[]): Promise<NonNullable<ExportSpec['parquet']>> {
  const byName = new Map((await readParquetColumns(job.client, job.table)).map((c) => [c.name, c]));
  return {
    columns: columns.filter((c) => !c.generated).map((c) => byName.get(c.name)!),
    codec: job.spec.compression === 'snappy' ? 'snappy' : 'zstd',
    rowGroupRows: job.spec.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS,
  };
}

/**
 * The partition's columns in its parent's order: what `plan` shows (from the catalog's view of the
 * parent) is what the export runs, even for a partition made by hand with another column order.
 */
function inParentOrder(columns: ArchivedColumn[], parent: readonly ArchivedColumn[]): ArchivedColumn[] {
  const rank = new Map(parent.map((c, i) => [c.name, i]));
  return [...columns].sort((a, b) => (rank.get(a.name) ?? Infinity) - (rank.get(b.name) ?? Infinity));
}

/** One attempt: export to its own keys, verify, write its manifest, then point the partition's latest manifest at it. */
async function archiveAttempt(job: ArchiveJob, spec: ExportSpec, keys: ReturnType<typeof archiveKeys>, previous: ArchiveManifest | undefined): Promise<ArchiveManifest> {
  const { storage } = job;
  const k = attemptKeys(keys.prefix, newAttemptId(new Date()), job.spec);
  // uploads a killed attempt left half-done under this partition are ours: abort them first (by
  // exact key from the journal, and by prefix where the store lists uploads that way)
  for (const key of await job.unfinishedUploads()) await storage.abortStaleUploads(key, 0);
  await storage.abortStaleUploads(keys.prefix, 0);
  const exported = await job.step('export', exportCopySql(spec), false, async () => {
    const sizeHint = Number((await job.client.query<{ s: string }>('SELECT pg_total_relation_size($1::oid)::text AS s', [job.relid])).rows[0]!.s);
    const value = await exportToStorage(spec, storage, k.data, sizeHint);
    return { value, attempts: 1, rows: value.rows };
  }, k.data);
  await job.step('verify', `verify ${job.spec.verify} ${storage.location}/${k.data}`, false, async () => {
    await verifyObject(storage, k.data, exported, job.spec.verify);
    if (job.spec.verify === 'full' && spec.format === 'parquet') await verifyParquetRows(storage, k.data, exported);
    return { value: true, attempts: 1 };
  });
  const published = job.spec.layout === 'hive' ? hiveKey(job.database, job.parent, job.spec.hiveColumn!, job.boundSql) : undefined;
  const m = { ...(await manifestFor(job, spec, k, exported)), ...(published ? { publishedObject: published } : {}) };
  const publish = published ? `copy ${storage.location}/${k.data} to ${storage.location}/${published}; verify ${job.spec.verify} it; ` : '';
  return job.step('manifest', `${publish}write ${storage.location}/${k.manifest}; write ${storage.location}/${keys.manifest}${published ? `; remove ${storage.location}/${k.data}` : ''}`, job.spec.afterArchive === 'keep', async () => {
    await job.fence?.();
    if (published) {
      await storage.copy(k.data, published, exported.bytes);
      await verifyObject(storage, published, exported, job.spec.verify);
      failpoint('mid:manifest:published');
    }
    const body = () => Readable.from([Buffer.from(renderManifest(m))]);
    if ((await storage.put(k.manifest, body(), { contentType: 'application/json' })) !== 'created') throw new Error(`${k.manifest} already exists; not overwriting it`);
    // an older layout's manifest has no copy under an attempt key: keep one before the pointer moves
    if (previous && !previous.attempt) await storage.put(`${keys.prefix}v1-${previous.archivedAt.replace(/[-:.]/g, '')}/manifest.json`, Readable.from([Buffer.from(renderManifest(previous))]), { contentType: 'application/json' });
    await storage.put(keys.manifest, body(), { contentType: 'application/json', replace: true });
    const back = await readManifest(storage, k.manifest);
    if (!back || back.sha256 !== m.sha256 || back.rows !== m.rows) throw new Error(`${k.manifest} did not read back as written; not dropping ${displayTable(job)}`);
    // the committed manifest names the published copy: the attempt's own object is not needed (one
    // left by a crash here is never read, and a resumed run removes it)
    if (published) {
      failpoint('mid:manifest:committed');
      await storage.remove(k.data);
    }
    return { value: back, attempts: 1 };
  });
}

async function manifestFor(job: ArchiveJob, spec: ExportSpec, k: ReturnType<typeof attemptKeys>, exported: ExportResult): Promise<ArchiveManifest> {
  const { client, table } = job;
  const partitioning = spec.partitioned ? await readPartitioning(client, job.relid) : undefined;
  const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  return {
    formatVersion: 1,
    policy: job.policy,
    database: job.database,
    schema: job.parent.schema,
    parent: job.parent.name,
    partition: table.name,
    bounds: job.boundSql,
    columns: spec.columns,
    ddl: partitioning ? restoreDdl(table, table.name, spec.columns, partitioning).join(';\n') + ';' : createTableDdl(table, spec.columns),
    ...(partitioning ? { partitioning } : {}),
    copyOptions: copyOptionsSql(job.spec.format),
    dataObject: k.dataObject,
    attempt: k.attempt,
    relid: job.relid,
    rows: exported.rows,
    bytes: exported.bytes,
    sha256: exported.sha256,
    uncompressedSha256: exported.rawSha256,
    format: job.spec.format,
    compression: spec.compression,
    ...(spec.parquet && exported.parquetStats ? { parquet: parquetManifest(spec.parquet, exported.parquetStats) } : {}),
    postgresVersion: version,
    partwardenVersion: VERSION,
    archivedAt: new Date().toISOString(),
  };
}

const parquetManifest = (p: NonNullable<ExportSpec['parquet']>, stats: ParquetStats): ParquetManifest => ({
  codec: p.codec,
  rowGroupRows: p.rowGroupRows,
  columns: p.columns.map((c) => ({ ...c.pg, asText: c.asText })),
  stats,
});

/**
 * DROP under ACCESS EXCLUSIVE, only if it is the table that was detached and it still holds
 * exactly the archived rows: the row count and the sha256 of the same deterministic COPY as the
 * export's, read in the dropping transaction. True when dropped, false when the table changed
 * since its export (nothing dropped, the step journaled as failed).
 */
async function dropArchived(job: ArchiveJob, spec: ExportSpec, manifest: ArchiveManifest): Promise<boolean> {
  const name = quoteQualified(job.table.schema, job.table.name);
  try {
    await job.step('drop', dropSql(job.table), true, async () => {
      const { client } = job;
      const r = await job.inLockedTransaction(async () => {
        await deterministicScans(client);
        await client.query(lockTableSql(job.table, 'ACCESS EXCLUSIVE'));
        const state = await tableState(client, job.table);
        if (state.oid !== job.relid || state.attached) throw new Error(`${name} is no longer the detached table that was archived; not dropping it`);
        const now = await digestOnSession(client, spec);
        if (now.rows !== manifest.rows || now.rawSha256 !== manifest.uncompressedSha256) {
          throw new ChangedSinceExport(`${name} changed after its export (${now.rows} rows now, ${manifest.rows} archived${now.rows === manifest.rows ? ', other content' : ''}); archiving it again`);
        }
        await client.query(dropSql(job.table));
      });
      return { value: true, attempts: r.attempts, rows: manifest.rows };
    });
    return true;
  } catch (err) {
    if (err instanceof Error && err.cause instanceof ChangedSinceExport) return false;
    throw err;
  }
}
