import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt } from '../helpers/partwarden.js';

const db = useDatabase();

const NOW = '2024-03-10T15:00:00Z';

describe('locks: application traffic is never stuck behind partwarden', () => {
  it('pre-creates partitions while an application transaction writes to the parent', async () => {
    await db.sql.query(`CREATE TABLE public.busy (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.busy_now PARTITION OF public.busy FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
    const app = await db.connect();
    await app.query('BEGIN');
    await app.query(`INSERT INTO public.busy VALUES ('2024-03-10 12:00+00', 1)`); // ROW EXCLUSIVE held until COMMIT
    const cfg = writeProject(db.url, { 'b.yaml': rangePolicy({ name: 'busy', table: 'public.busy', column: 'ts', interval: '1 day', premake: 2 }) });
    // ATTACH takes SHARE UPDATE EXCLUSIVE, which does not conflict with the writer
    expect(outcomesOf(await reconcileAt(cfg, NOW))).toEqual(['done create busy_p20240311', 'done create busy_p20240312']);
    await app.query(`INSERT INTO public.busy VALUES ('2024-03-11 12:00+00', 2)`);
    await app.query('COMMIT');
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.busy')).rows[0].n).toBe(2);
  });

  it('gives up after bounded retries when the parent is locked, and finishes on the next run', async () => {
    await db.sql.query(`CREATE TABLE public.locked (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    const cfg = writeProject(db.url, { 'l.yaml': rangePolicy({ name: 'locked', table: 'public.locked', column: 'ts', interval: '1 day', premake: 1 }) });
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE public.locked IN ACCESS EXCLUSIVE MODE');
    const t0 = Date.now();
    const r = await reconcileAt(cfg, NOW);
    const elapsed = Date.now() - t0;
    const outcomes = r[0]!.outcomes;
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed']);
    expect(outcomes[0]!.sqlstate).toBe('55P03');
    expect(outcomes[0]!.error).toMatch(/could not get the lock in 3 attempt/);
    // 2 actions x 3 attempts x 300ms lock_timeout + backoff: bounded, never an unbounded wait
    expect(elapsed).toBeLessThan(6000);
    await holder.query('ROLLBACK');
    // the failed step left a standalone table (CREATE TABLE does not need the parent lock... or it did not get it);
    // either way the next run completes the work without duplicates
    const next = await reconcileAt(cfg, NOW);
    expect(next[0]!.outcomes.every((o) => o.status === 'done')).toBe(true);
    const parts = await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.locked'::regclass`);
    expect(parts.rows[0].n).toBe(2);
    const stray = await db.sql.query(`SELECT count(*)::int AS n FROM pg_class c WHERE c.relname LIKE 'locked_p%' AND NOT c.relispartition AND c.relkind = 'r'`);
    expect(stray.rows[0].n).toBe(0);
  });

  it('a blocking DETACH (DEFAULT present) never queues application queries for much more than lockTimeout', async () => {
    await db.sql.query(`CREATE TABLE public.hot (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.hot_old PARTITION OF public.hot FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')`);
    await db.sql.query(`CREATE TABLE public.hot_default PARTITION OF public.hot DEFAULT`);
    for (const d of ['08', '09', '10', '11']) await db.sql.query(`CREATE TABLE public.hot_${d} PARTITION OF public.hot FOR VALUES FROM ('2024-03-${d}') TO ('2024-03-${d}'::date + 1)`);
    const cfg = writeProject(db.url, {
      'h.yaml': rangePolicy({ name: 'hot', table: 'public.hot', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 2 days\n    action: detach\n' }),
    });
    // a long application transaction keeps ROW EXCLUSIVE on the parent
    const longTx = await db.connect();
    await longTx.query('BEGIN');
    await longTx.query(`INSERT INTO public.hot VALUES ('2024-03-10 12:00+00', 1)`);
    // meanwhile, another application session keeps querying the parent
    const reader = await db.connect();
    const latencies: number[] = [];
    let readerErrors = 0;
    let stop = false;
    const readLoop = (async () => {
      while (!stop) {
        const t = Date.now();
        try {
          await reader.query('SELECT count(*) FROM public.hot');
        } catch {
          readerErrors++;
        }
        latencies.push(Date.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const r = await reconcileAt(cfg, NOW);
    stop = true;
    await readLoop;
    const detach = r[0]!.outcomes.find((o) => o.action.kind === 'detach')!;
    expect(detach.status).toBe('failed');
    expect(detach.action.sql[0]).not.toMatch(/CONCURRENTLY/); // not allowed with a DEFAULT partition
    expect(readerErrors).toBe(0);
    // lockTimeout is 300ms: a reader queued behind the waiting DETACH waits at most about that long
    expect(Math.max(...latencies)).toBeLessThan(300 + 700);
    await longTx.query('COMMIT');
    const next = await reconcileAt(cfg, NOW);
    expect(outcomesOf(next)).toEqual(['done detach hot_old']);
  });
});
