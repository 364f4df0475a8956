import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

const db = useDatabase();

const NOW = '2024-03-10T15:00:00Z';

async function relations(prefix: string): Promise<string[]> {
  const r = await db.sql.query<{ d: string }>(
    `SELECT c.relname || CASE WHEN c.relispartition THEN ' attached' ELSE ' standalone' END AS d FROM pg_class c
      WHERE c.relname LIKE $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
    [`${prefix}%`],
  );
  // partitions partwarden creates to fill the retention window are not what these tests are about
  return r.rows.map((x) => x.d).filter((d) => prefix === 'k1_' || !/_p\d{8} /.test(d));
}

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('kill -9 between steps: the next run resumes from the journal and the catalog', () => {
  it('killed after CREATE TABLE, before ATTACH: the next run attaches the same table', async () => {
    await db.sql.query(`CREATE TABLE public.k1 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.k1_p20240310 PARTITION OF public.k1 FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
    const cfg = writeProject(db.url, { 'k.yaml': rangePolicy({ name: 'k1', table: 'public.k1', column: 'ts', interval: '1 day', premake: 1 }) });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:create-table' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await relations('k1_')).toEqual(['k1_p20240310 attached', 'k1_p20240311 standalone']);
    const oid = (await db.sql.query(`SELECT 'public.k1_p20240311'::regclass::oid::int8 AS o`)).rows[0].o;
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toMatch(/attach\s+k1_p20240311 .*resume: created by an earlier run that stopped before ATTACH/);
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(await relations('k1_')).toEqual(['k1_p20240310 attached', 'k1_p20240311 attached']);
    expect((await db.sql.query(`SELECT 'public.k1_p20240311'::regclass::oid::int8 AS o`)).rows[0].o).toBe(oid);
    const again = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(again.stdout).toMatch(/^0 done, 0 failed, 0 skipped$/m);
  });

  it('killed after DETACH, before DROP: the next run drops exactly that table', async () => {
    await db.sql.query(`CREATE TABLE public.k2 (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.k2_old PARTITION OF public.k2 FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.k2_now PARTITION OF public.k2 FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public.k2 VALUES ('2024-03-01 10:00+00', 1), ('2024-03-10 10:00+00', 2)`);
    const cfg = writeProject(db.url, {
      'k.yaml': rangePolicy({ name: 'k2', table: 'public.k2', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: drop\n' }),
    });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:detach' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await relations('k2_')).toEqual(['k2_now attached', 'k2_old standalone']);
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/DONE\s+k2: drop public\.k2_old/);
    expect(await relations('k2_')).toEqual(['k2_now attached']);
  });

  it('never drops a different table that took the name of the one it detached', async () => {
    await db.sql.query(`CREATE TABLE public.k3 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.k3_old PARTITION OF public.k3 FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.k3_now PARTITION OF public.k3 FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    const cfg = writeProject(db.url, {
      'k.yaml': rangePolicy({ name: 'k3', table: 'public.k3', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: drop\n' }),
    });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:detach' });
    expect(crashed.signal).toBe('SIGKILL');
    // a DBA renames the detached table away and creates another table under the old name
    await db.sql.query('ALTER TABLE public.k3_old RENAME TO k3_kept_by_dba');
    await db.sql.query('CREATE TABLE public.k3_old (important text)');
    await db.sql.query(`INSERT INTO public.k3_old VALUES ('do not lose me')`);
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect((await db.sql.query('SELECT important FROM public.k3_old')).rows).toEqual([{ important: 'do not lose me' }]);
    expect(await relations('k3_')).toEqual(['k3_kept_by_dba standalone', 'k3_now attached', 'k3_old standalone']);
  });

  it('killed in the middle of moving rows out of DEFAULT: no row is lost, the next run finishes', async () => {
    await db.sql.query(`CREATE TABLE public.k4 (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.k4_default PARTITION OF public.k4 DEFAULT`);
    await db.sql.query(`CREATE TABLE public.k4_now PARTITION OF public.k4 FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
    await db.sql.query(`INSERT INTO public.k4 SELECT '2024-03-11 00:00+00'::timestamptz + g * interval '1 second', g FROM generate_series(1, 250) g`);
    const cfg = writeProject(db.url, {
      'k.yaml': rangePolicy({ name: 'k4', table: 'public.k4', column: 'ts', interval: '1 day', premake: 1, extra: '  default:\n    relocate: true\n    relocateBatchRows: 100\n' }),
    });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:move-rows' });
    expect(crashed.signal).toBe('SIGKILL');
    const counts = async () =>
      (await db.sql.query(`SELECT (SELECT count(*) FROM public.k4_default)::int AS d, (SELECT count(*) FROM public.k4_p20240311)::int AS n`)).rows[0];
    expect(await counts()).toEqual({ d: 150, n: 100 }); // one batch moved into the not-yet-attached table
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/DONE\s+k4: attach public\.k4_p20240311/);
    expect(await counts()).toEqual({ d: 0, n: 250 });
    expect((await db.sql.query('SELECT count(*)::int AS n, sum(v)::int AS s FROM public.k4')).rows[0]).toEqual({ n: 250, s: 31375 });
    expect(await relations('k4_')).toEqual(['k4_default attached', 'k4_now attached']);
  });

  it('killed right after DETACH CONCURRENTLY, before the journal knew: the next run still drops it', async () => {
    await db.sql.query(`CREATE TABLE public.k5 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.k5_old PARTITION OF public.k5 FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.k5_now PARTITION OF public.k5 FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    const cfg = writeProject(db.url, {
      'k.yaml': rangePolicy({ name: 'k5', table: 'public.k5', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: drop\n' }),
    });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'before-journal:detach' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await relations('k5_')).toEqual(['k5_now attached', 'k5_old standalone']);
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(await relations('k5_')).toEqual(['k5_now attached']);
  });

  it('killed right after CREATE TABLE committed: the journal committed with it, the next run attaches', async () => {
    await db.sql.query(`CREATE TABLE public.k6 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    const cfg = writeProject(db.url, { 'k.yaml': rangePolicy({ name: 'k6', table: 'public.k6', column: 'ts', interval: '1 day', premake: 1 }) });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'before-journal:create-table' });
    expect(crashed.signal).toBe('SIGKILL');
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/DONE\s+k6: attach public\.k6_p20240310/);
    const r = await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.k6'::regclass`);
    expect(r.rows[0].n).toBe(2);
  });
});
