/**
 * The archive and restore measurements, shared by `npm run bench:archive` (embedded PostgreSQL)
 * and `npm run bench` (side by side with pg_partman, on Debian's PostgreSQL 15).
 *
 * Export: partwarden's pipeline (COPY on its own session under a SHARE lock, sha256, optional
 * gzip, file storage with fsync) against the physical limit measured in the same run: `COPY ...
 * TO STDOUT` read by Node into /dev/null. Restore: partwarden's streamIn (read, sha256, gunzip,
 * `COPY FROM`) into a table created in the same transaction, against raw `COPY FROM` of the
 * uncompressed file into a table created the same way. Every scenario runs `repeat` times,
 * interleaved with its raw baseline; medians are reported (single runs on a small VM vary ±20 %).
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { DEFAULT_LEVEL, extension, type Compression } from '../src/archive/compression.js';
import { zstdAvailable } from '../src/model/runtime.js';
import { exportToStorage, type ExportSpec } from '../src/archive/export.js';
import { FileStorage } from '../src/archive/file-storage.js';
import { streamIn } from '../src/archive/restore.js';
import { readColumns } from '../src/archive/table-shape.js';
import type { DatabaseConfig } from '../src/config/types.js';
import { textTable } from '../src/text-table.js';
import { medianBy } from './stats.js';

/** What the bench compares: zstd too where the runtime has it (Node.js >= 22.15). */
const COMPRESSIONS: readonly Compression[] = zstdAvailable() ? ['none', 'gzip', 'zstd'] : ['none', 'gzip'];

export interface ArchiveRun {
  scenario: string;
  kind: 'export' | 'restore';
  seconds: number;
  rows: number;
  /** Uncompressed COPY bytes moved (the same for every scenario of a kind). */
  copyBytes: number;
  storedBytes: number;
  /** Share of the raw baseline of the same kind (1 = as fast as raw COPY). */
  ofRaw: number;
  peakRssMb: number;
  /** CPU seconds of this process (main thread and thread pool: COPY protocol, sha256, gzip, writes). */
  nodeCpuSeconds: number;
  /** Share of the whole machine's CPU in use during the run (all cores; 1 = CPU-bound). */
  machineBusy: number;
}

export interface ArchiveBenchResult {
  partitionBytesOnDisk: number;
  rows: number;
  copyBytes: number;
  runs: ArchiveRun[];
}

/** What a run moved: rows, and bytes (the COPY output, or the stored object). */
type Sized = { rows: number; bytes: number };

interface Measured<T> {
  value: T;
  seconds: number;
  peakRssMb: number;
  nodeCpuSeconds: number;
  machineBusy: number;
}

/** Busy and total jiffies of all cores, from /proc/stat (undefined where there is none). */
function machineTicks(): { busy: number; total: number } | undefined {
  if (!existsSync('/proc/stat')) return undefined;
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

/** Time, peak RSS (sampled every 50 ms), this process's CPU and the machine's CPU use while `work` runs. */
async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const m0 = machineTicks();
  try {
    const value = await work();
    const cpu = process.cpuUsage(cpu0);
    const m1 = machineTicks();
    return {
      value,
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      peakRssMb: Math.max(peak, process.memoryUsage().rss) / 1048576,
      nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
      machineBusy: m0 && m1 && m1.total > m0.total ? (m1.busy - m0.busy) / (m1.total - m0.total) : Number.NaN,
    };
  } finally {
    clearInterval(timer);
  }
}

/** The median run by time, with the highest peak RSS of all of them. */
function summary<T>(reps: ReadonlyArray<Measured<T>>): Measured<T> {
  return { ...medianBy(reps, (x) => x.seconds), peakRssMb: Math.max(...reps.map((x) => x.peakRssMb)) };
}

/** `repeat` measured runs of `work`, each followed by one run of `baseline` (interleaved: a VM drifts), summarized. */
async function interleaved<T>(repeat: number, work: (i: number) => Promise<Measured<T>>, baseline: () => Promise<void>): Promise<Measured<T>> {
  const reps: Array<Measured<T>> = [];
  for (let i = 0; i < repeat; i++) {
    reps.push(await work(i));
    await baseline();
  }
  return summary(reps);
}

/** `<schema>.big_old`: ~250 bytes per row on disk (ids, a timestamp, a number, hex text; gzip makes it ~5 times smaller). */
async function createPartition(sql: pg.Client, schema: string, sizeMb: number, log: (line: string) => void): Promise<void> {
  const rows = Math.ceil((sizeMb * 1048576) / 250);
  log(`creating a ${sizeMb} MB partition (${rows} rows)...`);
  await sql.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await sql.query(`CREATE TABLE ${schema}.big (id bigint, ts timestamptz NOT NULL, amount numeric(12,2), body text) PARTITION BY RANGE (ts)`);
  await sql.query(`CREATE TABLE ${schema}.big_old PARTITION OF ${schema}.big FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')`);
  for (let start = 1; start <= rows; start += 500_000) {
    const end = Math.min(rows, start + 499_999);
    await sql.query(`INSERT INTO ${schema}.big_old SELECT g, '2024-01-01'::timestamptz + (g % 86400) * interval '1 second', (g % 100000) / 100.0,
                     md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g % 1000)::text) || repeat('ab', 40)
                     FROM generate_series(${start}, ${end}) g`);
  }
  await sql.query(`VACUUM ANALYZE ${schema}.big_old`);
}

export async function archiveBench(o: { url: string; sizeMb: number; repeat: number; schema?: string; log: (line: string) => void }): Promise<ArchiveBenchResult> {
  const schema = o.schema ?? 'archive_bench';
  const table = `${schema}.big_old`;
  const sql = new pg.Client(o.url);
  await sql.connect();
  const diskDir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-archive-'));
  // The pipeline's own cost is measured with file storage in memory (tmpfs): /dev/null has no
  // "object". The same on disk adds the disk's write speed and the fsync that makes it durable.
  const memDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/pw-bench-archive-') : undefined;
  try {
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await createPartition(sql, schema, o.sizeMb, o.log);
    const onDisk = Number((await sql.query<{ s: string }>(`SELECT pg_total_relation_size('${table}') AS s`)).rows[0]!.s);
    const columns = await readColumns(sql, { schema, name: 'big_old' });
    const db: DatabaseConfig = { name: 'bench', url: o.url, lockTimeoutMs: 2000, statementTimeoutMs: 0, lockRetries: 1, retryDelayMs: 100 };

    // the physical limits: COPY TO STDOUT read into /dev/null; COPY FROM of the plain file
    const rawExport = () =>
      measured(async () => {
        const c = new pg.Client(o.url);
        await c.connect();
        let bytes = 0;
        const copy = c.query(copyTo(`COPY ${table} TO STDOUT (FORMAT csv, HEADER true)`));
        await pipeline(copy, new Writable({ write: (chunk: Buffer, _e, cb) => ((bytes += chunk.length), cb()) }));
        await c.end();
        return { rows: copy.rowCount, bytes };
      });
    const intoFreshTable = async <T>(load: (c: pg.Client) => Promise<T>): Promise<T> => {
      const c = new pg.Client(o.url);
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query(`CREATE TABLE ${schema}.restored (LIKE ${table})`);
        const r = await load(c);
        await c.query('COMMIT');
        return r;
      } finally {
        await c.query(`DROP TABLE IF EXISTS ${schema}.restored`).catch(() => undefined);
        await c.end();
      }
    };
    const copyInSql = `COPY ${schema}.restored FROM STDIN (FORMAT csv, HEADER true)`;

    const rawExports: Array<Measured<Sized>> = [await rawExport()];
    const copyBytes = rawExports[0]!.value.bytes;
    const rows = rawExports[0]!.value.rows;
    /** One row of the table; `stored`: report the object's size (not for raw baselines). */
    const runOf = (scenario: string, kind: ArchiveRun['kind'], m: Measured<Sized>, raw: Measured<unknown>, stored: boolean): ArchiveRun => ({
      scenario, kind, seconds: m.seconds, rows: m.value.rows, copyBytes, storedBytes: stored ? m.value.bytes : 0, ofRaw: raw.seconds / m.seconds,
      peakRssMb: m.peakRssMb, nodeCpuSeconds: m.nodeCpuSeconds, machineBusy: m.machineBusy,
    });

    const stores = memDir ? [['file storage on tmpfs', memDir], ['file storage on disk (fsync)', diskDir]] : [['file storage on disk (fsync)', diskDir]];
    const kept: Partial<Record<Compression, string>> = {}; // one archive per compression, for the restore runs
    const exports: Array<{ scenario: string; result: Measured<Sized> }> = [];
    for (const [where, dir] of stores) {
      for (const compression of COMPRESSIONS) {
        const storage = new FileStorage(dir!);
        const spec: ExportSpec = { db, table: { schema, name: 'big_old' }, columns, format: 'csv', compression, partitioned: false };
        const result = await interleaved(
          o.repeat,
          async (i) => {
            const key = `bench/${compression}/${i}/${extension('csv', compression)}`;
            const m = await measured(() => exportToStorage(spec, storage, key, onDisk));
            if (dir === stores[0]![1] && i === o.repeat - 1) kept[compression] = path.join(dir!, key);
            else rmSync(path.join(dir!, key), { force: true });
            return m;
          },
          async () => void rawExports.push(await rawExport()),
        );
        const level = DEFAULT_LEVEL[compression];
        exports.push({ scenario: `archive csv, ${compression}${level ? ` (level ${level})` : ''} -> ${where}`, result });
      }
    }
    const rawOut = summary(rawExports);
    const runs: ArchiveRun[] = [
      runOf(`raw COPY TO STDOUT -> /dev/null (median of ${rawExports.length})`, 'export', rawOut, rawOut, false),
      ...exports.map((e) => runOf(e.scenario, 'export', e.result, rawOut, true)),
    ];

    // restore: the kept archives back into a new table, against raw COPY FROM of the plain file
    const plain = kept.none!;
    const rawImport = () =>
      measured(() =>
        intoFreshTable(async (c): Promise<Sized> => {
          const copy = c.query(copyFrom(copyInSql));
          await pipeline(createReadStream(plain), copy);
          return { rows: copy.rowCount, bytes: 0 };
        }),
      );
    const rawImports = [await rawImport()];
    const restores: Array<{ scenario: string; result: Measured<Sized> }> = [];
    for (const compression of COMPRESSIONS) {
      const file = kept[compression]!;
      const result = await interleaved(
        o.repeat,
        () => measured(() => intoFreshTable((c) => streamIn(c, copyInSql, createReadStream(file), compression))),
        async () => void rawImports.push(await rawImport()),
      );
      restores.push({ scenario: `restore csv, ${compression} <- ${stores[0]![0]}`, result });
    }
    const rawIn = summary(rawImports);
    runs.push(runOf(`raw COPY FROM STDIN <- plain file (median of ${rawImports.length})`, 'restore', rawIn, rawIn, false), ...restores.map((r) => runOf(r.scenario, 'restore', r.result, rawIn, true)));
    await sql.query(`DROP SCHEMA ${schema} CASCADE`);
    return { partitionBytesOnDisk: onDisk, rows, copyBytes, runs };
  } finally {
    await sql.end();
    rmSync(diskDir, { recursive: true, force: true });
    if (memDir) rmSync(memDir, { recursive: true, force: true });
  }
}

/** The printed table of an archive bench. */
export function archiveTable(r: ArchiveBenchResult): string[] {
  const rows = [['scenario', 'rows/s', 'COPY MB/s', 'stored MB', '% of raw', 'peak RSS MB', 'Node CPU s/GB', 'machine CPU']];
  for (const x of r.runs) {
    rows.push([
      x.scenario,
      Math.round(x.rows / x.seconds).toLocaleString('en-US'),
      (x.copyBytes / 1048576 / x.seconds).toFixed(1),
      x.storedBytes ? (x.storedBytes / 1048576).toFixed(0) : '-',
      `${(x.ofRaw * 100).toFixed(0)} %`,
      x.peakRssMb.toFixed(0),
      (x.nodeCpuSeconds / (x.copyBytes / 1073741824)).toFixed(2),
      Number.isNaN(x.machineBusy) ? '-' : `${(x.machineBusy * 100).toFixed(0)} %`,
    ]);
  }
  return [`partition on disk: ${(r.partitionBytesOnDisk / 1048576).toFixed(0)} MB, ${r.rows} rows, COPY output ${(r.copyBytes / 1048576).toFixed(0)} MB`, ...textTable(rows)];
}
