import { PassThrough, Transform, Writable } from 'node:stream';
import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { to as copyTo, type CopyToStreamQuery } from 'pg-copy-streams';
import type { DatabaseConfig } from '../config/types.js';
import { connect } from '../db/connect.js';
import { withLockRetries } from '../db/retry.js';
import { compressor, decompressor, type Compression } from './compression.js';
import { failpoint, pauseStream } from '../testing/faults.js';
import { CsvRecordCounter } from './csv-records.js';
import { HashingStream } from './hash-stream.js';
import { VERSION } from '../version.js';
import type { Storage } from './storage.js';
import type { ArchivedColumn } from './table-shape.js';
import { copyOutSql, lockTableSql, parquetCopySql } from '../sql/copy.js';
import type { ParquetColumn } from '../model/parquet-types.js';
import { CopyBinaryRows } from './copy-binary.js';
import { ParquetEncoder, type ParquetCodec, type ParquetStats } from './parquet-encode.js';

export interface ExportResult {
  readonly rows: number;
  /** format parquet: the file's column ranges. */
  readonly parquetStats?: ParquetStats;
  /** Size and sha256 of the object as stored (compressed). */
  readonly bytes: number;
  readonly sha256: string;
  /** sha256 of the COPY output before compression: what identifies the data across zlib versions. */
  readonly rawSha256: string;
}

export interface ExportSpec {
  readonly db: DatabaseConfig;
  readonly table: { schema: string; name: string };
  readonly columns: readonly ArchivedColumn[];
  readonly format: 'csv' | 'binary' | 'parquet';
  /** Of the object (parquet: none, it compresses inside). */
  readonly compression: Compression;
  /** format parquet: the columns as the encoder writes them, its codec and row group size. */
  readonly parquet?: { readonly columns: readonly ParquetColumn[]; readonly codec: ParquetCodec; readonly rowGroupRows: number };
  /** Compression level (default per algorithm, see DEFAULT_LEVEL). */
  readonly level?: number;
  /** The table is itself partitioned: COPY (SELECT ...) reads through its partitions. */
  readonly partitioned: boolean;
  /**
   * A distributed Citus table (CSV only): Citus streams COPY ... TO STDOUT shard by shard, in shard
   * order (so two exports of unchanged shards hash alike), but counts the header line as a row;
   * the rows are counted in the stream instead.
   */
  readonly distributed?: boolean;
  /** Called as COPY bytes flow (progress logs). */
  readonly onProgress?: (copyBytes: number) => void;
  /**
   * Leader fencing for storage writes: checked before the export starts and once more after the
   * last byte, before the object is completed; a replica that lost leadership meanwhile aborts
   * its upload (no object appears).
   */
  readonly fence?: () => Promise<void>;
}

/**
 * Makes a COPY of an unchanged table return the same bytes every time: no synchronized scan
 * (which starts a seq scan wherever another one is) and no parallel workers (which interleave
 * rows). Two exports of the same rows then hash alike, and the drop can prove a table unchanged.
 */
export async function deterministicScans(client: pg.Client): Promise<void> {
  await client.query('SET LOCAL synchronize_seqscans = off');
  await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
}

/** The COPY statement of an export (generated columns are left out: PostgreSQL recomputes them on restore). */
export function exportCopySql(spec: ExportSpec): string {
  if (spec.format === 'parquet') return parquetCopySql(spec.table, spec.parquet!.columns);
  return copyOutSql(spec.table, spec.columns.filter((c) => !c.generated).map((c) => c.name), spec.format, spec.partitioned);
}

/**
 * Streams the table out with COPY on a dedicated session (statement_timeout off: a slow store
 * pauses the socket and the COPY must not be killed for it), under a SHARE lock so no writer can
 * change it meanwhile, through compression and a sha256/byte counter into `sink`. Memory stays
 * bounded: backpressure reaches PostgreSQL through the paused socket.
 */
async function streamOut(spec: ExportSpec, sink: (body: PassThrough, signal: AbortSignal) => Promise<unknown>): Promise<ExportResult> {
  await spec.fence?.();
  const client = await connect({ ...spec.db, statementTimeoutMs: 0 }, 'partwarden-export');
  const abort = new AbortController();
  let ok = false;
  try {
    // the SHARE lock waits at most lock_timeout, and is asked for again (bounded) like any DDL's
    await withLockRetries({ attempts: spec.db.lockRetries, baseDelayMs: spec.db.retryDelayMs }, async () => {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL lock_timeout = ${Math.round(spec.db.lockTimeoutMs)}`);
        await deterministicScans(client);
        await client.query(lockTableSql(spec.table, 'SHARE'));
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    const copy = client.query(copyTo(exportCopySql(spec)));
    const complete = copyCompletion(client, copy);
    complete.catch(() => undefined); // observed by the gate; the pipeline reports the failure
    const raw = new HashingStream();
    reportProgress(spec, raw);
    const records = recordsOf(spec, raw);
    const hasher = new HashingStream();
    hasher.once('data', () => failpoint('mid:export'));
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const { transforms, encoder } = encodingStages(spec);
    const encoded = transforms.length > 0;
    // The gate holds the end of the object back until PostgreSQL confirmed the COPY: a COPY cut
    // short (backend terminated, server restart) must never become a complete-looking object.
    // It also holds it back until the fence passed: a deposed leader's upload never completes.
    const gate = new Transform({
      transform: (chunk, _enc, cb) => cb(null, chunk),
      flush: (cb) => void complete.then(() => spec.fence?.()).then(() => cb(), cb),
    });
    const pause = pauseStream('mid:export');
    // stored as they come (no compression), the COPY bytes are hashed once
    const stages: NodeJS.ReadWriteStream[] = [...(pause ? [pause] : []), raw, ...(encoded ? [...transforms, hasher] : []), gate, body];
    if (!encoded) raw.once('data', () => failpoint('mid:export'));
    const produce = pipeline([copy, ...stages], { signal: abort.signal });
    const consume = sink(body, abort.signal);
    try {
      await Promise.all([produce, consume]);
    } catch (err) {
      abort.abort();
      body.destroy();
      // bounded: a store that stopped answering must not keep the job (or its lock) forever
      await Promise.race([Promise.allSettled([produce, consume]), new Promise((r) => setTimeout(r, 10_000).unref())]);
      throw err;
    }
    await client.query('COMMIT');
    ok = true;
    const rawSha256 = raw.digest();
    const rows = encoder?.rows ?? records?.() ?? copy.rowCount;
    return { rows, bytes: encoded ? hasher.bytes : raw.bytes, sha256: encoded ? hasher.digest() : rawSha256, rawSha256, ...(encoder ? { parquetStats: encoder.stats } : {}) };
  } finally {
    // A connection whose COPY failed half-way is never reused: end it (bounded wait).
    if (!ok) await client.query('ROLLBACK').catch(() => undefined);
    await Promise.race([client.end().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}

/**
 * A Parquet row group also ends once its fields hold this many bytes (before rowGroupRows): the
 * memory of an export follows it for wide rows (bench/parquet-memory.ts: 1 KB rows peaked at
 * 209-222 MiB with 8 MB groups, 166-172 MiB with 4 MB; docs/performance.md).
 */
export const PARQUET_ROW_GROUP_BYTES = 4 << 20;

/** What turns the COPY bytes into the stored object: a compressor, the Parquet encoder (rows, then row groups), or nothing. */
function encodingStages(spec: ExportSpec): { transforms: Transform[]; encoder?: ParquetEncoder } {
  if (spec.format === 'parquet') {
    const p = spec.parquet!;
    const encoder = new ParquetEncoder({ columns: p.columns, codec: p.codec, rowGroupRows: p.rowGroupRows, rowGroupBytes: PARQUET_ROW_GROUP_BYTES, createdBy: `partwarden ${VERSION}` });
    return { transforms: [new CopyBinaryRows(), encoder], encoder };
  }
  const gz = compressor(spec.compression, spec.level);
  return { transforms: gz ? [gz] : [] };
}

/**
 * Resolves when PostgreSQL reported the COPY complete (CommandComplete), rejects when the
 * stream or the connection failed first. pg-copy-streams ends the stream at CopyDone, before
 * CommandComplete, so the end of the stream alone proves nothing.
 */
function copyCompletion(client: pg.Client, copy: CopyToStreamQuery): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const hooks = copy as unknown as { handleCommandComplete(msg: unknown): void };
    const original = hooks.handleCommandComplete.bind(copy);
    const ended = () => fail(new Error('the database connection ended before COPY completed'));
    // listeners on the client are removed once settled: a long-lived session must not collect them
    const settle = () => {
      client.off('error', fail);
      client.off('end', ended);
    };
    function fail(err: Error) {
      settle();
      reject(err);
    }
    hooks.handleCommandComplete = (msg: unknown) => {
      original(msg);
      settle();
      resolve();
    };
    copy.once('error', fail);
    client.once('error', fail);
    client.once('end', ended);
  });
}

/** Exports the table into storage under `key` (which must not exist yet). */
export async function exportToStorage(spec: ExportSpec, storage: Storage, key: string, sizeHint: number): Promise<ExportResult> {
  return streamOut(spec, async (body, signal) => {
    // a Parquet object is several times smaller than its table and produced at a few MB/s: one
    // 8 MiB part in flight is enough, and keeps the upload's buffers to 16 MiB (csv/binary: 64 MiB)
    const slow = spec.format === 'parquet' ? { queueSize: 1, minPartMiB: 8 } : {};
    const r = await storage.put(key, body, { contentType: contentType(spec), sizeHint, signal, ...slow });
    if (r === 'exists') throw new Error(`${key} appeared in storage while exporting; not overwriting it`);
  });
}

/**
 * The table's rows and the sha256 of its COPY output, read on `client` inside the caller's
 * transaction (which holds the lock that keeps it unchanged): the drop's proof that the table is
 * what its archive holds. The caller must have run deterministicScans() in that transaction.
 */
export async function digestOnSession(client: pg.Client, spec: ExportSpec): Promise<{ rows: number; rawSha256: string }> {
  const copy = client.query(copyTo(exportCopySql(spec)));
  const complete = copyCompletion(client, copy);
  const raw = new HashingStream();
  const records = recordsOf(spec, raw);
  await pipeline(copy, raw, new Writable({ write: (_c, _e, cb) => cb() }));
  await complete;
  return { rows: records?.() ?? copy.rowCount, rawSha256: raw.digest() };
}

/** Export progress (COPY bytes so far) as they flow through `raw`. */
function reportProgress(spec: ExportSpec, raw: HashingStream): void {
  const report = spec.onProgress;
  if (!report) return;
  let n = 0;
  raw.on('data', (c: Buffer) => report((n += c.length)));
}

/** For a distributed table: the data rows of the CSV flowing through `raw` (its records but the header). */
function recordsOf(spec: ExportSpec, raw: HashingStream): (() => number) | undefined {
  if (!spec.distributed) return undefined;
  const counter = new CsvRecordCounter();
  raw.on('data', (c: Buffer) => counter.push(c));
  return () => Math.max(0, counter.records - 1);
}

function contentType(spec: ExportSpec): string {
  if (spec.format === 'parquet') return 'application/vnd.apache.parquet';
  const base = spec.format === 'csv' ? 'text/csv' : 'application/octet-stream';
  return spec.compression === 'none' ? base : 'application/octet-stream';
}

/** sha256 and size of an object as stored, and sha256 of its decompressed content (a full re-read). */
export async function digestObject(storage: Storage, key: string, compression: Compression): Promise<{ sha256: string; bytes: number; rawSha256: string }> {
  const stored = new HashingStream();
  const raw = new HashingStream();
  const unzip = decompressor(compression);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(unzip ? [await storage.get(key), stored, unzip, raw, sink] : [await storage.get(key), stored, raw, sink]);
  const sha256 = stored.digest();
  return { sha256, bytes: stored.bytes, rawSha256: unzip ? raw.digest() : sha256 };
}
