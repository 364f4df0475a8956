import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt } from '../helpers/partwarden.js';

const db = useDatabase();

const NOW = '2024-03-10T15:00:00Z';
const pending = async (table: string) =>
  (await db.sql.query<{ pending: boolean }>(`SELECT inhdetachpending AS pending FROM pg_inherits WHERE inhrelid = to_regclass($1)`, [table])).rows[0]?.pending ?? null;

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('interrupted DETACH ... CONCURRENTLY', () => {
  it('finalizes a partition left pending by someone else, then applies retention to it', async () => {
    await db.sql.query(`CREATE TABLE public.pd (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.pd_old PARTITION OF public.pd FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.pd_now PARTITION OF public.pd FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public.pd VALUES ('2024-03-01 10:00+00', 1)`);
    // an old snapshot on the parent makes phase 2 wait; cancelling it leaves the partition pending
    const reader = await db.connect();
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await reader.query('SELECT count(*) FROM public.pd');
    const detacher = await db.connect();
    const pid = (await detacher.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    const running = detacher.query('ALTER TABLE public.pd DETACH PARTITION public.pd_old CONCURRENTLY').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 500));
    await db.sql.query('SELECT pg_cancel_backend($1)', [pid]);
    expect(await running).toBeInstanceOf(Error);
    await reader.query('COMMIT');
    expect(await pending('public.pd_old')).toBe(true);

    const cfg = writeProject(db.url, {
      'p.yaml': rangePolicy({ name: 'pd', table: 'public.pd', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: drop\n' }),
    });
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r).filter((o) => !o.includes(' create '))).toEqual(['done finalize pd_old', 'done drop pd_old']);
    expect(r[0]!.plans[0]!.actions[0]!.sql).toEqual(['ALTER TABLE "public"."pd" DETACH PARTITION "public"."pd_old" FINALIZE']);
    expect(await pending('public.pd_old')).toBeNull();
  });

  it('when its own concurrent detach is interrupted by a long transaction, it leaves no data behind and finishes later', async () => {
    await db.sql.query(`CREATE TABLE public.own (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.own_old PARTITION OF public.own FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.own_now PARTITION OF public.own FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public.own SELECT '2024-03-01 10:00+00', g FROM generate_series(1, 50) g`);
    const cfg = writeProject(db.url, {
      'o.yaml': rangePolicy({ name: 'own', table: 'public.own', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: detach\n' }),
    });
    const longTx = await db.connect();
    await longTx.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await longTx.query('SELECT count(*) FROM public.own');
    const first = await reconcileAt(cfg, NOW);
    const detach = first[0]!.outcomes.find((o) => o.action.kind === 'detach')!;
    expect(detach.status).toBe('failed');
    // the rows are all still there, in the (pending or attached) partition
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.own_old')).rows[0].n).toBe(50);
    await longTx.query('COMMIT');
    const second = await reconcileAt(cfg, NOW);
    expect(second[0]!.outcomes.every((o) => o.status === 'done')).toBe(true);
    expect(await pending('public.own_old')).toBeNull();
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.own_old')).rows[0].n).toBe(50);
  });
});
