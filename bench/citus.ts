/**
 * bench/citus: maintaining distributed partitioned tables on a real Citus cluster (coordinator + 2
 * workers on loopback, Citus 13.2 on Debian's PostgreSQL 15, built by .ci/citus-tools.sh), partwarden
 * next to what a Citus user runs otherwise: create_time_partitions() and drop_old_time_partitions()
 * for each table (a pg_cron job, typically), on two identical sets of tables in the same cluster.
 *
 *   npm run bench:citus -- [--quick]       (TABLES=100 SHARDS=4; --quick: TABLES=10)
 *
 * Each table: daily partitions on a timestamptz key, distributed by tenant_id, premake 3 days, 10
 * days kept. The scenarios, driven by one simulated clock (partwarden's --at, the UDFs' arguments):
 * the first run (3 expired partitions per table to drop), a no-op run, the next day (one partition
 * to create and one to drop per table) and a no-op again. After each, both sets must hold exactly
 * the expected partitions. Prints a table, writes bench/results/<date>-citus[-quick].json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { load } from '../src/config/load.js';
import { startCitusCluster } from '../src/dev/citus-cluster.js';
import { silentLogger } from '../src/log.js';
import { reconcile } from '../src/reconcile/reconcile.js';
import { textTable } from '../src/text-table.js';
import { dailyPolicies } from './fixtures.js';

const QUICK = process.argv.includes('--quick');
const TABLES = Number(process.env.TABLES ?? (QUICK ? 10 : 100));
const SHARDS = Number(process.env.SHARDS ?? 4);
const DAY = 86_400_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const say = (line: string) => process.stdout.write(`${line}\n`);
const iso = (ms: number) => new Date(ms).toISOString();

/** `schema.events_1..N`, distributed, with daily partitions from `fromMs` to the one holding `toMs` (made by create_time_partitions). */
async function createTables(sql: pg.Client, schema: string, fromMs: number, toMs: number): Promise<void> {
  await sql.query(`CREATE SCHEMA ${schema}`);
  for (let t = 1; t <= TABLES; t++) {
    const table = `${schema}.events_${t}`;
    await sql.query(`CREATE TABLE ${table} (tenant_id int NOT NULL, ts timestamptz NOT NULL, v text) PARTITION BY RANGE (ts)`);
    await sql.query(`SELECT create_distributed_table($1, 'tenant_id', shard_count := ${SHARDS})`, [table]);
    await sql.query(`SELECT create_time_partitions($1, '1 day', $2, $3)`, [table, iso(toMs), iso(fromMs)]);
  }
}

/** What a Citus user schedules: create ahead, drop behind, for every table. */
async function citusUdfs(sql: pg.Client, schema: string, nowMs: number): Promise<void> {
  for (let t = 1; t <= TABLES; t++) {
    const table = `${schema}.events_${t}`;
    await sql.query(`SELECT create_time_partitions($1, '1 day', $2, $3)`, [table, iso(nowMs + 3 * DAY), iso(nowMs)]);
    await sql.query(`CALL drop_old_time_partitions($1, $2)`, [table, iso(nowMs - 10 * DAY)]);
  }
}

/** Every table of the schema holds exactly the partitions from day-10 to day+3 of `nowMs`, distributed. */
async function check(sql: pg.Client, schema: string, nowMs: number): Promise<void> {
  const day = Math.floor(nowMs / DAY) * DAY;
  const expected = Array.from({ length: 14 }, (_, i) => iso(day + (i - 10) * DAY).slice(0, 10)).join(',');
  const r = await sql.query<{ t: string; days: string; distributed: boolean }>(
    `SELECT i.inhparent::regclass::text AS t, string_agg(to_char(lower_b AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ',' ORDER BY lower_b) AS days,
            bool_and(EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = i.inhrelid)) AS distributed
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid,
            LATERAL (SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz AS lower_b) b
      WHERE i.inhparent IN (SELECT p.oid FROM pg_class p WHERE p.relnamespace = $1::regnamespace AND p.relkind = 'p')
      GROUP BY 1`, [schema]);
  if (r.rows.length !== TABLES) throw new Error(`${schema}: ${r.rows.length} tables with partitions, expected ${TABLES}`);
  for (const row of r.rows) {
    if (row.days !== expected) throw new Error(`${row.t}: partitions ${row.days}, expected ${expected}`);
    if (!row.distributed) throw new Error(`${row.t}: a partition is not distributed`);
  }
}

async function main(): Promise<void> {
  const cluster = await startCitusCluster();
  try {
    const url = await cluster.createDatabase('bench');
    const sql = new pg.Client(url);
    await sql.connect();
    const now = Date.UTC(2026, 5, 1, 12);
    const setupStart = Date.now();
    for (const schema of ['pw', 'udf']) await createTables(sql, schema, now - 13 * DAY, now + 3 * DAY);
    const setupS = (Date.now() - setupStart) / 1000;

    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-citus-'));
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'bench.yaml'), dailyPolicies(TABLES, { name: (t) => `events-${t}`, table: (t) => `pw.events_${t}`, premake: 3, naming: '{table}_p{YYYY}_{MM}_{DD}', keep: '10 days' }));
    writeFileSync(path.join(dir, 'partwarden.yaml'), `databases:\n  main:\n    url: ${JSON.stringify(url)}\npolicies: ./policies\n`);
    const { config, policies } = load({ configFile: path.join(dir, 'partwarden.yaml') });
    const log = silentLogger();

    const partwarden = async (nowMs: number) => {
      const reports = await reconcile({ config, policies, nowMs, clock: 'simulated', execute: true, log });
      const outcomes = reports.flatMap((r) => r.outcomes);
      const failed = outcomes.filter((o) => o.status !== 'done');
      if (failed.length > 0) throw new Error(`partwarden: ${failed.length} actions not done, e.g. ${failed[0]!.action.kind} ${failed[0]!.action.partition.name}: ${failed[0]!.error ?? failed[0]!.status}`);
      return outcomes.length;
    };
    const timed = async <T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> => {
      const s = process.hrtime.bigint();
      const value = await f();
      return { ms: Number(process.hrtime.bigint() - s) / 1e6, value };
    };
    const scenarios = [
      { name: 'first run (3 expired partitions per table)', at: now },
      { name: 'no-op', at: now },
      { name: 'next day (1 create + 1 drop per table)', at: now + DAY },
      { name: 'no-op (after)', at: now + DAY },
    ];
    const results: Array<{ scenario: string; partwardenMs: number; partwardenActions: number; citusUdfsMs: number; ratio: number }> = [];
    for (const sc of scenarios) {
      const pw = await timed(() => partwarden(sc.at));
      const udf = await timed(() => citusUdfs(sql, 'udf', sc.at));
      await check(sql, 'pw', sc.at);
      await check(sql, 'udf', sc.at);
      results.push({ scenario: sc.name, partwardenMs: Math.round(pw.ms), partwardenActions: pw.value, citusUdfsMs: Math.round(udf.ms), ratio: Number((pw.ms / udf.ms).toFixed(2)) });
    }
    await sql.end();

    say(`Citus ${cluster.citusVersion} on PostgreSQL ${cluster.serverVersion}, coordinator + ${cluster.workerPorts.length} workers; ${TABLES} distributed tables x 14 daily partitions x ${SHARDS} shards (setup ${setupS.toFixed(0)} s)`);
    for (const line of textTable([
      ['scenario', 'partwarden ms', 'actions', 'create_time_partitions + drop_old_time_partitions ms', 'partwarden / UDFs'],
      ...results.map((r) => [r.scenario, String(r.partwardenMs), String(r.partwardenActions), String(r.citusUdfsMs), `${r.ratio}x`]),
    ])) say(line);
    say('both sets checked after every scenario: exactly the partitions from day-10 to day+3, all distributed');
    say('locks: drop_old_time_partitions DROPs attached partitions (ACCESS EXCLUSIVE on the parent, no lock_timeout of its own);');
    say('       partwarden detaches first (plain DETACH on Citus) under lock_timeout, reaching the workers, with bounded retries, then drops');
    const date = new Date().toISOString().slice(0, 10);
    const file = `bench/results/${date}-citus${QUICK || process.env.TABLES ? `-${TABLES}-tables` : ''}.json`;
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, file), `${JSON.stringify({ bench: 'citus', date, tables: TABLES, shards: SHARDS, citus: cluster.citusVersion, postgres: cluster.serverVersion, node: process.version, cpus: os.cpus().length, setupS, results }, null, 2)}\n`);
    say(`wrote ${file}`);
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
