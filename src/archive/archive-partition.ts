import type pg from 'pg';
import type { ArchiveSpec, DatabaseConfig } from '../config/types.js';
import { quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../planner/actions.js';
import { VERSION } from '../version.js';
import { extension } from './compression.js';
import { copyOutSql, digestObject, exportDigest, exportToStorage, type ExportResult, type ExportSpec } from './export.js';
import { parseManifest, renderManifest, type ArchiveManifest } from './manifest.js';
import { partitionPrefix, type Storage } from './storage.js';
import { createTableDdl, readColumns, readPartitioning, restoreDdl } from './table-shape.js';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

/** Raised when an archive must stop for good until a person looks (SPEC rule archive_failed). */
export class ArchiveConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveConflictError';
  }
}

type StepFn = <T>(name: string, sql: string, final: boolean, run: () => Promise<{ value: T; attempts: number; rows?: number }>) => Promise<T>;

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
  /** Export progress (COPY bytes so far), for logs. */
  readonly onProgress?: (copyBytes: number) => void;
}

export function archiveKeys(database: string, parent: PartitionRef, partition: string, spec: Pick<ArchiveSpec, 'format' | 'compression'>) {
  const prefix = partitionPrefix(database, parent.schema, parent.name, partition);
  return { prefix, data: prefix + extension(spec.format, spec.compression), manifest: prefix + 'manifest.json' };
}

async function readManifest(storage: Storage, key: string): Promise<ArchiveManifest | undefined> {
  if (!(await storage.head(key))) return undefined;
  return parseManifest(await text(await storage.get(key)), key);
}

/**
 * Archives one detached table: export (COPY, streamed, hashed, counted) -> upload -> verify ->
 * manifest (the commit marker, written last) -> drop. Every step is idempotent and re-derived
 * from storage and the catalog, so a crash anywhere resumes on the next run:
 * - manifest present and matching: only the drop is left;
 * - data object present without manifest: the table is exported again to hash it; the same
 *   sha256 means the object is ours and complete, a different one halts (never overwrite);
 * - nothing stored: export and upload.
 * The table is dropped only after the manifest is written and read back, with its row count
 * re-checked under ACCESS EXCLUSIVE in the dropping transaction.
 */
export async function archivePartition(job: ArchiveJob): Promise<ArchiveManifest> {
  const { client, storage, spec, table } = job;
  const keys = archiveKeys(job.database, job.parent, table.name, spec);
  const kind = await client.query<{ relkind: string }>('SELECT relkind::text FROM pg_class WHERE oid = $1', [job.relid]);
  const exportSpec: ExportSpec = {
    db: job.db,
    table,
    columns: await readColumns(client, table),
    format: spec.format,
    compression: spec.compression,
    level: spec.compressionLevel,
    partitioned: kind.rows[0]?.relkind === 'p',
    ...(job.onProgress ? { onProgress: job.onProgress } : {}),
  };
  const copySql = copyOutSql(exportSpec);
  const partitioning = exportSpec.partitioned ? await readPartitioning(client, job.relid) : undefined;

  let manifest = await readManifest(storage, keys.manifest);
  if (!manifest) {
    const exported = await job.step('export', copySql, false, async () => {
      const value = await ensureDataObject(job, exportSpec, keys.data);
      return { value, attempts: 1, rows: value.rows };
    });
    await job.step('verify', `verify ${spec.verify} ${storage.location}/${keys.data}`, false, async () => {
      await verifyObject(storage, keys.data, exported, spec.verify);
      return { value: true, attempts: 1 };
    });
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const m: ArchiveManifest = {
      formatVersion: 1,
      policy: job.policy,
      database: job.database,
      schema: job.parent.schema,
      parent: job.parent.name,
      partition: table.name,
      bounds: job.boundSql,
      columns: exportSpec.columns,
      ddl: partitioning ? restoreDdl(table, table.name, exportSpec.columns, partitioning).join(';\n') + ';' : createTableDdl(table, exportSpec.columns),
      ...(partitioning ? { partitioning } : {}),
      copyOptions: spec.format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT binary)',
      dataObject: keys.data.slice(keys.prefix.length),
      rows: exported.rows,
      bytes: exported.bytes,
      sha256: exported.sha256,
      uncompressedSha256: exported.rawSha256,
      format: spec.format,
      compression: spec.compression,
      postgresVersion: version,
      partwardenVersion: VERSION,
      archivedAt: new Date().toISOString(),
    };
    manifest = await job.step('manifest', `write ${storage.location}/${keys.manifest}`, spec.afterArchive === 'keep', async () => {
      const r = await storage.put(keys.manifest, Readable.from([Buffer.from(renderManifest(m))]), { contentType: 'application/json' });
      const back = await readManifest(storage, keys.manifest);
      if (!back || back.sha256 !== m.sha256 || back.rows !== m.rows) {
        throw new ArchiveConflictError(`${keys.manifest} ${r === 'exists' ? 'already exists and describes other data' : 'did not read back as written'}; not dropping ${table.name}`);
      }
      return { value: back, attempts: 1 };
    });
  } else {
    // A manifest is already there (a crash before DROP, or an archive of an older table with the
    // same name): drop only if it holds exactly this table's data.
    if (manifest.partition !== table.name || manifest.schema !== job.parent.schema || manifest.parent !== job.parent.name) {
      throw new ArchiveConflictError(`${keys.manifest} describes ${manifest.schema}.${manifest.parent}/${manifest.partition}, not this partition`);
    }
    const found = manifest;
    await job.step('verify', `verify ${spec.verify} ${storage.location}/${keys.prefix}${found.dataObject}`, spec.afterArchive === 'keep', async () => {
      const mine = await exportDigest(exportSpec);
      if (mine.rawSha256 !== found.uncompressedSha256 || mine.rows !== found.rows) {
        throw new ArchiveConflictError(
          `${storage.location}/${keys.manifest} already exists for other data (${found.rows} rows archived ${found.archivedAt}; this table has ${mine.rows} rows with different content); not overwriting it and not dropping ${table.name}`,
        );
      }
      await verifyObject(storage, keys.prefix + found.dataObject, found, spec.verify);
      return { value: true, attempts: 1 };
    });
  }
  if (spec.afterArchive === 'drop') await dropArchived(job, manifest);
  return manifest;
}

/** Makes sure the data object holds exactly this table's export; returns its digest. */
async function ensureDataObject(job: ArchiveJob, spec: ExportSpec, key: string): Promise<ExportResult> {
  const existing = await job.storage.head(key);
  if (!existing) {
    // an upload a crashed run left half-done under this very key is ours: abort it first
    await job.storage.abortStaleUploads(key, 0);
    const sizeHint = Number((await job.client.query<{ s: string }>('SELECT pg_total_relation_size($1::oid)::text AS s', [job.relid])).rows[0]!.s);
    return exportToStorage(spec, job.storage, key, sizeHint);
  }
  // Compare decompressed content: the same rows may compress to other bytes under another zlib.
  const mine = await exportDigest(spec);
  const stored = await digestObject(job.storage, key, spec.compression).catch((err: unknown) => {
    throw new ArchiveConflictError(`${job.storage.location}/${key} already exists and cannot be read as ${spec.compression} (${(err as Error).message}); not overwriting it and not dropping ${spec.table.name}`);
  });
  if (mine.rawSha256 !== stored.rawSha256) {
    throw new ArchiveConflictError(
      `${job.storage.location}/${key} already exists with different content (sha256 ${stored.rawSha256.slice(0, 12)}… uncompressed; ` +
        `this table exports to ${mine.rawSha256.slice(0, 12)}…); not overwriting it and not dropping ${spec.table.name}`,
    );
  }
  return { rows: mine.rows, bytes: stored.bytes, sha256: stored.sha256, rawSha256: stored.rawSha256 };
}

/** Size check (checksum), plus a full re-read and re-hash (full). */
async function verifyObject(storage: Storage, key: string, expected: { bytes: number; sha256: string }, mode: ArchiveSpec['verify']): Promise<void> {
  const head = await storage.head(key);
  if (!head) throw new Error(`verification failed: ${key} is missing from ${storage.location}`);
  if (head.size !== expected.bytes) throw new Error(`verification failed: ${key} has ${head.size} bytes, expected ${expected.bytes}`);
  if (mode === 'full') {
    const d = await digestObject(storage, key, 'none');
    if (d.sha256 !== expected.sha256) throw new Error(`verification failed: ${key} sha256 ${d.sha256} != ${expected.sha256}`);
  }
}

/** DROP under ACCESS EXCLUSIVE, only if it is the same table and still has exactly the archived rows. */
async function dropArchived(job: ArchiveJob, manifest: ArchiveManifest): Promise<void> {
  const name = quoteQualified(job.table.schema, job.table.name);
  await job.step('drop', `DROP TABLE ${name}`, true, async () => {
    const { client } = job;
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = ${Math.round(job.db.lockTimeoutMs)}`);
      await client.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
      const row = (await client.query<{ oid: string; attached: boolean }>('SELECT oid::int8 AS oid, relispartition AS attached FROM pg_class WHERE oid = to_regclass($1)', [name])).rows[0];
      if (!row || Number(row.oid) !== job.relid || row.attached) throw new ArchiveConflictError(`${name} is no longer the detached table that was archived; not dropping it`);
      const count = Number((await client.query<{ n: string }>(`SELECT count(*)::int8 AS n FROM ${name}`)).rows[0]!.n);
      if (count !== manifest.rows) throw new ArchiveConflictError(`${name} has ${count} rows but its archive has ${manifest.rows}; not dropping it`);
      await client.query(`DROP TABLE ${name}`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    return { value: true, attempts: 1, rows: manifest.rows };
  });
}
