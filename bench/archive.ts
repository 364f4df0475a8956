/**
 * bench/archive: archive a partition of >= 1 GB on disk and compare with the raw speed of
 * `COPY ... TO STDOUT` into /dev/null measured in the same run (the physical limit here).
 * Prints a table and writes bench/results/archive.json.
 *
 *   npm run bench:archive            (SIZE_MB=1024 by default; PW_PG_VERSION=18)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DEFAULT_LEVEL, type Compression } from '../src/archive/compression.js';
import { exportToStorage, type ExportResult, type ExportSpec } from '../src/archive/export.js';
import { FileStorage } from '../src/archive/file-storage.js';
import { readColumns } from '../src/archive/table-shape.js';
import type { DatabaseConfig } from '../src/config/types.js';
import { startDevPostgres } from '../src/dev/embedded-pg.js';

const SIZE_MB = Number(process.env.SIZE_MB ?? 1024);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  scenario: string;
  seconds: number;
  rows: number;
  copyBytes: number;
  storedBytes: number;
  peakRssMb: number;
}

/** Peak RSS of this process while `work` runs (sampled every 50 ms, plus the kernel's high-water mark delta). */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = process.hrtime.bigint();
  try {
    const value = await work();
    return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-archive-'));
  const cleanup: Array<() => void> = [];
  try {
    await server.createDatabase('bench');
    const url = server.url('bench');
    const sql = new pg.Client(url);
    await sql.connect();
    // ~250 bytes per row on disk: ids, a timestamp, a number and hex text (gzip makes it about 5 times smaller)
    const rows = Math.ceil((SIZE_MB * 1048576) / 250);
    process.stdout.write(`creating a ${SIZE_MB} MB partition (${rows} rows)...\n`);
    await sql.query(`CREATE TABLE public.big (id bigint, ts timestamptz NOT NULL, amount numeric(12,2), body text) PARTITION BY RANGE (ts)`);
    await sql.query(`CREATE TABLE public.big_old PARTITION OF public.big FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')`);
    const batch = 500_000;
    for (let start = 1; start <= rows; start += batch) {
      const end = Math.min(rows, start + batch - 1);
      await sql.query(`INSERT INTO public.big_old SELECT g, '2024-01-01'::timestamptz + (g % 86400) * interval '1 second', (g % 100000) / 100.0,
                       md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g % 1000)::text) || repeat('ab', 40)
                       FROM generate_series(${start}, ${end}) g`);
    }
    await sql.query('VACUUM ANALYZE public.big_old');
    const onDisk = Number((await sql.query(`SELECT pg_total_relation_size('public.big_old') AS s`)).rows[0].s);
    const columns = await readColumns(sql, { schema: 'public', name: 'big_old' });

    const runs: Run[] = [];
    // 1. the physical limit: COPY TO STDOUT straight into /dev/null, same session settings
    const rawCopy = () => measured(async () => {
      const c = new pg.Client(url);
      await c.connect();
      let bytes = 0;
      const copy = c.query(copyTo('COPY public.big_old TO STDOUT (FORMAT csv, HEADER true)'));
      await pipeline(copy, new Writable({ write: (chunk: Buffer, _e, cb) => ((bytes += chunk.length), cb()) }));
      await c.end();
      return { rows: copy.rowCount, bytes };
    });
    // Each scenario runs REPEAT times, interleaved with raw COPY runs; medians are reported
    // (on a small VM single runs vary by +-20%).
    const REPEAT = Number(process.env.REPEAT ?? 3);
    const median = <T>(xs: T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
    const rawRuns: Array<Awaited<ReturnType<typeof rawCopy>>> = [];
    rawRuns.push(await rawCopy());
    const raw = { seconds: 0, value: rawRuns[0]!.value };

    const db: DatabaseConfig = { name: 'bench', url, lockTimeoutMs: 2000, statementTimeoutMs: 0, lockRetries: 1, retryDelayMs: 100 };
    // The pipeline's own cost is measured with file storage in memory (tmpfs): /dev/null has no
    // "object". The same on disk adds the disk's write speed and the fsync that makes it durable.
    const memDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/pw-bench-archive-') : undefined;
    cleanup.push(() => memDir && rmSync(memDir, { recursive: true, force: true }));
    const targets: Array<[string, string]> = [...(memDir ? [['file storage on tmpfs', memDir] as [string, string]] : []), ['file storage on disk (fsync)', storageDir]];
    const scenarios: Array<[Compression, string, string]> = [];
    for (const c of ['none', 'gzip'] as const) scenarios.push([c, ...targets[0]!]);
    if (memDir) scenarios.push(['none', ...targets[1]!], ['gzip', ...targets[1]!]);
    for (const [compression, where, dir] of scenarios) {
      const storage = new FileStorage(dir);
      const spec: ExportSpec = { db, table: { schema: 'public', name: 'big_old' }, columns, format: 'csv', compression, partitioned: false };
      const reps: Array<{ value: ExportResult; seconds: number; peakRssMb: number }> = [];
      for (let i = 0; i < REPEAT; i++) {
        const key = `bench/${compression}/${runs.length}-${i}/data.csv${compression === 'gzip' ? '.gz' : ''}`;
        reps.push(await measured(() => exportToStorage(spec, storage, key, onDisk)));
        rmSync(path.join(dir, 'bench'), { recursive: true, force: true });
        rawRuns.push(await rawCopy());
      }
      const r = { ...median(reps, (x) => x.seconds), peakRssMb: Math.max(...reps.map((x) => x.peakRssMb)) };
      const level = DEFAULT_LEVEL[compression];
      runs.push({ scenario: `archive csv, ${compression}${level ? ` (level ${level})` : ''} -> ${where}`, seconds: r.seconds, rows: r.value.rows, copyBytes: raw.value.bytes, storedBytes: r.value.bytes, peakRssMb: r.peakRssMb });
    }
    await sql.end();
    raw.seconds = median(rawRuns, (r) => r.seconds).seconds;
    runs.unshift({ scenario: `raw COPY TO STDOUT -> /dev/null (median of ${rawRuns.length})`, seconds: raw.seconds, rows: raw.value.rows, copyBytes: raw.value.bytes, storedBytes: 0, peakRssMb: Math.max(...rawRuns.map((r) => r.peakRssMb)) });

    const table = [['scenario', 'rows/s', 'COPY MB/s', 'stored MB', '% of raw', 'peak RSS MB']];
    for (const r of runs) {
      table.push([
        r.scenario,
        Math.round(r.rows / r.seconds).toLocaleString('en-US'),
        (r.copyBytes / 1048576 / r.seconds).toFixed(1),
        r.storedBytes ? (r.storedBytes / 1048576).toFixed(0) : '-',
        ((raw.seconds / r.seconds) * 100).toFixed(0),
        r.peakRssMb.toFixed(0),
      ]);
    }
    const widths = table[0]!.map((_, c) => Math.max(...table.map((t) => t[c]!.length)));
    process.stdout.write(`\npartition on disk: ${(onDisk / 1048576).toFixed(0)} MB, ${raw.value.rows} rows, COPY output ${(raw.value.bytes / 1048576).toFixed(0)} MB\n`);
    for (const t of table) process.stdout.write(`${t.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
    const result = { bench: 'archive', postgres: server.version, node: process.version, cpus: os.cpus().length, partitionBytesOnDisk: onDisk, runs, at: new Date().toISOString() };
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, 'bench/results/archive.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write('\nwrote bench/results/archive.json\n');
  } finally {
    rmSync(storageDir, { recursive: true, force: true });
    for (const c of cleanup) c();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
