import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/db/quote.js';
import { useCitusDatabase } from '../helpers/citus.js';
import { policyDoc, rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

/*
 * DEFAULT partitions, list and hash policies on a real Citus cluster (coordinator + 2 workers):
 * rows move out of a distributed DEFAULT shard to shard, ATTACH skips the DEFAULT's shards when
 * guarded, and what Citus cannot do (sub-partitions) is refused before any DDL.
 */
const NOW = '2026-03-11T12:00:00Z';

const db = useCitusDatabase('défaut');

const count = async (from: string, where = 'true'): Promise<number> => (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from} WHERE ${where}`)).rows[0]!.n;

/** Partitions of a parent with their Citus colocation group (null: not distributed). */
async function partitionsOf(parent: string): Promise<Array<{ name: string; bound: string; colocation: number | null }>> {
  const r = await db.sql.query<{ name: string; bound: string; colocation: number | null }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, p.colocationid AS colocation
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
      WHERE i.inhparent = $1::regclass ORDER BY 1`, [parent]);
  return r.rows;
}

const colocationOf = async (table: string): Promise<number> => (await db.sql.query<{ c: number }>(`SELECT colocationid AS c FROM pg_dist_partition WHERE logicalrelid = $1::regclass`, [table])).rows[0]!.c;

/** A server setting changed on every worker (ALTER SYSTEM, reloaded). */
async function onWorkers(alterSystem: string): Promise<void> {
  for (const i of [0, 1]) {
    const w = new pg.Client(db.workerUrl(i));
    await w.connect();
    await w.query(alterSystem);
    await w.query('SELECT pg_reload_conf()');
    await w.end();
  }
}

/** The server's DEBUG notices (the workers' too, forwarded by Citus), as partwarden logs them at debug level. */
function serverNotices(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; notice?: string })
    .filter((l) => l.msg === 'server notice' && l.notice !== undefined).map((l) => l.notice!);
}

describe.runIf(process.env.PW_CITUS === '1')('Citus: DEFAULT partitions, list and hash policies', () => {
  it('relocation: the rows of new ranges move out of a distributed DEFAULT into partitions colocated with the parent; none lost across a kill -9', async () => {
    const parent = '"Ünï Data"."Tenant ""Events"""';
    await db.sql.query(`CREATE SCHEMA "Ünï Data"`);
    await db.sql.query(`CREATE TABLE ${parent} ("Tenant Id" int NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, payload text) PARTITION BY RANGE (at)`);
    await db.sql.query(`SELECT create_distributed_table($1, 'Tenant Id', shard_count := 4)`, [parent]);
    await db.sql.query(`CREATE TABLE "Ünï Data"."Tenant Events default" PARTITION OF ${parent} DEFAULT`);
    // 3000 rows over the weeks partwarden will create (this one and two ahead), and 7 far in the future that no planned partition takes
    await db.sql.query(`INSERT INTO ${parent} ("Tenant Id", at, payload) SELECT g % 17, $1::timestamptz - interval '2 days' + g * interval '8 minutes', 'row ' || g FROM generate_series(1, 3000) g`, [NOW]);
    await db.sql.query(`INSERT INTO ${parent} ("Tenant Id", at, payload) SELECT g, '2031-01-01'::timestamptz + g * interval '1 hour', 'later' FROM generate_series(1, 7) g`);
    const before = (await db.sql.query(`SELECT count(*)::int AS n, sum(id)::text AS ids, sum(hashtext(payload || at::text || "Tenant Id"))::text AS h FROM ${parent}`)).rows[0];
    const config = writeProject(db.url, {
      'e.yaml': policyDoc('tenant-events', parent, `  strategy: range
  range:
    column: at
    interval: 1 week
    premake: 2
    timezone: UTC
  default:
    relocate: true
    maxRows: 100
`),
    });
    const plan = await runCli(['plan', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/relocate\s+Tenant "Events"_p20260309 .*moved in one distributed transaction \(Citus cannot pick batches by ctid across shards\)/);
    expect(plan.stdout).toContain(`SELECT create_distributed_table('"Ünï Data"."Tenant ""Events""_p20260309"', 'Tenant Id', colocate_with => '"Ünï Data"."Tenant ""Events"""')`);
    expect(plan.stdout).toContain("SET LOCAL citus.multi_shard_modify_mode TO 'sequential';");
    expect(plan.stdout).not.toContain('FOR UPDATE');

    // killed once the first range's rows left DEFAULT (journaled), before its ATTACH
    const killed = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:move-rows' });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toMatch(/DONE\s+tenant-events: attach /);

    const after = (await db.sql.query(`SELECT count(*)::int AS n, sum(id)::text AS ids, sum(hashtext(payload || at::text || "Tenant Id"))::text AS h FROM ${parent}`)).rows[0];
    expect(after).toEqual(before);
    const parts = await partitionsOf(parent);
    const colocation = await colocationOf(parent);
    for (const p of parts) expect(p.colocation, p.name).toBe(colocation);
    const ranged = parts.filter((p) => p.bound !== 'DEFAULT');
    expect(ranged.map((p) => p.name)).toEqual(['Tenant "Events"_p20260309', 'Tenant "Events"_p20260316', 'Tenant "Events"_p20260323']);
    // every row of a planned range is in its partition, shard by shard; DEFAULT keeps the rest
    let inPartitions = 0;
    for (const p of ranged) inPartitions += await count(`"Ünï Data".${quoteIdent(p.name)}`);
    expect(await count('"Ünï Data"."Tenant Events default"')).toBe(3007 - inPartitions);
    expect(await count('"Ünï Data"."Tenant Events default"', "at < '2031-01-01'")).toBe(0);
    const status = JSON.parse((await runCli(['status', '--output', 'json', '--config', config], { PARTWARDEN_NOW: NOW })).stdout) as { healthy: boolean; policies: Array<{ defaultRows: { rows: number } | null }> };
    expect(status.healthy).toBe(true);
    // counted through the coordinator (its own DEFAULT is an empty shell)
    expect(status.policies[0]!.defaultRows).toMatchObject({ rows: 7 });
  }, 120_000);

  it('a DEFAULT with rows elsewhere: its shards are guarded, so the ATTACH on every worker skips their scan; no guard is left', async () => {
    await db.sql.query(`CREATE TABLE public.metrics (device_id int NOT NULL, ts timestamptz NOT NULL, v float8) PARTITION BY RANGE (ts)`);
    await db.sql.query(`SELECT create_distributed_table('public.metrics', 'device_id', shard_count := 4)`);
    await db.sql.query(`CREATE TABLE public.metrics_default PARTITION OF public.metrics DEFAULT`);
    await db.sql.query(`INSERT INTO public.metrics SELECT g, '2031-01-01'::timestamptz + g * interval '1 second', g FROM generate_series(1, 2000) g`);
    // the workers send their DEBUG messages (ALTER DATABASE is refused on a worker), Citus forwards them
    await onWorkers(`ALTER SYSTEM SET client_min_messages = debug1`);
    const verbose = `${db.url}?options=${encodeURIComponent('-c client_min_messages=debug1 -c citus.worker_min_messages=debug1')}`;
    const config = writeProject(verbose, { 'm.yaml': rangePolicy({ name: 'metrics', table: 'public.metrics', column: 'ts', interval: '1 day', premake: 1, extra: '  default:\n    maxRows: 5000\n' }) });
    const plan = await runCli(['plan', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toMatch(/create\s+metrics_p20260311 .*DEFAULT guarded so ATTACH does not scan it/);
    const applied = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW, PARTWARDEN_LOG_LEVEL: 'debug' });
    expect(applied.code, applied.stderr).toBe(0);
    const notices = serverNotices(applied.stderr);
    const shards = (await db.sql.query<{ s: string }>(`SELECT shard_name(logicalrelid, shardid) AS s FROM pg_dist_shard WHERE logicalrelid = 'public.metrics_default'::regclass`)).rows.map((r) => r.s);
    expect(shards).toHaveLength(4);
    for (const shard of shards) {
      expect(notices).toContain(`updated partition constraint for default partition "${shard}" is implied by existing constraints`);
      expect(notices).not.toContain(`updated partition constraint for default partition "${shard}" would be violated`);
    }
    const left = await db.sql.query(`SELECT run_command_on_shards('public.metrics_default', $$SELECT count(*) FROM pg_constraint WHERE conrelid = '%s'::regclass AND conname LIKE 'partwarden%%'$$) AS r`);
    for (const row of left.rows as Array<{ r: string }>) expect(row.r).toMatch(/,t,0\)$/);
    expect(await count('public.metrics_default')).toBe(2000);
    const colocation = await colocationOf('public.metrics');
    for (const p of await partitionsOf('public.metrics')) expect(p.colocation, p.name).toBe(colocation);
    await onWorkers(`ALTER SYSTEM RESET client_min_messages`);
  }, 120_000);

  it('list and hash policies: declared values and remainders are created distributed; rows of a value move out of DEFAULT; default.create works', async () => {
    await db.sql.query(`CREATE TABLE public.orders (tenant_id int NOT NULL, region text, n int) PARTITION BY LIST (region)`);
    await db.sql.query(`SELECT create_distributed_table('public.orders', 'tenant_id', shard_count := 4)`);
    await db.sql.query(`CREATE TABLE public.orders_default PARTITION OF public.orders DEFAULT`);
    await db.sql.query(`INSERT INTO public.orders SELECT g, CASE WHEN g % 3 = 0 THEN 'EU' WHEN g % 3 = 1 THEN 'it''s' ELSE 'US' END, g FROM generate_series(1, 900) g`);
    await db.sql.query(`CREATE TABLE public.sessions (tenant_id int NOT NULL, user_id int NOT NULL) PARTITION BY HASH (user_id)`);
    await db.sql.query(`SELECT create_distributed_table('public.sessions', 'tenant_id', shard_count := 4)`);
    await db.sql.query(`CREATE TABLE public.ticks (tenant_id int NOT NULL, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`SELECT create_distributed_table('public.ticks', 'tenant_id', shard_count := 4)`);
    const config = writeProject(db.url, {
      'o.yaml': policyDoc('orders', 'public.orders', `  strategy: list
  list:
    column: region
    partitions:
      eu: ["EU", "it's"]
  default:
    relocate: true
    maxRows: 1000
`),
      's.yaml': policyDoc('sessions', 'public.sessions', '  strategy: hash\n  hash:\n    column: user_id\n    modulus: 4\n'),
      't.yaml': rangePolicy({ name: 'ticks', table: 'public.ticks', column: 'ts', interval: '1 day', premake: 1, extra: '  default:\n    create: true\n' }),
    });
    const applied = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.stdout).toMatch(/DONE\s+orders: relocate public\.orders_eu/);
    expect(await count('public.orders_eu')).toBe(600);
    expect(await count('public.orders_default')).toBe(300);
    expect(await count('public.orders')).toBe(900);
    for (const t of ['public.orders', 'public.sessions', 'public.ticks']) {
      const colocation = await colocationOf(t);
      const parts = await partitionsOf(t);
      expect(parts.length, t).toBeGreaterThanOrEqual(2);
      for (const p of parts) expect(p.colocation, `${t}: ${p.name}`).toBe(colocation);
    }
    expect((await partitionsOf('public.sessions')).map((p) => p.bound)).toEqual([0, 1, 2, 3].map((r) => `FOR VALUES WITH (modulus 4, remainder ${r})`));
    expect((await partitionsOf('public.ticks')).map((p) => p.bound)).toContain('DEFAULT');
  }, 120_000);

  it('sub-partitions on a distributed table are refused before any DDL, naming the policy (Citus has no multi-level partitioning)', async () => {
    await db.sql.query(`CREATE TABLE public.readings (tenant_id int NOT NULL, sensor int NOT NULL, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`SELECT create_distributed_table('public.readings', 'tenant_id', shard_count := 4)`);
    const config = writeProject(db.url, { 'r.yaml': rangePolicy({ name: 'readings', table: 'public.readings', column: 'ts', interval: '1 day', premake: 1, extra: '  subpartition:\n    strategy: hash\n    column: sensor\n    modulus: 2\n' }) });
    const message = 'public.readings is a distributed Citus table, and Citus does not support multi-level partitioning: its partitions cannot be sub-partitioned (remove subpartition from policy readings)';
    const v = await runCli(['validate', '--db', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toContain(message);
    const applied = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(applied.code).not.toBe(0);
    expect(applied.stdout + applied.stderr).toContain(message);
    expect(await partitionsOf('public.readings')).toEqual([]);
  }, 60_000);
});
