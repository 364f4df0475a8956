import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

const db = useDatabase();

const NOW = '2024-03-10T15:00:00Z';

async function setup(table: string): Promise<void> {
  await db.sql.query(`CREATE TABLE public.${table} (id bigint GENERATED ALWAYS AS IDENTITY, ts timestamptz NOT NULL, body text, twice int GENERATED ALWAYS AS (length(body) * 2) STORED) PARTITION BY RANGE (ts)`);
  await db.sql.query(`CREATE TABLE public.${table}_default PARTITION OF public.${table} DEFAULT`);
  await db.sql.query(`CREATE TABLE public.${table}_0310 PARTITION OF public.${table} FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
  // 1234 rows that belong to 2024-03-11, which has no partition yet, plus rows for far later
  await db.sql.query(`INSERT INTO public.${table} (ts, body) SELECT '2024-03-11 00:00+00'::timestamptz + g * interval '1 minute', 'row ' || g || E' with \\'quotes\\', commas, and\\nnewlines' FROM generate_series(0, 1233) g`);
  await db.sql.query(`INSERT INTO public.${table} (ts, body) VALUES ('2030-01-01', 'far future')`);
}

describe('DEFAULT partition', () => {
  it('rows of a new range in DEFAULT block its creation with a default_rows violation', async () => {
    await setup('blocked');
    const cfg = writeProject(db.url, { 'b.yaml': rangePolicy({ name: 'blocked', table: 'public.blocked', column: 'ts', interval: '1 day', premake: 2 }) });
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r)).toEqual(['done create blocked_p20240312']);
    // blocking for the new range; and (default.maxRows: 0) the DEFAULT holding rows at all is a violation too
    expect(r[0]!.plans[0]!.problems.map((p) => `${p.rule} ${p.partition} ${p.blocking}`)).toEqual(['default_rows blocked_p20240311 true', 'default_rows blocked_default false']);
    expect(r[0]!.plans[0]!.health?.defaultRows).toEqual({ partition: 'blocked_default', rows: 1235, exact: true });
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.blocked_default')).rows[0].n).toBe(1235);
    // the CLI reports it and exits 1: work was left undone
    const cli = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/BLOCKED blocked: default_rows \[blocked_p20240311\] — DEFAULT partition blocked_default holds rows/);
  });

  it('with default.relocate: true, moves the rows in batches and loses none', async () => {
    await setup('moved');
    const before = await db.sql.query(`SELECT count(*)::int AS n, md5(string_agg(id || ts::text || body || twice, ',' ORDER BY id)) AS h FROM public.moved`);
    const cfg = writeProject(db.url, {
      'm.yaml': rangePolicy({ name: 'moved', table: 'public.moved', column: 'ts', interval: '1 day', premake: 2, extra: '  default:\n    relocate: true\n    relocateBatchRows: 100\n' }),
    });
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r)).toEqual(['done relocate moved_p20240311', 'done create moved_p20240312']);
    const after = await db.sql.query(`SELECT count(*)::int AS n, md5(string_agg(id || ts::text || body || twice, ',' ORDER BY id)) AS h FROM public.moved`);
    expect(after.rows[0]).toEqual(before.rows[0]);
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.moved_p20240311')).rows[0].n).toBe(1234);
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.moved_default')).rows[0].n).toBe(1);
    const batches = await db.sql.query(`SELECT rows FROM partwarden.journal WHERE step = 'move-rows' AND partition_name = 'moved_p20240311' ORDER BY id`);
    expect(batches.rows.map((b) => Number(b.rows))).toEqual([...Array(12).fill(100), 34, 0]);
    // the partition that received the rows, and the DEFAULT that lost them, are analyzed (reltuples was -1)
    const stats = await db.sql.query<{ relname: string; reltuples: number }>(`SELECT relname, reltuples::int AS reltuples FROM pg_class WHERE relname IN ('moved_p20240311', 'moved_default') ORDER BY 1`);
    expect(stats.rows).toEqual([{ relname: 'moved_default', reltuples: 1 }, { relname: 'moved_p20240311', reltuples: 1234 }]);
    const steps = await db.sql.query(`SELECT step, sql FROM partwarden.journal WHERE partition_name = 'moved_p20240311' AND step IN ('attach', 'analyze') ORDER BY id`);
    expect(steps.rows.map((x) => x.step)).toEqual(['attach', 'analyze']);
    expect(steps.rows[1].sql).toBe('ANALYZE "public"."moved_p20240311", "public"."moved_default"');
  });
});
