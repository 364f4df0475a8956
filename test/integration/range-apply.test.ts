import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt } from '../helpers/partwarden.js';

const db = useDatabase();

async function partitions(table: string): Promise<Array<{ name: string; bound: string }>> {
  const r = await db.sql.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY pg_get_expr(c.relpartbound, c.oid)`,
    [table],
  );
  return r.rows;
}

describe('range lifecycle against PostgreSQL', () => {
  it('creates partitions with LIKE + ATTACH, journals them, and is idempotent', async () => {
    await db.sql.query(`CREATE TABLE public.events (id bigint GENERATED ALWAYS AS IDENTITY, occurred_at timestamptz NOT NULL, body text, PRIMARY KEY (id, occurred_at)) PARTITION BY RANGE (occurred_at)`);
    await db.sql.query(`CREATE INDEX ON public.events (occurred_at)`);
    const cfg = writeProject(db.url, { 'events.yaml': rangePolicy({ name: 'events', table: 'public.events', column: 'occurred_at', interval: '1 day', premake: 2 }) });
    const first = await reconcileAt(cfg, '2024-03-10T15:00:00Z');
    expect(first.flatMap((r) => r.outcomes.map((o) => o.error ?? ''))).toEqual(['', '', '']);
    expect(outcomesOf(first)).toEqual(['done create events_p20240310', 'done create events_p20240311', 'done create events_p20240312']);
    expect(await partitions('public.events')).toEqual([
      { name: 'events_p20240310', bound: "FOR VALUES FROM ('2024-03-10 00:00:00+00') TO ('2024-03-11 00:00:00+00')" },
      { name: 'events_p20240311', bound: "FOR VALUES FROM ('2024-03-11 00:00:00+00') TO ('2024-03-12 00:00:00+00')" },
      { name: 'events_p20240312', bound: "FOR VALUES FROM ('2024-03-12 00:00:00+00') TO ('2024-03-13 00:00:00+00')" },
    ]);
    // the journal is an audit trail: every statement with its status
    const j = await db.sql.query<{ step: string; sql: string; status: string }>(`SELECT step, sql, status FROM partwarden.journal WHERE partition_name = 'events_p20240310' ORDER BY id`);
    expect(j.rows.map((r) => `${r.step} ${r.status}`)).toEqual(['create-table done', 'attach done']);
    expect(j.rows[0]!.sql).toMatch(/^CREATE TABLE "public"\."events_p20240310" \(LIKE "public"\."events" INCLUDING ALL EXCLUDING IDENTITY\)$/);
    const all = await db.sql.query<{ sql: string }>('SELECT sql FROM partwarden.journal');
    expect(all.rows.some((r) => /PARTITION OF/i.test(r.sql))).toBe(false);
    // rows route to the new partitions; the parent's indexes were inherited, not duplicated
    await db.sql.query(`INSERT INTO public.events (occurred_at, body) VALUES ('2024-03-11 10:00+00', 'x')`);
    const idx = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'events_p20240311'`);
    expect(Number(idx.rows[0]!.n)).toBe(2);
    // second run: nothing to do
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-10T16:00:00Z'))).toEqual([]);
  });

  it('actionPause leaves a pause between the actions of one reconcile (pg_partman p_wait)', async () => {
    await db.sql.query(`CREATE TABLE public.paced (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    const cfg = writeProject(db.url, { 'p.yaml': rangePolicy({ name: 'paced', table: 'public.paced', column: 'ts', interval: '1 day', premake: 2 }) });
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('    retryDelay: 50ms\n', '    retryDelay: 50ms\n    actionPause: 400ms\n'));
    const t0 = Date.now();
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-10T15:00:00Z'))).toEqual(['done create paced_p20240310', 'done create paced_p20240311', 'done create paced_p20240312']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    const starts = await db.sql.query<{ gap: number }>(
      `SELECT extract(epoch FROM min(started_at) - lag(max(finished_at)) OVER (ORDER BY min(started_at))) * 1000 AS gap
         FROM partwarden.journal WHERE policy = 'paced' GROUP BY action_id ORDER BY min(started_at)`,
    );
    const gaps = starts.rows.slice(1).map((r) => Number(r.gap));
    expect(gaps).toHaveLength(2);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(390);
  });

  it('adopts hand-made and off-grid partitions by their bounds', async () => {
    await db.sql.query(`CREATE TABLE public.adopt (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.handmade PARTITION OF public.adopt FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
    await db.sql.query(`CREATE TABLE public.noon PARTITION OF public.adopt FOR VALUES FROM ('2024-03-11 12:00+00') TO ('2024-03-12 12:00+00')`);
    const cfg = writeProject(db.url, { 'a.yaml': rangePolicy({ name: 'adopt', table: 'public.adopt', column: 'ts', interval: '1 day', premake: 2 }) });
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-10T15:00:00Z'))).toEqual(['done create adopt_p20240311', 'done create adopt_p20240312']);
    expect((await partitions('public.adopt')).map((p) => `${p.name} ${p.bound}`)).toEqual([
      "handmade FOR VALUES FROM ('2024-03-10 00:00:00+00') TO ('2024-03-11 00:00:00+00')",
      "adopt_p20240311 FOR VALUES FROM ('2024-03-11 00:00:00+00') TO ('2024-03-11 12:00:00+00')",
      "noon FOR VALUES FROM ('2024-03-11 12:00:00+00') TO ('2024-03-12 12:00:00+00')",
      "adopt_p20240312 FOR VALUES FROM ('2024-03-12 12:00:00+00') TO ('2024-03-13 00:00:00+00')",
    ]);
  });

  it('expires by age: DETACH CONCURRENTLY then DROP', async () => {
    await db.sql.query(`CREATE TABLE public.ret (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    for (const d of ['01', '02', '03', '04', '05']) {
      await db.sql.query(`CREATE TABLE public.ret_${d} PARTITION OF public.ret FOR VALUES FROM ('2024-03-${d}') TO ('2024-03-${d}'::date + 1)`);
    }
    await db.sql.query(`INSERT INTO public.ret SELECT '2024-03-05 01:00+00', g FROM generate_series(1, 10) g`);
    const cfg = writeProject(db.url, {
      'r.yaml': rangePolicy({ name: 'ret', table: 'public.ret', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 2 days\n    action: drop\n' }),
    });
    const r = await reconcileAt(cfg, '2024-03-05T12:00:00Z');
    expect(outcomesOf(r)).toEqual(['done create ret_p20240306', 'done drop ret_01', 'done drop ret_02']);
    expect(r[0]!.plans[0]!.actions.find((a) => a.kind === 'drop')!.sql[0]).toMatch(/CONCURRENTLY$/);
    expect((await partitions('public.ret')).map((p) => p.name)).toEqual(['ret_03', 'ret_04', 'ret_05', 'ret_p20240306']);
    const gone = await db.sql.query(`SELECT to_regclass('public.ret_01') AS t`);
    expect(gone.rows[0].t).toBeNull();
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.ret')).rows[0].n).toBe(10);
  });

  it('detaches by count (keepPartitions) on integer keys and keeps the tables', async () => {
    await db.sql.query(`CREATE TABLE public.ids (id bigint NOT NULL) PARTITION BY RANGE (id)`);
    await db.sql.query(`CREATE INDEX ON public.ids (id)`);
    for (let i = 0; i < 4; i++) await db.sql.query(`CREATE TABLE public.ids_${i} PARTITION OF public.ids FOR VALUES FROM (${i * 100}) TO (${(i + 1) * 100})`);
    await db.sql.query(`INSERT INTO public.ids SELECT g FROM generate_series(0, 350) g`);
    const cfg = writeProject(db.url, {
      'i.yaml': rangePolicy({ name: 'ids', table: 'public.ids', column: 'id', interval: 100, premake: 2, extra: '  retention:\n    keepPartitions: 2\n    action: detach\n' }),
    });
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-05T12:00:00Z'))).toEqual(['done create ids_p400', 'done create ids_p500', 'done detach ids_0', 'done detach ids_1']);
    expect((await partitions('public.ids')).map((p) => p.name)).toEqual(['ids_2', 'ids_3', 'ids_p400', 'ids_p500']);
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.ids_0')).rows[0].n).toBe(100);
  });

  it('handles date and timestamp keys, and monthly partitions in a time zone', async () => {
    await db.sql.query(`CREATE TABLE public.daily_d (d date NOT NULL) PARTITION BY RANGE (d)`);
    await db.sql.query(`CREATE TABLE public.monthly_ts (t timestamp NOT NULL) PARTITION BY RANGE (t)`);
    const cfg = writeProject(db.url, {
      'd.yaml': rangePolicy({ name: 'd', table: 'public.daily_d', column: 'd', interval: '1 week', premake: 1 }),
      't.yaml': rangePolicy({ name: 't', table: 'public.monthly_ts', column: 't', interval: '1 month', premake: 1, timezone: 'America/New_York' }),
    });
    // 2024-03-01 02:00 UTC is still February 29 in New York (a leap day)
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-01T02:00:00Z'))).toEqual(['done create daily_d_p20240226', 'done create daily_d_p20240304', 'done create monthly_ts_p202402', 'done create monthly_ts_p202403']);
    expect((await partitions('public.monthly_ts')).map((p) => p.bound)).toEqual([
      "FOR VALUES FROM ('2024-02-01 00:00:00') TO ('2024-03-01 00:00:00')",
      "FOR VALUES FROM ('2024-03-01 00:00:00') TO ('2024-04-01 00:00:00')",
    ]);
  });

  it('quotes hostile schema and table names everywhere', async () => {
    const schema = 'Sales "EU"; -- ñ';
    const table = 'Événements order 📈';
    await db.sql.query(`CREATE SCHEMA "Sales ""EU""; -- ñ"`);
    await db.sql.query(`CREATE TABLE "Sales ""EU""; -- ñ"."Événements order 📈" ("select" timestamptz NOT NULL, "Value" text) PARTITION BY RANGE ("select")`);
    await db.sql.query(`CREATE TABLE "Sales ""EU""; -- ñ"."old one" PARTITION OF "Sales ""EU""; -- ñ"."Événements order 📈" FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')`);
    const qualified = `"${schema.replaceAll('"', '""')}"."${table}"`;
    const cfg = writeProject(db.url, {
      'h.yaml': rangePolicy({ name: 'hostile', table: qualified, column: 'select', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 2 days\n    action: drop\n' }),
    });
    const r = await reconcileAt(cfg, '2024-03-10T15:00:00Z');
    expect(outcomesOf(r)).toEqual([
      'done create Événements order 📈_p20240308', 'done create Événements order 📈_p20240309',
      'done create Événements order 📈_p20240310', 'done create Événements order 📈_p20240311', 'done drop old one',
    ]);
    const parts = await db.sql.query<{ relname: string; nspname: string }>(
      `SELECT c.relname, n.nspname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [`"Sales ""EU""; -- ñ"."Événements order 📈"`],
    );
    expect(parts.rows).toEqual([
      { relname: 'Événements order 📈_p20240308', nspname: schema },
      { relname: 'Événements order 📈_p20240309', nspname: schema },
      { relname: 'Événements order 📈_p20240310', nspname: schema },
      { relname: 'Événements order 📈_p20240311', nspname: schema },
    ]);
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-10T16:00:00Z'))).toEqual([]);
  });
});
