import { describe, expect, inject, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

/** The key types real schemas use: Rails' timestamp(6), a precision on timestamptz, domains. */
const db = useDatabase();
const major = Number(inject('pgVersion').split('.')[0]);

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
    expect(r.stderr).toContain('partition key m has type numeric; range policies support time keys (timestamptz, timestamp with any precision, date, or a domain over one; an integer column holding epoch times with range.epoch; a uuid column holding UUIDv7 values, on a time interval) and integer keys (smallint, integer, bigint, or a domain over one)');
  });
});

describe('times held in integers and uuids', () => {
  it('epoch seconds and milliseconds: daily partitions in Europe/Paris across the DST change, keep in days, bounds as integers', async () => {
    await db.sql.query(`CREATE TABLE public.clicks_s (id bigint, at_s bigint NOT NULL) PARTITION BY RANGE (at_s)`);
    await db.sql.query(`CREATE TABLE public.clicks_ms (id bigint, at_ms bigint NOT NULL) PARTITION BY RANGE (at_ms)`);
    const keep = '  retention:\n    keep: 3 days\n    action: drop\n';
    const cfg = writeProject(db.url, {
      's.yaml': rangePolicy({ name: 'clicks_s', table: 'public.clicks_s', column: 'at_s', interval: '1 day', premake: 2, timezone: 'Europe/Paris', extra: `${keep}` }).replace('    timezone: Europe/Paris\n', '    timezone: Europe/Paris\n    epoch: seconds\n'),
      'm.yaml': rangePolicy({ name: 'clicks_ms', table: 'public.clicks_ms', column: 'at_ms', interval: '1 day', premake: 2, timezone: 'Europe/Paris', extra: `${keep}` }).replace('    timezone: Europe/Paris\n', '    timezone: Europe/Paris\n    epoch: milliseconds\n'),
    });
    expect((await runCli(['validate', '--config', cfg, '--db'])).code).toBe(0);
    // 2026-03-28 12:00 Paris (UTC+1): the 28th, the 29th (23 hours: clocks go forward) and the 30th
    expect(outcomesOf(await reconcileAt(cfg, '2026-03-28T11:00:00Z'))).toEqual([
      'done create clicks_ms_p20260328', 'done create clicks_ms_p20260329', 'done create clicks_ms_p20260330',
      'done create clicks_s_p20260328', 'done create clicks_s_p20260329', 'done create clicks_s_p20260330',
    ]);
    // (pg_get_expr quotes bigint constants beyond the int4 range)
    const s = (await bounds('public.clicks_s')).map((b) => b.replaceAll("'", ''));
    expect(s).toEqual([
      'clicks_s_p20260328 FOR VALUES FROM (1774652400) TO (1774738800)',
      'clicks_s_p20260329 FOR VALUES FROM (1774738800) TO (1774821600)',
      'clicks_s_p20260330 FOR VALUES FROM (1774821600) TO (1774908000)',
    ]);
    // the 29th is 23 hours long; the 30th starts at midnight Paris summer time (22:00 UTC)
    expect((1774821600 - 1774738800) / 3600).toBe(23);
    expect(new Date(1774821600 * 1000).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect((await bounds('public.clicks_ms'))[1]!.replaceAll("'", '')).toBe('clicks_ms_p20260329 FOR VALUES FROM (1774738800000) TO (1774821600000)');
    // rows land by their time; idempotent
    await db.sql.query(`INSERT INTO public.clicks_s VALUES (1, extract(epoch FROM timestamptz '2026-03-29 23:30+02')::bigint)`);
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.clicks_s_p20260329')).rows[0].n).toBe(1);
    expect(outcomesOf(await reconcileAt(cfg, '2026-03-28T12:00:00Z'))).toEqual([]);
    // keep: 3 days, by the calendar in Paris: on April 2 at 13:00 the 28th and the 29th are past
    // (clicks_s keeps them: its only rows are in the 29th, and the retention guard never removes them all)
    const later = await reconcileAt(cfg, '2026-04-02T11:00:00Z');
    expect(outcomesOf(later).filter((o) => o.includes('drop'))).toEqual(['done drop clicks_ms_p20260328', 'done drop clicks_ms_p20260329']);
    expect(later[0]!.plans.find((p) => p.policy === 'clicks_s')!.problems.map((p) => p.rule)).toContain('retention_guard');
  });

  it('an integer column cannot hold milliseconds; an epoch key needs a time interval', async () => {
    await db.sql.query(`CREATE TABLE public.small_ms (at_ms integer NOT NULL) PARTITION BY RANGE (at_ms)`);
    const cfg = writeProject(db.url, { 'x.yaml': rangePolicy({ name: 'x', table: 'public.small_ms', column: 'at_ms', interval: '1 day' }).replace('    timezone: UTC\n', '    timezone: UTC\n    epoch: milliseconds\n') });
    const r = await runCli(['validate', '--config', cfg, '--db']);
    expect(r.stderr).toContain('column at_ms is integer: an integer column cannot hold milliseconds since 1970 (it overflows within weeks); use bigint');
    const step = writeProject(db.url, { 'y.yaml': rangePolicy({ name: 'y', table: 'public.small_ms', column: 'at_ms', interval: 1000 }).replace('    timezone: UTC\n', '    timezone: UTC\n    epoch: seconds\n') });
    expect((await runCli(['validate', '--config', step])).stderr).toContain('spec.range.epoch: epoch keys are times: use a time interval like "1 day", not an integer step');
  });

  it('uuidv7 keys: bounds are the smallest UUIDv7 of each boundary; rows made by uuidv7() (PostgreSQL 18) or by the application land in their day', async () => {
    await db.sql.query(`CREATE TABLE public.events7 (id uuid NOT NULL, body text) PARTITION BY RANGE (id)`);
    const cfg = writeProject(db.url, { 'u.yaml': rangePolicy({ name: 'events7', table: 'public.events7', column: 'id', interval: '1 day', premake: 1 }) });
    const now = new Date();
    const day = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
    const outcomes = outcomesOf(await reconcileAt(cfg, now.toISOString()));
    expect(outcomes).toEqual([`done create events7_p${day(now)}`, `done create events7_p${day(new Date(now.getTime() + 86_400_000))}`]);
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const hex = midnight.toString(16).padStart(12, '0');
    expect((await bounds('public.events7'))[0]).toContain(`FOR VALUES FROM ('${hex.slice(0, 8)}-${hex.slice(8)}-7000-8000-000000000000')`);
    // a UUIDv7 the application made now (RFC 9562: 48-bit ms, version 7, variant 10, random)
    const ms = Date.now().toString(16).padStart(12, '0');
    const random = [...crypto.getRandomValues(new Uint8Array(10))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const app = `${ms.slice(0, 8)}-${ms.slice(8)}-7${random.slice(0, 3)}-${((parseInt(random[3]!, 16) & 3) | 8).toString(16)}${random.slice(4, 7)}-${random.slice(7, 19)}`;
    await db.sql.query('INSERT INTO public.events7 VALUES ($1, $2)', [app, 'app']);
    if (major >= 18) await db.sql.query(`INSERT INTO public.events7 VALUES (uuidv7(), 'server')`);
    const counted = await db.sql.query(`SELECT count(*)::int AS n FROM public.events7_p${day(now)}`);
    expect(counted.rows[0].n).toBe(major >= 18 ? 2 : 1);
    // uuid_extract_timestamp() reads version 7 from PostgreSQL 18 on (17 knows version 1 only)
    if (major >= 18) {
      const ts = await db.sql.query(`SELECT uuid_extract_timestamp(('${hex.slice(0, 8)}-${hex.slice(8)}-7000-8000-000000000000')::uuid) = to_timestamp(${midnight / 1000}) AS same`);
      expect(ts.rows[0].same).toBe(true);
    }
    expect(outcomesOf(await reconcileAt(cfg, new Date(now.getTime() + 1000).toISOString()))).toEqual([]);
  });

  it('uuidv7 keys across the DST change: the day after it starts at midnight Paris summer time', async () => {
    await db.sql.query(`CREATE TABLE public.events7p (id uuid NOT NULL) PARTITION BY RANGE (id)`);
    const cfg = writeProject(db.url, { 'u.yaml': rangePolicy({ name: 'events7p', table: 'public.events7p', column: 'id', interval: '1 day', premake: 2, timezone: 'Europe/Paris' }) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-03-28T11:00:00Z'))).toEqual(['done create events7p_p20260328', 'done create events7p_p20260329', 'done create events7p_p20260330']);
    const floor = (iso: string) => {
      const h = Date.parse(iso).toString(16).padStart(12, '0');
      return `${h.slice(0, 8)}-${h.slice(8)}-7000-8000-000000000000`;
    };
    expect((await bounds('public.events7p'))[1]).toBe(`events7p_p20260329 FOR VALUES FROM ('${floor('2026-03-28T23:00:00Z')}') TO ('${floor('2026-03-29T22:00:00Z')}')`);
  });
});
