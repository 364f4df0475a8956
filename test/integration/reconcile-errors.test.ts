import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { startCli } from '../helpers/partwarden.js';

const db = useDatabase();

describe('a reconcile that fails part-way', () => {
  it("still reports the actions that ran, in apply's output and exit code", async () => {
    await db.sql.query(`CREATE TABLE public.a_t (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.a_old PARTITION OF public.a_t FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')`);
    await db.sql.query(`CREATE TABLE public.b_t (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    // planning b asks its DEFAULT whether it holds rows of the partitions to create: a query
    await db.sql.query(`CREATE TABLE public.b_default PARTITION OF public.b_t DEFAULT`);
    await db.sql.query(`INSERT INTO public.b_t VALUES ('2020-01-01')`);
    const cfg = writeProject(db.url, {
      'a.yaml': rangePolicy({ name: 'a', table: 'public.a_t', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 3 days\n    action: drop\n' }),
      'b.yaml': rangePolicy({ name: 'b', table: 'public.b_t', column: 'ts', interval: '1 day', premake: 1 }),
    });
    // the session dies while the drop of a_old waits: a's creates ran, its drop fails, b cannot even be planned
    const { child, done } = startCli(['apply', '--config', cfg], { PARTWARDEN_PAUSE: 'before:detach:3000' });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 200 && !stderr.includes('"pausepoint"'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(stderr).toContain('"pausepoint"');
    await db.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'partwarden' AND datname = current_database()`);
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^DONE {4}a: create public\.a_t_p\d{8}/m);
    expect(r.stdout).toMatch(/^FAILED {2}a: drop public\.a_old/m);
    expect(r.stdout).toMatch(/^database main: ERROR /m);
    expect(r.stdout).toMatch(/^5 done, 1 failed, 0 skipped$/m); // 5 creates (keep: 3 days back, premake 1 ahead)
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.a_t'::regclass`)).rows[0].n).toBe(6);
  });
});
