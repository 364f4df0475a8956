import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

/*
 * retention.afterAge: old partitions rewritten with another table access method, one per
 * transaction. Vanilla PostgreSQL has one table access method (heap); the test makes a second
 * one over heap's handler ("heap2"), so the rewrite is real. Columnar itself is tested on Citus.
 */
const db = useDatabase();
const NOW = '2026-05-15T12:00:00Z';

const accessMethods = async (parent: string) =>
  (await db.sql.query<{ name: string; am: string }>(
    `SELECT c.relname AS name, a.amname AS am FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_am a ON a.oid = c.relam WHERE i.inhparent = $1::regclass ORDER BY 1`, [parent])).rows;
const fingerprint = async (table: string) => (await db.sql.query(`SELECT count(*)::int AS n, sum(hashtext(ts::text || v))::text AS h FROM ${table}`)).rows[0];

async function monthly(table: string): Promise<void> {
  await db.sql.query(`CREATE TABLE ${table} (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
  for (const m of ['01', '02', '03', '04', '05']) {
    await db.sql.query(`CREATE TABLE ${table.replace(/"$/, '')}_p2026${m}" PARTITION OF ${table} FOR VALUES FROM ('2026-${m}-01') TO ('2026-${m}-01'::date + interval '1 month')`);
  }
  await db.sql.query(`INSERT INTO ${table} SELECT '2026-01-01'::timestamptz + g * interval '1 hour', g FROM generate_series(0, 3200) g`);
}

const tiering = (extra = '') => `  retention:\n    afterAge:\n      age: 1 month\n      accessMethod: heap2\n${extra}`;

describe.runIf(Number(process.env.PW_PG_VERSION ?? 18) >= 15)('retention.afterAge (PostgreSQL 15+)', () => {
  it('rewrites partitions older than age with the access method, oldest first, maxPerRun at a time, rows intact; a kill -9 mid-rewrite rolls back', async () => {
    await db.sql.query('CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler');
    const table = 'public."Tiered ""Events"""';
    await monthly(table);
    const before = await fingerprint(table);
    const config = writeProject(db.url, { 't.yaml': rangePolicy({ name: 'tiered', table, column: 'ts', interval: '1 month', premake: 1, extra: tiering('    maxPerRun: 2\n') }) });

    const plan = await runCli(['plan', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/tier\s+Tiered "Events"_p202601 .*older than 1 month: rewritten as heap2 \(ACCESS EXCLUSIVE on this partition while it is rewritten.*; 1 more wait for the next runs \(retention\.maxPerRun\)/);
    expect(plan.stdout).toContain('ALTER TABLE "public"."Tiered ""Events""_p202601" SET ACCESS METHOD "heap2";');
    expect(plan.stdout).not.toContain('_p202604" SET ACCESS METHOD'); // April ends 2026-05-01: not a month old on May 15

    const killed = await runCli(['apply', '--config', config], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'mid:set-access-method' });
    expect(killed.signal).toBe('SIGKILL');
    expect((await accessMethods(table)).every((p) => p.am === 'heap')).toBe(true);
    expect(await fingerprint(table)).toEqual(before);

    expect(outcomesOf(await reconcileAt(config, NOW)).filter((o) => o.includes(' tier '))).toEqual(['done tier Tiered "Events"_p202601', 'done tier Tiered "Events"_p202602']);
    expect(outcomesOf(await reconcileAt(config, NOW)).filter((o) => o.includes(' tier '))).toEqual(['done tier Tiered "Events"_p202603']);
    expect(outcomesOf(await reconcileAt(config, NOW)).filter((o) => o.includes(' tier '))).toEqual([]);
    expect(await accessMethods(table)).toEqual([
      { name: 'Tiered "Events"_p202601', am: 'heap2' }, { name: 'Tiered "Events"_p202602', am: 'heap2' }, { name: 'Tiered "Events"_p202603', am: 'heap2' },
      { name: 'Tiered "Events"_p202604', am: 'heap' }, { name: 'Tiered "Events"_p202605', am: 'heap' }, { name: 'Tiered "Events"_p202606', am: 'heap' },
    ]);
    expect(await fingerprint(table)).toEqual(before);
    const journal = await db.sql.query<{ step: string; status: string }>(`SELECT step, status FROM partwarden.journal WHERE action = 'tier' AND status = 'done' ORDER BY id`);
    expect(journal.rows).toHaveLength(3);
    expect(journal.rows.every((r) => r.step === 'set-access-method')).toBe(true);
  }, 120_000);

  it('an access method the database does not have is refused by validate --db, naming it', async () => {
    await db.sql.query(`CREATE TABLE public.plain_events (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    const config = writeProject(db.url, { 'p.yaml': rangePolicy({ name: 'plain', table: 'public.plain_events', column: 'ts', interval: '1 month', extra: '  retention:\n    afterAge:\n      age: 3 months\n' }) });
    const v = await runCli(['validate', '--db', '--config', config]);
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toContain('retention.afterAge.accessMethod: access method "columnar" is not installed in this database (table access methods: heap');
    expect(v.stdout + v.stderr).toContain('Citus columnar comes with CREATE EXTENSION citus_columnar');
  }, 60_000);
});

describe.runIf(Number(process.env.PW_PG_VERSION ?? 18) < 15)('retention.afterAge on PostgreSQL 14', () => {
  it('is reported, and nothing is rewritten', async () => {
    await db.sql.query(`CREATE TABLE public.old_events (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.old_events_p202601 PARTITION OF public.old_events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`);
    const config = writeProject(db.url, { 'o.yaml': rangePolicy({ name: 'old', table: 'public.old_events', column: 'ts', interval: '1 month', premake: 1, extra: '  retention:\n    afterAge:\n      age: 1 month\n      accessMethod: heap\n' }) });
    const plan = await runCli(['plan', '--config', config], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toContain('retention.afterAge needs PostgreSQL 15 or later (ALTER TABLE ... SET ACCESS METHOD); this server is 14');
    expect(plan.stdout).not.toContain('SET ACCESS METHOD "');
  }, 60_000);
});
