import { describe, expect, it } from 'vitest';
import { useCitusDatabase } from '../helpers/citus.js';
import { rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

/*
 * retention.afterAge on a real Citus cluster: old partitions of a distributed table become
 * columnar on every worker shard (what alter_old_partitions_set_access_method does, without its
 * lock on the parent), one partition per transaction, rows intact.
 */
const NOW = '2026-05-15T12:00:00Z';
const fingerprint = `SELECT count(*)::int AS n, sum(hashtext(at::text || tenant_id || payload))::text AS h FROM public.metrics`;

const db = useCitusDatabase('columnar', async (sql) => {
  await sql.query('CREATE EXTENSION citus_columnar');
  await sql.query(`CREATE TABLE public.metrics (tenant_id int NOT NULL, at timestamptz NOT NULL, payload text) PARTITION BY RANGE (at)`);
  await sql.query(`SELECT create_distributed_table('public.metrics', 'tenant_id', shard_count := 4)`);
  for (const m of ['01', '02', '03', '04', '05']) {
    await sql.query(`CREATE TABLE public.metrics_p2026${m} PARTITION OF public.metrics FOR VALUES FROM ('2026-${m}-01') TO ('2026-${m}-01'::date + interval '1 month')`);
  }
  await sql.query(`INSERT INTO public.metrics SELECT g % 31, '2026-01-01'::timestamptz + g * interval '10 minutes', repeat('x', g % 40) FROM generate_series(0, 19000) g`);
});

/** The access method of every shard of a partition, as the workers have it. */
async function shardAccessMethods(partition: string): Promise<string[]> {
  const r = await db.sql.query<{ r: string }>(`SELECT (run_command_on_shards($1, $$SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = '%s'::regclass$$)).result AS r`, [partition]);
  return r.rows.map((x) => x.r);
}

describe.runIf(process.env.PW_CITUS === '1')('Citus: columnar tiering (retention.afterAge)', () => {
  it('converts the partitions older than age to columnar on every shard, one transaction each, rows intact; newer ones stay heap', async () => {
    const before = (await db.sql.query(fingerprint)).rows[0];
    const config = writeProject(db.url, { 'm.yaml': rangePolicy({ name: 'metrics', table: 'public.metrics', column: 'at', interval: '1 month', premake: 1, extra: '  retention:\n    keep: 1 year\n    action: drop\n    afterAge:\n      age: 1 month\n      accessMethod: columnar\n' }) });
    const v = await runCli(['validate', '--db', '--config', config]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const applied = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.stdout.match(/DONE\s+metrics: tier public\.metrics_p2026\d\d/g)).toHaveLength(3);
    for (const p of ['public.metrics_p202601', 'public.metrics_p202602', 'public.metrics_p202603']) expect(await shardAccessMethods(p), p).toEqual(['columnar', 'columnar', 'columnar', 'columnar']);
    for (const p of ['public.metrics_p202604', 'public.metrics_p202605']) expect(await shardAccessMethods(p), p).toEqual(['heap', 'heap', 'heap', 'heap']);
    expect((await db.sql.query(fingerprint)).rows[0]).toEqual(before);
    // still colocated partitions of the distributed parent
    const parts = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_dist_partition p ON p.logicalrelid = i.inhrelid WHERE i.inhparent = 'public.metrics'::regclass AND p.colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'public.metrics'::regclass)`);
    expect(parts.rows[0]!.n).toBe(6);
    const again = await runCli(['plan', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(again.stdout).not.toContain('SET ACCESS METHOD');
  }, 120_000);
});
