import { describe, expect, it } from 'vitest';
import { useCitusDatabase } from '../helpers/citus.js';
import { rangePolicy, writeProject } from '../helpers/db.js';
import { runCli, startCli } from '../helpers/partwarden.js';
import { freePort } from '../../src/dev/embedded-pg.js';

/*
 * A real Citus 13.2 cluster (coordinator + 2 workers on loopback, PostgreSQL 15 from Debian, Citus
 * built by .ci/citus-tools.sh): .ci/run runs this project (PW_CITUS=1; skip with PW_SKIP_CITUS=1).
 */

const db = useCitusDatabase('app', async (sql) => {
  await sql.query(`CREATE TABLE public.events (tenant_id int NOT NULL, id bigint NOT NULL, at timestamptz NOT NULL, payload text, PRIMARY KEY (tenant_id, id, at)) PARTITION BY RANGE (at)`);
  await sql.query(`SELECT create_distributed_table('public.events', 'tenant_id', shard_count := 4)`);
  // an old partition with rows, past a 3-month retention
  await sql.query(`CREATE TABLE public.events_old PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')`);
  await sql.query(`INSERT INTO public.events SELECT g % 10, g, '2025-01-05'::timestamptz, 'x' FROM generate_series(1, 200) g`);
});

const policy = rangePolicy({ name: 'events', table: 'public.events', column: 'at', interval: '1 month', premake: 2, extra: '  retention:\n    keep: 3 months\n    action: drop\n    allowMassRemoval: true\n' });

describe.runIf(process.env.PW_CITUS === '1')('Citus: a distributed partitioned table', () => {
  it('validate --db and plan say how Citus holds the table; the removal is planned as a plain DETACH, saying why', async () => {
    const config = writeProject(db.url, { 'events.yaml': policy });
    const v = await runCli(['validate', '--db', '--config', config]);
    expect(v.stdout).toMatch(/policy events .*table public\.events: ok \(Citus 13\.2-\d+: distributed by tenant_id \(4 shards, colocation \d+; partitions 4 shards\)\)/);
    const plan = await runCli(['plan', '--config', config]);
    expect(plan.stdout).toContain('Citus 13.2');
    expect(plan.stdout).toMatch(/drop\s+events_old .*plain DETACH \(Citus does not support DETACH \.\.\. CONCURRENTLY\)/);
    expect(plan.stdout).toContain('ALTER TABLE "public"."events" DETACH PARTITION "public"."events_old";');
    expect(plan.stdout).not.toMatch(/^\s+ALTER TABLE .*CONCURRENTLY;$/m);
    const json = JSON.parse((await runCli(['plan', '--output', 'json', '--config', config])).stdout) as { databases: Array<{ policies: Array<{ citus: { kind: string; distributionColumn: string; shardCount: number } }> }> };
    expect(json.databases[0]!.policies[0]!.citus).toMatchObject({ kind: 'distributed', distributionColumn: 'tenant_id', shardCount: 4 });
  }, 60_000);

  it('apply creates partitions distributed and colocated with the parent, and drops the expired one with a plain DETACH', async () => {
    const config = writeProject(db.url, { 'events.yaml': policy });
    const r = await runCli(['apply', '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    const dist = await db.sql.query<{ rel: string; colocationid: number }>(
      `SELECT p.logicalrelid::regclass::text AS rel, p.colocationid FROM pg_dist_partition p JOIN pg_inherits i ON i.inhrelid = p.logicalrelid WHERE i.inhparent = 'public.events'::regclass ORDER BY 1`);
    const parent = (await db.sql.query<{ colocationid: number }>(`SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'public.events'::regclass`)).rows[0]!.colocationid;
    const attached = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.events'::regclass`)).rows[0]!.n;
    expect(dist.rows.length).toBe(attached);
    expect(attached).toBeGreaterThanOrEqual(6);
    for (const d of dist.rows) expect(d.colocationid, d.rel).toBe(parent);
    expect(dist.rows.map((d) => d.rel)).not.toContain('events_old');
    expect((await db.sql.query(`SELECT to_regclass('public.events_old') AS r`)).rows[0].r).toBeNull();
    const journal = await db.sql.query<{ step: string; sql: string; status: string }>(`SELECT step, sql, status FROM partwarden.journal WHERE action = 'drop' ORDER BY id`);
    expect(journal.rows).toEqual([
      { step: 'detach', sql: 'ALTER TABLE "public"."events" DETACH PARTITION "public"."events_old"', status: 'done' },
      { step: 'drop', sql: 'DROP TABLE "public"."events_old"', status: 'done' },
    ]);
    // rows written through the coordinator land in the new partitions' shards
    await db.sql.query(`INSERT INTO public.events SELECT g % 10, g, now(), 'y' FROM generate_series(1, 50) g`);
    expect((await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.events WHERE at > now() - interval '1 day'`)).rows[0]!.n).toBe(50);
  }, 60_000);

  it('status --output json: healthy, with the Citus facts, and partition counts from the coordinator (no worker shard OIDs)', async () => {
    const config = writeProject(db.url, { 'events.yaml': policy });
    const r = await runCli(['status', '--output', 'json', '--config', config]);
    const doc = JSON.parse(r.stdout) as { healthy: boolean; policies: Array<{ partitions: number; citus: { kind: string; partitionShards: number } }> };
    const attached = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.events'::regclass`)).rows[0]!.n;
    expect(doc.healthy, r.stdout).toBe(true);
    expect(doc.policies[0]!.partitions).toBe(attached);
    expect(doc.policies[0]!.citus).toMatchObject({ kind: 'distributed', partitionShards: attached * 4 });
  }, 60_000);

  it('shards as metrics (partitions x shard_count), and too_many_shards above health.maxShards', async () => {
    const limited = rangePolicy({ name: 'events', table: 'public.events', column: 'at', interval: '1 month', premake: 2, extra: '  health:\n    maxShards: 8\n' });
    const port = await freePort();
    const config = writeProject(db.url, { 'events.yaml': limited }, `server:\n  listen: 127.0.0.1:${port}\nscheduleJitter: 0s\n`);
    const attached = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.events'::regclass`)).rows[0]!.n;
    const status = JSON.parse((await runCli(['status', '--output', 'json', '--config', config])).stdout) as { policies: Array<{ violations: Array<{ rule: string; message: string }> }> };
    expect(status.policies[0]!.violations).toContainEqual({ rule: 'too_many_shards', partition: null, message: expect.stringContaining(`${attached} partitions x 4 shards = ${attached * 4} shards, more than health.maxShards (8)`) });
    const { child } = startCli(['run', '--config', config]);
    try {
      let text = '';
      for (let i = 0; i < 100 && !/partwarden_citus_shards\{/.test(text); i++) {
        await new Promise((r) => setTimeout(r, 200));
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
      }
      expect(text).toContain(`partwarden_citus_shards{policy="events"} ${attached * 4}`);
      expect(text).toContain('partwarden_citus_shards_per_partition{policy="events"} 4');
      expect(text).toContain('partwarden_policy_violation{policy="events",rule="too_many_shards"} 1');
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
