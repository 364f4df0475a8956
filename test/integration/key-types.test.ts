import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

/** The key types real schemas use: Rails' timestamp(6), a precision on timestamptz, domains. */
const db = useDatabase();

async function bounds(table: string): Promise<string[]> {
  const r = await db.sql.query<{ b: string }>(
    `SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return r.rows.map((x) => x.b);
}

describe('range key types', () => {
  it.each([
    ['timestamp(6) without time zone', 'rails', "'2026-12-01 10:00:00.123456'"],
    ['timestamptz(3)', 'precise', "'2026-12-01 10:00:00.123+00'"],
    ['created_ts', 'domained', "'2026-12-01 10:00:00+00'"],
  ])('%s: partitions are created and rows route to them', async (type, table, value) => {
    await db.sql.query(`DO $$ BEGIN CREATE DOMAIN created_ts AS timestamptz(3) NOT NULL; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await db.sql.query(`CREATE TABLE public.${table} (id bigint, created_at ${type} NOT NULL) PARTITION BY RANGE (created_at)`);
    const cfg = writeProject(db.url, { 'p.yaml': rangePolicy({ name: table, table: `public.${table}`, column: 'created_at', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 30 days\n    action: drop\n' }) });
    const check = await runCli(['validate', '--config', cfg, '--db']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual([`done create ${table}_p20261201`, `done create ${table}_p20261202`]);
    expect((await bounds(`public.${table}`))[0]).toMatch(new RegExp(`^${table}_p20261201 FOR VALUES FROM \\('2026-12-01 00:00:00(\\+00)?'\\) TO \\('2026-12-02 00:00:00(\\+00)?'\\)$`));
    await db.sql.query(`INSERT INTO public.${table} VALUES (1, ${value})`);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM public.${table}_p20261201`)).rows[0].n).toBe(1);
    // idempotent: the precision does not make the existing bounds look off-grid
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T11:00:00Z'))).toEqual([]);
  });

  it('a domain over bigint takes integer steps', async () => {
    await db.sql.query(`CREATE DOMAIN order_id AS bigint CHECK (VALUE >= 0)`);
    await db.sql.query(`CREATE TABLE public.orders (id order_id NOT NULL) PARTITION BY RANGE (id)`);
    await db.sql.query(`CREATE TABLE public.orders_first PARTITION OF public.orders FOR VALUES FROM (0) TO (1000)`);
    await db.sql.query(`INSERT INTO public.orders SELECT generate_series(1, 900)`);
    const cfg = writeProject(db.url, { 'o.yaml': rangePolicy({ name: 'orders', table: 'public.orders', column: 'id', interval: 1000, premake: 2 }) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create orders_p1000', 'done create orders_p2000']);
  });

  it('other types get a message that names what is supported', async () => {
    await db.sql.query(`CREATE TABLE public.money_key (m numeric NOT NULL) PARTITION BY RANGE (m)`);
    const cfg = writeProject(db.url, { 'm.yaml': rangePolicy({ name: 'money', table: 'public.money_key', column: 'm', interval: 100 }) });
    const r = await runCli(['validate', '--config', cfg, '--db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('partition key m has type numeric; range policies support time keys (timestamptz, timestamp with any precision, date, or a domain over one) and integer keys (smallint, integer, bigint, or a domain over one)');
  });
});
