import { describe, expect, it } from 'vitest';
import { load } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { policyDoc, rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

const db = useDatabase();

const count = async (table: string) => (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
const partitionNames = async (table: string) =>
  (await db.sql.query<{ n: string }>(`SELECT c.relname AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY c.relname`, [table])).rows.map((r) => r.n);

interface PlanDoc {
  databases: Array<{ clock?: { source: string; doubt?: string; skewSeconds: number }; policies: Array<{ actions: Array<{ kind: string; partition: string }>; problems: Array<{ rule: string; message: string; blocking: boolean }>; deferred: Array<{ partition: string }> }> }>;
}

/** Daily partitions for the given day offsets from `base` (default: the database's today, UTC), each with `rows` rows. */
async function dailyTable(name: string, offsets: readonly number[], rows = 3, base?: number): Promise<void> {
  const today = base ?? Date.parse(`${(await db.sql.query<{ d: string }>("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d")).rows[0]!.d}T00:00:00Z`);
  await db.sql.query(`CREATE TABLE public.${name} (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
  for (const o of offsets) {
    const from = new Date(today + o * 86_400_000);
    const to = new Date(today + (o + 1) * 86_400_000);
    const suffix = from.toISOString().slice(0, 10).replaceAll('-', '');
    await db.sql.query(`CREATE TABLE public.${name}_${suffix} PARTITION OF public.${name} FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`);
    if (rows > 0) await db.sql.query(`INSERT INTO public.${name} SELECT '${from.toISOString()}'::timestamptz + interval '1 hour', g FROM generate_series(1, ${rows}) g`);
  }
}

describe('no outlier, clock or mistake turns into dropped data', () => {
  it('the stray-row scenario: a DEFAULT outlier neither creates 499 partitions nor expires the live ones', async () => {
    await db.sql.query(`CREATE TABLE public.inv (id bigint NOT NULL, body text) PARTITION BY RANGE (id)`);
    await db.sql.query(`CREATE INDEX ON public.inv (id)`);
    for (let i = 0; i < 3; i++) await db.sql.query(`CREATE TABLE public.inv_${i} PARTITION OF public.inv FOR VALUES FROM (${i * 100000}) TO (${(i + 1) * 100000})`);
    await db.sql.query(`CREATE TABLE public.inv_default PARTITION OF public.inv DEFAULT`);
    await db.sql.query(`INSERT INTO public.inv SELECT g * 12, 'x' FROM generate_series(0, 24999) g`);
    await db.sql.query(`INSERT INTO public.inv VALUES (50000000, 'stray')`);
    expect(await count('public.inv')).toBe(25001);
    const cfg = writeProject(db.url, {
      'inv.yaml': rangePolicy({ name: 'inv', table: 'public.inv', column: 'id', interval: 100000, premake: 2, extra: '  retention:\n    keepPartitions: 3\n    action: drop\n' }),
    });
    const plan = await runCli(['plan', '--config', cfg, '--output', 'json']);
    expect(plan.code).toBe(0);
    const p = (JSON.parse(plan.stdout) as PlanDoc).databases[0]!.policies[0]!;
    expect(p.actions.map((a) => `${a.kind} ${a.partition}`)).toEqual(['create public.inv_p300000', 'create public.inv_p400000']);
    const outlier = p.problems.find((x) => x.rule === 'key_outlier')!;
    expect(outlier.message).toContain('id = 50000000');
    expect(outlier.message).toContain('beyond the newest partition inv_2 (upper bound 300000)');
    expect(outlier.blocking).toBe(false);

    for (let run = 0; run < 2; run++) {
      const apply = await runCli(['apply', '--config', cfg]);
      expect(apply.stdout).not.toMatch(/drop|detach/);
    }
    expect(await count('public.inv')).toBe(25001);
    expect(await partitionNames('public.inv')).toEqual(['inv_0', 'inv_1', 'inv_2', 'inv_default', 'inv_p300000', 'inv_p400000']);
    const status = await runCli(['status', '--config', cfg, '--output', 'json']);
    expect(status.code).toBe(2);
    expect(status.stdout).toContain('key_outlier');
  });

  it('keepPartitions counts partitions that hold rows: empty ones made ahead never push data out', async () => {
    await db.sql.query(`CREATE TABLE public.kp (id int NOT NULL) PARTITION BY RANGE (id)`);
    for (let i = 0; i < 10; i++) await db.sql.query(`CREATE TABLE public.kp_${i} PARTITION OF public.kp FOR VALUES FROM (${i * 10}) TO (${(i + 1) * 10})`);
    // rows in kp_0, kp_2 and kp_4 only: kp_1 and kp_3 are empty gaps, kp_5..kp_9 empty and ahead
    await db.sql.query(`INSERT INTO public.kp VALUES (1), (2), (25), (41), (42)`);
    const cfg = writeProject(db.url, {
      'kp.yaml': rangePolicy({ name: 'kp', table: 'public.kp', column: 'id', interval: 10, premake: 2, extra: '  retention:\n    keepPartitions: 2\n    action: drop\n' }),
    });
    // the newest 2 partitions holding rows are kp_4 (current) and kp_2: kp_0 and kp_1 are older; kp_3 stays
    const r = await reconcileAt(cfg, '2024-01-01T00:00:00Z');
    expect(outcomesOf(r)).toEqual(['done drop kp_0', 'done drop kp_1']);
    expect(await count('public.kp')).toBe(3);
    // the journal answers "what did partwarden drop, when, and why", with the rows it held
    const j = await db.sql.query<{ partition_name: string; step: string; rows: string; rows_exact: boolean; bounds: string; reason: string }>(
      `SELECT partition_name, step, rows::text, rows_exact, bounds, reason FROM partwarden.journal WHERE policy = 'kp' AND step IN ('detach', 'drop') ORDER BY id`,
    );
    expect(j.rows.map((x) => `${x.step} ${x.partition_name} ${x.bounds} rows=${x.rows} exact=${x.rows_exact}`)).toEqual([
      'detach kp_0 [0, 10) rows=2 exact=true', 'drop kp_0 [0, 10) rows=2 exact=true',
      'detach kp_1 [10, 20) rows=0 exact=true', 'drop kp_1 [10, 20) rows=0 exact=true',
    ]);
    expect(j.rows[0]!.reason).toBe('expired: older than the newest 2 partitions holding rows');
  });

  it('refuses to remove more than half of the partitions holding rows unless confirmed', async () => {
    await dailyTable('half', [-6, -5, -4, -1, 0]);
    const cfg = writeProject(db.url, {
      'h.yaml': rangePolicy({ name: 'half', table: 'public.half', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 2 days\n    action: drop\n' }),
    });
    // three of the five partitions holding rows are past keep: refused, nothing removed, exit 1
    const refused = await runCli(['apply', '--config', cfg]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/BLOCKED half: retention_guard — refused to remove 3 partition\(s\) .*3 of the 5 partition\(s\) holding rows would be removed \(more than half\)/);
    expect(await count('public.half')).toBe(15);
    const status = await runCli(['status', '--config', cfg]);
    expect(status.code).toBe(2);
    expect(status.stdout).toContain('retention_guard');
    // the DBA confirms on purpose
    const confirmed = await runCli(['apply', '--config', cfg, '--allow-mass-removal']);
    expect(confirmed.code).toBe(0);
    expect(await count('public.half')).toBe(6);
  });

  it('maxPerRun: a long catch-up is planned in full and done over several runs', async () => {
    // 40 daily partitions from 2024-01-01, one row each
    await dailyTable('cu', Array.from({ length: 40 }, (_, d) => d), 1, Date.parse('2024-01-01T00:00:00Z'));
    const cfg = writeProject(db.url, {
      'cu.yaml': rangePolicy({ name: 'cu', table: 'public.cu', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 25 days\n    action: drop\n' }),
    });
    const at = '2024-02-10T12:00:00Z'; // 15 of the 40 partitions are past keep (2024-01-01 .. 2024-01-15)
    const first = await reconcileAt(cfg, at);
    expect(first[0]!.plans[0]!.deferred!.map((d) => d.partition)).toEqual(['cu_20240111', 'cu_20240112', 'cu_20240113', 'cu_20240114', 'cu_20240115']);
    expect(outcomesOf(first).filter((o) => o.includes(' drop '))).toHaveLength(10);
    expect(await count('public.cu')).toBe(30);
    const second = await reconcileAt(cfg, at);
    expect(outcomesOf(second)).toEqual(['done drop cu_20240111', 'done drop cu_20240112', 'done drop cu_20240113', 'done drop cu_20240114', 'done drop cu_20240115']);
    expect(second[0]!.plans[0]!.deferred).toBeUndefined();
    expect(await count('public.cu')).toBe(25);
  });

  it('the database clock decides: a process clock one year ahead expires nothing', async () => {
    await dailyTable('clk', [-3, -2, -1, 0, 1]);
    const cfg = writeProject(db.url, {
      'c.yaml': rangePolicy({ name: 'clk', table: 'public.clk', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 30 days\n    action: drop\n' }),
    });
    const { config, policies } = load({ configFile: cfg, env: process.env });
    const yearAhead = () => Date.now() + 365 * 86_400_000;
    const reports = await reconcile({ config, policies, nowMs: yearAhead(), processClock: yearAhead, execute: true, log: silentLogger() });
    expect(reports[0]!.clock!.source).toBe('database');
    expect(reports[0]!.clock!.skewSeconds).toBeGreaterThan(364 * 86_400);
    expect(outcomesOf(reports)).toEqual([]); // nothing created a year ahead either: premake follows the database's clock
    expect(await count('public.clk')).toBe(15);
  });

  it('apply at a time one year ahead of the database (PARTWARDEN_NOW) drops nothing without --allow-mass-removal', async () => {
    await dailyTable('ahead', [-3, -2, -1, 0]);
    const cfg = writeProject(db.url, {
      'a.yaml': rangePolicy({ name: 'ahead', table: 'public.ahead', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    keep: 30 days\n    action: drop\n    allowMassRemoval: false\n' }),
    });
    const server = (await db.sql.query<{ t: Date }>('SELECT now() AS t')).rows[0]!.t.getTime();
    const NOW = new Date(server + 365 * 86_400_000).toISOString();
    const plan = JSON.parse((await runCli(['plan', '--config', cfg, '--output', 'json'], { PARTWARDEN_NOW: NOW })).stdout) as PlanDoc;
    expect(plan.databases[0]!.clock!.source).toBe('fixed');
    expect(plan.databases[0]!.clock!.doubt).toMatch(/is 365 days ahead of the database's clock/);
    const r = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/retention_guard — refused to remove 4 partition\(s\).*ahead of the database's clock/);
    expect(await count('public.ahead')).toBe(12);
    expect((await partitionNames('public.ahead')).filter((n) => n.startsWith('ahead_2'))).toHaveLength(4);
  });

  it('list onRemoved removals go through the same guard', async () => {
    await db.sql.query(`CREATE TABLE public.regions (r text NOT NULL) PARTITION BY LIST (r)`);
    for (const r of ['us', 'eu', 'ap']) await db.sql.query(`CREATE TABLE public.regions_${r} PARTITION OF public.regions FOR VALUES IN ('${r.toUpperCase()}')`);
    await db.sql.query(`INSERT INTO public.regions VALUES ('US'), ('EU'), ('AP')`);
    const cfg = writeProject(db.url, {
      'r.yaml': policyDoc('regions', 'public.regions', '  strategy: list\n  list:\n    column: r\n    onRemoved: detach\n    partitions:\n      us: [US]\n'),
    });
    const r = await reconcileAt(cfg, '2024-01-01T00:00:00Z');
    expect(outcomesOf(r)).toEqual([]);
    expect(r[0]!.plans[0]!.problems.map((p) => p.rule)).toContain('retention_guard');
    expect(await partitionNames('public.regions')).toEqual(['regions_ap', 'regions_eu', 'regions_us']);
  });
});
