import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useCitusDatabase } from '../helpers/citus.js';
import { rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

/*
 * What lock_timeout covers on a Citus cluster. A DDL statement takes its locks on the coordinator
 * (the parent and the partition) and then, over Citus' own connections, on every worker (their
 * copies of the tables and the shards). A session-level lock_timeout stays on the coordinator: a
 * reader on a worker (Citus syncs metadata, so applications may query any node) held a DETACH for
 * as long as it ran. partwarden sets citus.propagate_set_commands = 'local' and runs each DDL in a
 * transaction with SET LOCAL lock_timeout, which Citus sends to the workers too.
 */

const db = useCitusDatabase('locks', async (sql) => {
  await sql.query(`CREATE TABLE public.events (tenant_id int NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at)`);
  await sql.query(`SELECT create_distributed_table('public.events', 'tenant_id', shard_count := 4)`);
  await sql.query(`CREATE TABLE public.events_old PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')`);
  await sql.query(`INSERT INTO public.events SELECT g, '2025-01-05' FROM generate_series(1, 100) g`);
});

const attached = async (): Promise<string[]> =>
  (await db.sql.query<{ r: string }>(`SELECT inhrelid::regclass::text AS r FROM pg_inherits WHERE inhparent = 'public.events'::regclass ORDER BY 1`)).rows.map((x) => x.r);

describe.runIf(process.env.PW_CITUS === '1')('Citus: lock_timeout on the workers', () => {
  it('a reader on a worker makes the DETACH give up after lockTimeout x lockRetries, leaving everything attached; once it is gone the drop goes through', async () => {
    const policy = rangePolicy({ name: 'events', table: 'public.events', column: 'at', interval: '1 month', premake: 1, extra: '  retention:\n    keep: 3 months\n    action: drop\n    allowMassRemoval: true\n' });
    const creating = writeProject(db.url, { 'e.yaml': rangePolicy({ name: 'events', table: 'public.events', column: 'at', interval: '1 month', premake: 1 }) });
    expect((await runCli(['apply', '--config', creating])).code).toBe(0); // the future partitions first, so only the drop is left
    const config = writeProject(db.url, { 'e.yaml': policy });
    const before = await attached();
    expect(before).toContain('events_old');

    const worker = new pg.Client(db.workerUrl(0));
    await worker.connect();
    try {
      await worker.query('BEGIN');
      expect((await worker.query<{ n: number }>('SELECT count(*)::int AS n FROM public.events')).rows[0]!.n).toBe(100);
      const started = Date.now();
      const blocked = await runCli(['apply', '--config', config]);
      const seconds = (Date.now() - started) / 1000;
      expect(blocked.code).toBe(1);
      expect(blocked.stdout).toMatch(/FAILED\s+events: drop public\.events_old .*lock/);
      expect(seconds).toBeLessThan(60); // 3 attempts of 300 ms (and back-off) per expired partition; without the fix, until the reader ends
      expect(await attached()).toEqual(before);
    } finally {
      await worker.query('COMMIT').catch(() => undefined);
      await worker.end();
    }
    const after = await runCli(['apply', '--config', config]);
    expect(after.code, after.stderr).toBe(0);
    expect(await attached()).not.toContain('events_old');
  }, 120_000);
});
