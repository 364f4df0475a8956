import { describe, expect, it } from 'vitest';
import { policyDoc, rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

/*
 * ATTACH next to a DEFAULT partition scans the DEFAULT under ACCESS EXCLUSIVE unless a CHECK
 * constraint on it already excludes the new partition's rows. partwarden adds that constraint
 * NOT VALID, validates it (writes go on), and drops it in the ATTACH's transaction.
 */

const db = useDatabase();
const NOW = '2024-03-10T15:00:00Z';

/** Guard constraints partwarden left on a table (there should be none once a run is over). */
async function guards(table: string): Promise<string[]> {
  const r = await db.sql.query<{ c: string }>(`SELECT conname || CASE WHEN convalidated THEN '' ELSE ' (not valid)' END AS c FROM pg_constraint WHERE conrelid = $1::regclass AND conname LIKE 'partwarden\\_pending\\_%' ORDER BY 1`, [table]);
  return r.rows.map((x) => x.c);
}

/** The server's DEBUG notices, as partwarden logs them at debug level. */
function serverNotices(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; notice?: string })
    .filter((l) => l.msg === 'server notice' && l.notice !== undefined)
    .map((l) => l.notice!);
}

async function rangeTable(table: string): Promise<void> {
  await db.sql.query(`CREATE TABLE public."${table}" (id int, ts timestamptz) PARTITION BY RANGE (ts)`);
  await db.sql.query(`CREATE TABLE public."${table}_default" PARTITION OF public."${table}" DEFAULT`);
  await db.sql.query(`CREATE TABLE public."${table}_p20240310" PARTITION OF public."${table}" FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
  // rows no partition will take (far future, NULL key): the DEFAULT is not empty, so ATTACH would scan it
  await db.sql.query(`INSERT INTO public."${table}" SELECT g, '2030-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 5000) g`);
  await db.sql.query(`INSERT INTO public."${table}" VALUES (0, NULL)`);
}

describe('ATTACH next to a non-empty DEFAULT partition', () => {
  it('range: guards DEFAULT with a CHECK so ATTACH skips its scan; the constraint is gone afterwards and no row moved', async () => {
    await rangeTable('Guarded');
    await db.sql.query(`ALTER DATABASE ${db.name} SET client_min_messages = debug1`);
    const cfg = writeProject(db.url, { 'g.yaml': rangePolicy({ name: 'guarded', table: 'public."Guarded"', column: 'ts', interval: '1 day', premake: 2 }) });
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toMatch(/create\s+Guarded_p20240311 .*DEFAULT guarded so ATTACH does not scan it/);
    expect(plan.stdout).toMatch(/ALTER TABLE "public"."Guarded_default" ADD CONSTRAINT "partwarden_pending_[0-9a-f]{16}" CHECK \(NOT \("ts" >= '2024-03-11 00:00:00\+00'::timestamptz AND "ts" < '2024-03-12 00:00:00\+00'::timestamptz\)\) NOT VALID;/);
    expect(plan.stdout).toMatch(/ALTER TABLE "public"."Guarded_default" VALIDATE CONSTRAINT "partwarden_pending_[0-9a-f]{16}";/);

    const applied = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_LOG_LEVEL: 'debug' });
    expect(applied.code).toBe(0);
    // PostgreSQL says, for each ATTACH, that it did not need to scan the DEFAULT
    const implied = serverNotices(applied.stderr).filter((n) => n.includes('is implied by existing constraints'));
    expect(implied).toEqual([
      'updated partition constraint for default partition "Guarded_default" is implied by existing constraints',
      'updated partition constraint for default partition "Guarded_default" is implied by existing constraints',
    ]);
    expect(serverNotices(applied.stderr).filter((n) => n === 'verifying table "Guarded_default"')).toHaveLength(2); // the VALIDATEs, not the ATTACHes
    expect(await guards('public."Guarded_default"')).toEqual([]);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM public."Guarded_default"`)).rows[0].n).toBe(5001);
    // the DEFAULT still takes what no partition takes, including the range the guard excluded before ATTACH
    await db.sql.query(`INSERT INTO public."Guarded" VALUES (-1, '2031-01-01'), (-2, NULL), (-3, '2024-03-11 12:00')`);
    const where = await db.sql.query(`SELECT id, tableoid::regclass::text AS t FROM public."Guarded" WHERE id < 0 ORDER BY id DESC`);
    expect(where.rows.map((x) => x.t)).toEqual(['"Guarded_default"', '"Guarded_default"', '"Guarded_p20240311"']);
    await db.sql.query(`ALTER DATABASE ${db.name} RESET client_min_messages`);
  });

  it('list: a newly declared value set attaches without scanning the DEFAULT', async () => {
    await db.sql.query(`CREATE TABLE public.lg (id int, region text) PARTITION BY LIST (region)`);
    await db.sql.query(`CREATE TABLE public.lg_default PARTITION OF public.lg DEFAULT`);
    await db.sql.query(`INSERT INTO public.lg SELECT g, 'XX' FROM generate_series(1, 1000) g`);
    await db.sql.query(`INSERT INTO public.lg VALUES (0, NULL)`);
    await db.sql.query(`ALTER DATABASE ${db.name} SET client_min_messages = debug1`);
    const cfg = writeProject(db.url, {
      'l.yaml': policyDoc('lg', 'public.lg', `  strategy: list
  list:
    column: region
    partitions:
      eu: ["EU", "it's, \\"quoted\\""]
`),
    });
    const applied = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_LOG_LEVEL: 'debug' });
    expect(applied.code).toBe(0);
    expect(serverNotices(applied.stderr)).toContain('updated partition constraint for default partition "lg_default" is implied by existing constraints');
    expect(await guards('public.lg_default')).toEqual([]);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM public.lg_default`)).rows[0].n).toBe(1001);
    await db.sql.query(`ALTER DATABASE ${db.name} RESET client_min_messages`);
  });

  it('no guard when the DEFAULT is empty: there is nothing to scan', async () => {
    await db.sql.query(`CREATE TABLE public.eg (ts timestamptz) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.eg_default PARTITION OF public.eg DEFAULT`);
    const cfg = writeProject(db.url, { 'e.yaml': rangePolicy({ name: 'eg', table: 'public.eg', column: 'ts', interval: '1 day', premake: 1 }) });
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).not.toMatch(/ADD CONSTRAINT/);
    expect(outcomesOf(await reconcileAt(cfg, NOW))).toEqual(['done create eg_p20240310', 'done create eg_p20240311']);
  });

  it('killed between adding the guard and ATTACH: the next run validates, attaches and removes the guard', async () => {
    await rangeTable('kg');
    const cfg = writeProject(db.url, { 'k.yaml': rangePolicy({ name: 'kg', table: 'public.kg', column: 'ts', interval: '1 day', premake: 1 }) });
    const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:guard-default' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await guards('public.kg_default')).toEqual([expect.stringMatching(/^partwarden_pending_[0-9a-f]{16} \(not valid\)$/)]);
    // meanwhile the application keeps writing to DEFAULT
    await db.sql.query(`INSERT INTO public.kg VALUES (-1, '2031-01-01')`);
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toMatch(/attach\s+kg_p20240311 .*resume: stopped between guarding DEFAULT and ATTACH/);
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(await guards('public.kg_default')).toEqual([]);
    const attached = await db.sql.query(`SELECT relispartition AS a FROM pg_class WHERE oid = 'public.kg_p20240311'::regclass`);
    expect(attached.rows[0].a).toBe(true);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM public.kg_default`)).rows[0].n).toBe(5002);
  });

  it('a guard left behind with no work to finish is dropped (it would reject rows)', async () => {
    await rangeTable('sg');
    await db.sql.query(`CREATE TABLE public.sg_p20240311 PARTITION OF public.sg FOR VALUES FROM ('2024-03-11') TO ('2024-03-12')`);
    await db.sql.query(`ALTER TABLE public.sg_default ADD CONSTRAINT partwarden_pending_00000000deadbeef CHECK (NOT (ts >= '2040-01-01' AND ts < '2040-01-02')) NOT VALID`);
    const cfg = writeProject(db.url, { 's.yaml': rangePolicy({ name: 'sg', table: 'public.sg', column: 'ts', interval: '1 day', premake: 1 }) });
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toMatch(/cleanup\s+sg_default\s+DEFAULT\s+guard constraint partwarden_pending_00000000deadbeef was left by an interrupted run/);
    expect(plan.stdout).toMatch(/ALTER TABLE "public"."sg_default" DROP CONSTRAINT IF EXISTS "partwarden_pending_00000000deadbeef";/);
    expect(outcomesOf(await reconcileAt(cfg, NOW))).toEqual(['done cleanup sg_default']);
    expect(await guards('public.sg_default')).toEqual([]);
    await db.sql.query(`INSERT INTO public.sg VALUES (-1, '2040-01-01 10:00')`);
  });

  it('rows of the range reaching DEFAULT just before the guard: the guard and the empty new table are removed, nothing is lost, the next run reports the rows', async () => {
    await rangeTable('rg');
    const cfg = writeProject(db.url, { 'r.yaml': rangePolicy({ name: 'rg', table: 'public.rg', column: 'ts', interval: '1 day', premake: 2 }) });
    // the application inserts a row for 2024-03-12 (no partition yet: it goes to DEFAULT) and has not committed
    const app = await db.connect();
    await app.query('BEGIN');
    await app.query(`INSERT INTO public.rg VALUES (-7, '2024-03-12 05:00+00')`);
    const run = reconcileAt(cfg, NOW);
    // partwarden's ADD CONSTRAINT waits for that transaction (lock_timeout, retried); then it commits
    for (let i = 0; i < 200; i++) {
      const w = await db.sql.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%ADD CONSTRAINT%'`);
      if (w.rowCount) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await app.query('COMMIT');
    const r = await run;
    const outcomes = r[0]!.outcomes.map((o) => `${o.status} ${o.action.kind} ${o.action.partition.name}`);
    expect(outcomes).toEqual(['done create rg_p20240311', 'failed create rg_p20240312']);
    expect(r[0]!.outcomes[1]!.error).toMatch(/DEFAULT partition public\.rg_default received rows of \[2024-03-12.*before public\.rg_p20240312 was attached; guard removed and the empty new table dropped/);
    expect(await guards('public.rg_default')).toEqual([]);
    expect((await db.sql.query(`SELECT to_regclass('public.rg_p20240312') AS t`)).rows[0].t).toBeNull();
    expect((await db.sql.query(`SELECT tableoid::regclass::text AS t FROM public.rg WHERE id = -7`)).rows).toEqual([{ t: 'rg_default' }]);
    // the next run sees the row: the range is blocked with default_rows (default.relocate is off)
    const next = await reconcileAt(cfg, NOW, false);
    expect(next[0]!.plans[0]!.problems.filter((p) => p.rule === 'default_rows' && p.blocking).map((p) => p.partition)).toEqual(['rg_p20240312']);
  });
});
