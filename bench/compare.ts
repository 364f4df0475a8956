/**
 * bench/compare: partwarden side by side with pg_partman on the same PostgreSQL server and the
 * same tables. Debian's `postgresql-15` and `postgresql-15-partman` provide the server and the
 * extension (apt-get install postgresql-15-partman; PG_PARTMAN_BIN to use another build).
 *
 *   npm run bench -- [--quick] [--only=reconcile,gentleness,archive]
 *                                     (TABLES=1000 RUNS=5; --quick: TABLES=100)
 *
 * Reconcile at scale: N parents x 30 daily partitions (plus DEFAULT) per tool, and
 *   (a) a no-op cycle, (b) a cycle that adds one partition per table, (c) a cycle that expires
 *   one per table (detach + drop): partwarden's reconcile (what `apply` runs) vs pg_partman's
 *   run_maintenance() and run_maintenance_proc(); median of RUNS, ratio printed.
 * Gentleness: pgbench inserts RATE/s into the tool's tables during one add cycle of each tool:
 *   p50/p99/max latency inside the cycle's window and application statements waiting on a lock,
 *   against the same load without maintenance; partwarden once more with actionPause PACE (20ms).
 * Archive and restore: one partition of ARCHIVE_MB (1024; --quick 256) exported through
 *   partwarden's pipeline (none / gzip) vs raw COPY TO STDOUT, and restored vs raw COPY FROM
 *   (bench/archive-runs.ts, as `npm run bench:archive`), on the same server.
 * Prints tables, writes bench/results/<date>.json and the chart docs/bench-compare.svg (other
 * sizes and --quick: bench/results/<date>-<N>-tables.{json,svg}).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { load, type Loaded } from '../src/config/load.js';
import { BENCH_PASSWORD, PARTMAN_BIN, startPartmanServer } from './partman-server.js';
import { silentLogger } from '../src/log.js';
import { reconcile } from '../src/reconcile/reconcile.js';
import { dailyPolicies } from './fixtures.js';
import { insertLoad, type LoadResult } from './gentle.js';
import { archiveBench, archiveTable, type ArchiveBenchResult, type ArchiveRun } from './archive-runs.js';
import { textTable } from '../src/text-table.js';
import { median } from './stats.js';
import { barChartSvg } from './svg.js';

const QUICK = process.argv.includes('--quick');
/** --only=reconcile,gentleness,archive: run some parts (default: all). */
const PARTS = new Set((process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'reconcile,gentleness,archive').split(','));
for (const part of PARTS) if (!['reconcile', 'gentleness', 'archive'].includes(part)) throw new Error(`--only: unknown part "${part}" (reconcile, gentleness, archive)`);
/** actionPause of the paced partwarden run in the gentleness part. */
const PACE = process.env.PACE ?? '20ms';
const TABLES = Number(process.env.TABLES ?? (QUICK ? 100 : 1000));
const RUNS = Math.max(5, Number(process.env.RUNS ?? 5));
const RATE = Number(process.env.RATE ?? 200);
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? (QUICK ? 15 : 60));
const ARCHIVE_MB = Number(process.env.ARCHIVE_MB ?? (QUICK ? 256 : 1024));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const say = (line: string) => process.stdout.write(`${line}\n`);

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function project(url: string, premake: number, keep?: string, actionPause?: string): Loaded {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-compare-'));
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'policies', 'all.yaml'), dailyPolicies(TABLES, { name: (t) => `t${t}`, table: (t) => `pw.t${t}`, premake, naming: '{table}_p{YYYY}_{MM}_{DD}', keep }));
  writeFileSync(path.join(dir, 'partwarden.yaml'), `databases:\n  main:\n    url: ${JSON.stringify(url)}\n${actionPause ? `    actionPause: ${actionPause}\n` : ''}policies: ./policies\n`);
  return load({ configFile: path.join(dir, 'partwarden.yaml') });
}

async function main(): Promise<void> {
  // maintenance of 1,000 tables in one transaction (run_maintenance) needs room in the lock table
  const server = await startPartmanServer(['-c', 'max_locks_per_transaction=1024']);
  const { url, port, sql, version, partmanVersion } = server;
  try {
    await sql.query('CREATE SCHEMA pm');
    await sql.query('CREATE SCHEMA pw');

    // pg_partman's tables, made by pg_partman; then settled (infinite_time_partitions: empty tables still get future partitions)
    say(`setting up ${TABLES} tables x 30 daily partitions for each tool (PostgreSQL ${version}, pg_partman ${partmanVersion})...`);
    const t0 = Date.now();
    for (let t = 1; t <= TABLES; t++) {
      await sql.query(`CREATE TABLE pm.t${t} (id bigint, ts timestamptz NOT NULL, v text) PARTITION BY RANGE (ts)`);
      await sql.query(`SELECT partman.create_parent(p_parent_table => 'pm.t${t}', p_control => 'ts', p_type => 'native', p_interval => 'daily', p_premake => 3, p_start_partition => (current_date - 26)::text)`);
    }
    await sql.query('UPDATE partman.part_config SET infinite_time_partitions = true');
    await sql.query('CALL partman.run_maintenance_proc()');
    // partwarden's tables: the same bounds (read from pg_partman's first table), the same DEFAULT
    const bounds = (await sql.query<{ name: string; b: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'pm.t1'::regclass ORDER BY 1`,
    )).rows;
    for (let t = 1; t <= TABLES; t++) {
      await sql.query(`CREATE TABLE pw.t${t} (id bigint, ts timestamptz NOT NULL, v text) PARTITION BY RANGE (ts)`);
      const stmts = bounds.map((x) => `CREATE TABLE pw.${x.name.replace(/^t1_/, `t${t}_`)} PARTITION OF pw.t${t} ${x.b}`);
      await sql.query(`DO $$ BEGIN ${stmts.map((s) => `EXECUTE ${pg.escapeLiteral(s)};`).join(' ')} END $$`);
    }
    const ahead = (await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'pm.t1'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
          AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''([^'']+)''')::timestamptz > now()`,
    )).rows[0]!.n;
    say(`setup: ${((Date.now() - t0) / 1000).toFixed(0)} s; ${bounds.length} partitions per table (DEFAULT included), ${ahead} ahead of now`);

    const log = silentLogger();
    const base = project(url, ahead);
    const more = project(url, ahead + 1);
    const expire = project(url, ahead, '25 days');
    const morePaced = project(url, ahead + 1, undefined, PACE);
    const pw = async (cfg: Loaded, expectActions: number) => {
      let actions = 0;
      const ms = await timed(async () => {
        const reports = await reconcile({ config: cfg.config, policies: cfg.policies, nowMs: Date.now(), execute: true, log });
        const outcomes = reports.flatMap((r) => r.outcomes);
        if (outcomes.some((o) => o.status !== 'done') || reports.some((r) => r.error)) throw new Error(`partwarden failed: ${JSON.stringify(outcomes.find((o) => o.status !== 'done') ?? reports.find((r) => r.error))}`);
        actions = outcomes.length;
      });
      if (actions !== expectActions) throw new Error(`partwarden ran ${actions} actions, expected ${expectActions}`);
      return ms;
    };
    const partitionsOf = async (schema: string) =>
      (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace s ON s.oid = p.relnamespace WHERE s.nspname = $1`, [schema])).rows[0]!.n;
    const pmRun = async (proc: boolean, expectDelta: number) => {
      const before = await partitionsOf('pm');
      const ms = await timed(() => sql.query(proc ? 'CALL partman.run_maintenance_proc()' : 'SELECT partman.run_maintenance()'));
      const delta = (await partitionsOf('pm')) - before;
      if (delta !== expectDelta) throw new Error(`pg_partman changed ${delta} partitions, expected ${expectDelta}`);
      return ms;
    };
    // resets between runs (not timed): the newest partition of every table dropped / the oldest re-created
    const dropNewest = async (schema: string) => {
      const r = await sql.query<{ t: string }>(
        `SELECT DISTINCT ON (p.oid) quote_ident(s.nspname) || '.' || quote_ident(c.relname) AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace s ON s.oid = c.relnamespace
          WHERE s.nspname = $1 AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT' ORDER BY p.oid, c.relname DESC`,
        [schema],
      );
      for (const x of r.rows) await sql.query(`DROP TABLE ${x.t}`);
    };
    const oldest = bounds.filter((b) => b.b !== 'DEFAULT')[0]!;
    const recreateOldest = async (schema: string) => {
      for (let t = 1; t <= TABLES; t++) await sql.query(`CREATE TABLE IF NOT EXISTS ${schema}.${oldest.name.replace(/^t1_/, `t${t}_`)} PARTITION OF ${schema}.t${t} ${oldest.b}`);
    };

    await pw(base, 0); // warm-up: creates the journal; must be a no-op
    const results: Record<string, { partwarden: number[]; run_maintenance: number[]; run_maintenance_proc: number[] }> = {};
    const scenario = async (name: string, run: () => Promise<{ partwarden: number; run_maintenance: number; run_maintenance_proc: number }>) => {
      const r = { partwarden: [] as number[], run_maintenance: [] as number[], run_maintenance_proc: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        const x = await run();
        r.partwarden.push(x.partwarden);
        r.run_maintenance.push(x.run_maintenance);
        r.run_maintenance_proc.push(x.run_maintenance_proc);
        process.stdout.write('.');
      }
      process.stdout.write('\n');
      results[name] = r;
    };
    if (PARTS.has('reconcile')) {
    say(`(a) no-op cycle, ${RUNS} runs`);
    await scenario('noop', async () => ({ partwarden: await pw(base, 0), run_maintenance: await pmRun(false, 0), run_maintenance_proc: await pmRun(true, 0) }));
    say(`(b) add one partition per table, ${RUNS} runs`);
    await scenario('add', async () => {
      const a = await pw(more, TABLES);
      await dropNewest('pw');
      await sql.query(`UPDATE partman.part_config SET premake = premake + 1`);
      const b = await pmRun(false, TABLES);
      await dropNewest('pm');
      const c = await pmRun(true, TABLES);
      await dropNewest('pm');
      await sql.query(`UPDATE partman.part_config SET premake = premake - 1`);
      return { partwarden: a, run_maintenance: b, run_maintenance_proc: c };
    });
    say(`(c) expire one partition per table (detach + drop), ${RUNS} runs`);
    await scenario('expire', async () => {
      const a = await pw(expire, TABLES);
      await recreateOldest('pw');
      await sql.query(`UPDATE partman.part_config SET retention = '25 days', retention_keep_table = false`);
      const b = await pmRun(false, -TABLES);
      await recreateOldest('pm');
      const c = await pmRun(true, -TABLES);
      await recreateOldest('pm');
      await sql.query(`UPDATE partman.part_config SET retention = NULL`);
      return { partwarden: a, run_maintenance: b, run_maintenance_proc: c };
    });
    }
    // Gentleness: inserts at a fixed rate while one "add a partition per table" cycle runs
    const gentleness: Record<string, LoadResult> = {};
    if (PARTS.has('gentleness')) {
    say(`gentleness: pgbench inserting ${RATE}/s into each tool's tables during one add cycle`);
    const sampler = new pg.Client(url);
    await sampler.connect();
    const load = (schema: string, during?: () => Promise<unknown>) =>
      insertLoad({ pgbench: path.join(PARTMAN_BIN, 'pgbench'), port, password: BENCH_PASSWORD, database: 'bench', schema, tables: TABLES, rate: RATE, seconds: LOAD_SECONDS }, sampler, during);
    gentleness.baseline = await load('pw');
    gentleness.partwarden = await load('pw', () => pw(more, TABLES));
    await dropNewest('pw');
    gentleness[`partwarden, actionPause ${PACE}`] = await load('pw', () => pw(morePaced, TABLES));
    await dropNewest('pw');
    await sql.query(`UPDATE partman.part_config SET premake = premake + 1`);
    gentleness.run_maintenance = await load('pm', () => pmRun(false, TABLES));
    await dropNewest('pm');
    gentleness.run_maintenance_proc = await load('pm', () => pmRun(true, TABLES));
    await dropNewest('pm');
    await sql.query(`UPDATE partman.part_config SET premake = premake - 1`);
    await sampler.end();
    }

    let archive: ArchiveBenchResult | undefined;
    if (PARTS.has('archive')) {
      say(`archive and restore: one ${ARCHIVE_MB} MB partition, ${QUICK ? 3 : 5} runs of each`);
      archive = await archiveBench({ url, sizeMb: ARCHIVE_MB, repeat: QUICK ? 3 : 5, log: say });
    }

    const labels: Record<string, string> = { noop: '(a) no-op cycle', add: '(b) add 1 partition / table', expire: '(c) expire 1 partition / table' };
    const rows = [['scenario', 'partwarden ms', 'run_maintenance() ms', 'run_maintenance_proc() ms', 'ratio vs run_maintenance()']];
    const summary: Record<string, { partwardenMs: number; runMaintenanceMs: number; runMaintenanceProcMs: number; ratio: number }> = {};
    for (const [k, r] of Object.entries(results)) {
      const s = { partwardenMs: Math.round(median(r.partwarden)), runMaintenanceMs: Math.round(median(r.run_maintenance)), runMaintenanceProcMs: Math.round(median(r.run_maintenance_proc)), ratio: 0 };
      s.ratio = Math.round((s.partwardenMs / Math.max(1, s.runMaintenanceMs)) * 100) / 100;
      summary[k] = s;
      rows.push([labels[k]!, String(s.partwardenMs), String(s.runMaintenanceMs), String(s.runMaintenanceProcMs), `${s.ratio}x`]);
    }
    if (PARTS.has('reconcile')) {
      say('');
      say(`${TABLES} tables x ${bounds.length} partitions, median of ${RUNS} runs, PostgreSQL ${version}, pg_partman ${partmanVersion}, ${os.cpus().length} CPUs`);
      for (const line of textTable(rows)) say(line);
    }
    if (PARTS.has('gentleness')) {
      say('');
      const grows = [['inserts during an add cycle', 'transactions', 'p50 ms', 'p99 ms', 'max ms', 'waited on a lock', 'longest lock wait ms']];
      for (const [k, g] of Object.entries(gentleness)) grows.push([k === 'baseline' ? 'no maintenance (baseline)' : k, String(g.transactions), String(g.p50Ms), String(g.p99Ms), String(g.maxMs), String(g.lockWaits), String(g.longestLockWaitMs)]);
      for (const line of textTable(grows)) say(line);
    }
    if (archive) {
      say('');
      for (const line of archiveTable(archive)) say(line);
    }

    const date = new Date().toISOString().slice(0, 10);
    const out = { bench: 'compare', date, quick: QUICK, parts: [...PARTS], tables: TABLES, partitionsPerTable: bounds.length, runs: RUNS, postgres: version, pgPartman: partmanVersion, node: process.version, cpus: os.cpus().length, reconcile: summary, gentleness: { ratePerSecond: RATE, seconds: LOAD_SECONDS, actionPause: PACE, ...gentleness }, archive, raw: results };
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    // a quick, resized or partial run never overwrites the published full run
    const full = !QUICK && TABLES === 1000 && PARTS.size === 3;
    const tag = full ? date : `${date}-${TABLES}-tables${PARTS.size === 3 ? '' : `-${[...PARTS].join('-')}`}`;
    const written = [`bench/results/${tag}.json`];
    writeFileSync(path.join(root, written[0]!), `${JSON.stringify(out, null, 2)}\n`);
    if (PARTS.has('reconcile')) {
      const file = full ? 'docs/bench-compare.svg' : `bench/results/${tag}.svg`;
      writeFileSync(
        path.join(root, file),
        barChartSvg({
          title: `Reconcile of ${TABLES} tables × ${bounds.length} partitions (median of ${RUNS}, ms; lower is better)`,
          groups: Object.entries(summary).map(([k, s]) => ({ label: labels[k]!, values: [s.partwardenMs, s.runMaintenanceMs, s.runMaintenanceProcMs] })),
          series: ['partwarden', 'pg_partman run_maintenance()', 'pg_partman run_maintenance_proc()'],
        }),
      );
      written.push(file);
    }
    if (archive) {
      const file = full ? 'docs/bench-archive.svg' : `bench/results/${tag}-archive.svg`;
      writeFileSync(path.join(root, file), archiveChart(archive, ARCHIVE_MB));
      written.push(file);
    }
    say(`\nwrote ${written.join(', ')}`);
  } finally {
    await server.stop();
  }
}

/** Archive and restore MB/s of partwarden next to raw COPY (the first store: tmpfs where there is one). */
function archiveChart(r: ArchiveBenchResult, sizeMb: number): string {
  const mbps = (x: ArchiveRun | undefined) => (x ? Math.round(r.copyBytes / 1048576 / x.seconds) : 0);
  const rawOut = r.runs.find((x) => x.kind === 'export' && x.ofRaw === 1);
  const rawIn = r.runs.find((x) => x.kind === 'restore' && x.ofRaw === 1);
  const pick = (kind: ArchiveRun['kind'], prefix: string) => r.runs.find((x) => x.kind === kind && x.scenario.startsWith(prefix));
  return barChartSvg({
    title: `Archive and restore of a ${sizeMb} MB partition (median, MB/s of COPY data; higher is better)`,
    groups: [
      { label: 'export, no compression', values: [mbps(pick('export', 'archive csv, none')), mbps(rawOut)] },
      { label: 'export, gzip level 1', values: [mbps(pick('export', 'archive csv, gzip')), mbps(rawOut)] },
      { label: 'restore, no compression', values: [mbps(pick('restore', 'restore csv, none')), mbps(rawIn)] },
      { label: 'restore, gzip', values: [mbps(pick('restore', 'restore csv, gzip')), mbps(rawIn)] },
    ],
    series: ['partwarden (sha256, store, verify)', 'raw COPY (TO /dev/null, FROM a plain file)'],
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
