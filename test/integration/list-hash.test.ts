import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyDoc, rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

const db = useDatabase();
const NOW = '2024-03-10T15:00:00Z';

/** Partitions of a table with their bounds, as PostgreSQL shows them. */
async function bounds(qualified: string): Promise<string[]> {
  const r = await db.sql.query<{ name: string; b: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [qualified],
  );
  return r.rows.map((x) => `${x.name} ${x.b}`);
}

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('LIST policies', () => {
  it('creates every declared partition with exactly its values: quotes, commas, NULL, in a schema and table with quotes, spaces, capitals and unicode', async () => {
    await db.sql.query(`CREATE SCHEMA "Sales ""EU"" ünï"`);
    await db.sql.query(`CREATE TABLE "Sales ""EU"" ünï"."Order ""Lines""" (id bigint, "Region Code" text, amount numeric) PARTITION BY LIST ("Region Code")`);
    const cfg = writeProject(db.url, {
      'l.yaml': policyDoc('regions', '"Sales ""EU"" ünï"."Order ""Lines"""', `  strategy: list
  list:
    column: '"Region Code"'   # a key column is read like a table name: quoted keeps case and spaces
    partitions:
      us: [US]
      eu: ["EU", "GB", "it's, \\"quoted\\""]
      "sélect": [null, "select"]
  default:
    create: true
`),
    });
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r).sort()).toEqual([
      'done create Order "Lines"_default', 'done create Order "Lines"_eu', 'done create Order "Lines"_sélect', 'done create Order "Lines"_us',
    ]);
    expect(await bounds('"Sales ""EU"" ünï"."Order ""Lines"""')).toEqual([
      `Order "Lines"_default DEFAULT`,
      `Order "Lines"_eu FOR VALUES IN ('EU', 'GB', 'it''s, "quoted"')`,
      `Order "Lines"_sélect FOR VALUES IN (NULL, 'select')`,
      `Order "Lines"_us FOR VALUES IN ('US')`,
    ]);
    // rows land where the policy says; the second run has nothing to do
    await db.sql.query(`INSERT INTO "Sales ""EU"" ünï"."Order ""Lines""" VALUES (1, 'it''s, "quoted"', 1), (2, NULL, 2), (3, 'XX', 3)`);
    const where = await db.sql.query(`SELECT id, tableoid::regclass::text AS t FROM "Sales ""EU"" ünï"."Order ""Lines""" ORDER BY id`);
    expect(where.rows.map((x) => x.t)).toEqual(['"Sales ""EU"" ünï"."Order ""Lines""_eu"', '"Sales ""EU"" ünï"."Order ""Lines""_sélect"', '"Sales ""EU"" ünï"."Order ""Lines""_default"']);
    const again = await reconcileAt(cfg, NOW);
    expect(outcomesOf(again)).toEqual([]);
    expect(again[0]!.plans[0]!.health?.defaultRows).toEqual({ partition: 'Order "Lines"_default', rows: 1, exact: true });
    expect(again[0]!.plans[0]!.problems.map((p) => p.rule)).toEqual(['default_rows']); // maxRows 0: the 'XX' row is a violation
  });

  it('adopts a hand-made partition by its values (numbers and booleans canonicalised by PostgreSQL), explains a conflicting value, and follows onRemoved', async () => {
    await db.sql.query(`CREATE TABLE public.codes (id int, code numeric(6,2), flag boolean) PARTITION BY LIST (code)`);
    await db.sql.query(`CREATE TABLE public.codes_handmade PARTITION OF public.codes FOR VALUES IN (1.5, 2)`);
    await db.sql.query(`CREATE TABLE public.codes_mixed PARTITION OF public.codes FOR VALUES IN (3, 4)`);
    await db.sql.query(`CREATE TABLE public.codes_gone PARTITION OF public.codes FOR VALUES IN (9)`);
    await db.sql.query(`INSERT INTO public.codes VALUES (1, 9, true)`);
    const spec = (onRemoved: string) => `  strategy: list
  list:
    column: code
    onRemoved: ${onRemoved}
    partitions:
      a: [2.00, "1.50"]
      b: [3]
      c: [7]
`;
    const cfg = writeProject(db.url, { 'c.yaml': policyDoc('codes', 'public.codes', spec('keep')) });
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r)).toEqual(['done create codes_c']); // a is adopted (codes_handmade), b conflicts
    const problems = r[0]!.plans[0]!.problems;
    expect(problems.map((p) => `${p.rule} ${p.partition}`)).toEqual(['list_partition_missing b', 'list_partition_undeclared codes_gone']);
    expect(problems[0]!.message).toMatch(/declared partition "b" IN \('3\.00'\) cannot be created: '3\.00' is already served by partition codes_mixed \(IN \('3\.00', '4\.00'\)\)/);
    const cli = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(cli.stdout).toMatch(/VIOLATION list_partition_missing \[b\]/);

    // onRemoved: detach takes codes_gone out (its row stays in the detached table)
    // (the only partition holding rows: a confirmed removal, see the note at the top)
    const cfg2 = writeProject(db.url, { 'c.yaml': policyDoc('codes', 'public.codes', `${spec('detach')}  retention:\n    allowMassRemoval: true\n`) });
    const r2 = await reconcileAt(cfg2, NOW);
    expect(outcomesOf(r2)).toEqual(['done detach codes_gone']);
    expect((await db.sql.query('SELECT count(*)::int AS n FROM public.codes_gone')).rows[0].n).toBe(1);
    expect(await bounds('public.codes')).not.toContain('codes_gone FOR VALUES IN (9.00)');
  });

  it('relocates the rows of a newly declared value out of DEFAULT (batched, nothing lost), or blocks just that partition', async () => {
    await db.sql.query(`CREATE TABLE public.shops (id int, country text, note text) PARTITION BY LIST (country)`);
    await db.sql.query(`CREATE TABLE public.shops_other PARTITION OF public.shops DEFAULT`);
    await db.sql.query(`INSERT INTO public.shops SELECT g, CASE WHEN g % 3 = 0 THEN 'FR' WHEN g % 3 = 1 THEN 'DE' ELSE NULL END, 'n' || g FROM generate_series(1, 2500) g`);
    const spec = (relocate: boolean) => `  strategy: list
  list:
    column: country
    partitions:
      fr: [FR]
      de: [DE]
      es: [ES]
  default:
    relocate: ${relocate}
    relocateBatchRows: 300
    maxRows: 10000
`;
    const blocked = await reconcileAt(writeProject(db.url, { 's.yaml': policyDoc('shops', 'public.shops', spec(false)) }), NOW);
    expect(outcomesOf(blocked)).toEqual(['done create shops_es']);
    expect(blocked[0]!.plans[0]!.problems.map((p) => `${p.rule} ${p.partition} ${p.blocking}`)).toEqual(['default_rows shops_fr true', 'default_rows shops_de true']);

    const moved = await reconcileAt(writeProject(db.url, { 's.yaml': policyDoc('shops', 'public.shops', spec(true)) }), NOW);
    expect(outcomesOf(moved)).toEqual(['done relocate shops_fr', 'done relocate shops_de']);
    const counts = await db.sql.query(`SELECT tableoid::regclass::text AS t, count(*)::int AS n FROM public.shops GROUP BY 1 ORDER BY 1`);
    expect(counts.rows).toEqual([{ t: 'shops_de', n: 834 }, { t: 'shops_fr', n: 833 }, { t: 'shops_other', n: 833 }]);
    const steps = await db.sql.query(`SELECT count(*)::int AS n FROM partwarden.journal WHERE policy = 'shops' AND step = 'move-rows' AND rows > 0`);
    expect(steps.rows[0].n).toBeGreaterThanOrEqual(6); // 833 rows in batches of 300, twice
  });

  it('onRemoved: archive sends an undeclared partition through the archive pipeline (verified, then dropped) and restore brings it back', async () => {
    await db.sql.query(`CREATE TABLE public.tenants (id int, tier text, note text) PARTITION BY LIST (tier)`);
    await db.sql.query(`CREATE TABLE public.tenants_gold PARTITION OF public.tenants FOR VALUES IN ('gold')`);
    await db.sql.query(`CREATE TABLE public.tenants_legacy PARTITION OF public.tenants FOR VALUES IN ('legacy', 'old')`);
    await db.sql.query(`INSERT INTO public.tenants SELECT g, CASE WHEN g % 2 = 0 THEN 'legacy' ELSE 'gold' END, E'line\\nwith, "quotes"' FROM generate_series(1, 500) g`);
    const cfg = writeProject(
      db.url,
      { 't.yaml': policyDoc('tenants', 'public.tenants', `  strategy: list\n  list:\n    column: tier\n    onRemoved: archive\n    partitions:\n      gold: [gold]\n  retention:\n    allowMassRemoval: true\n    archive:\n      verify: full\n`) },
      `storage:\n  url: file://${mkdtempSync(path.join(os.tmpdir(), 'pw-list-archive-'))}\n`,
    );
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r)).toEqual(['done archive tenants_legacy']);
    expect((await db.sql.query(`SELECT to_regclass('public.tenants_legacy') AS t`)).rows[0].t).toBeNull();
    const list = await runCli(['archive', 'list', '--config', cfg, '--output', 'json']);
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ partition: 'tenants_legacy', rows: 250 });
    const back = await runCli(['restore', '--config', cfg, '--policy', 'tenants', '--partition', 'tenants_legacy', '--attach']);
    expect(back.code).toBe(0);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM public.tenants WHERE tier = 'legacy' AND note = E'line\\nwith, "quotes"'`)).rows[0].n).toBe(250);
  });

  it('validate --db names a value that is not valid for the column type, and a strategy mismatch', async () => {
    await db.sql.query(`CREATE TABLE public.typed (id int, n int) PARTITION BY LIST (n)`);
    await db.sql.query(`CREATE TABLE public.ranged (id int, ts date) PARTITION BY RANGE (ts)`);
    const cfg = writeProject(db.url, {
      't.yaml': policyDoc('typed', 'public.typed', `  strategy: list\n  list:\n    column: n\n    partitions:\n      one: [1]\n      bad: ["x1"]\n`),
      'r.yaml': policyDoc('ranged', 'public.ranged', `  strategy: hash\n  hash:\n    column: ts\n    modulus: 4\n`),
    });
    const r = await runCli(['validate', '--config', cfg, '--db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy typed .*list partition "bad": value "x1" is not a valid integer/);
    expect(r.stderr).toMatch(/policy ranged .*public\.ranged is partitioned by RANGE, but the policy says strategy: hash/);
  });
});

describe('HASH policies', () => {
  it('creates every missing remainder, reports other moduli without touching them, and reports skew', async () => {
    await db.sql.query(`CREATE TABLE public."Users" (id bigint, "User Id" bigint) PARTITION BY HASH ("User Id")`);
    await db.sql.query(`CREATE TABLE public."Users_h1" PARTITION OF public."Users" FOR VALUES WITH (MODULUS 4, REMAINDER 1)`);
    const cfg = writeProject(db.url, { 'u.yaml': policyDoc('users', 'public."Users"', `  strategy: hash\n  hash:\n    column: \'"User Id"\'\n    modulus: 4\n`) });
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r)).toEqual(['done create Users_h0', 'done create Users_h2', 'done create Users_h3']);
    await db.sql.query(`INSERT INTO public."Users" SELECT g, g FROM generate_series(1, 4000) g`);
    await db.sql.query(`ANALYZE public."Users"`);
    const again = await reconcileAt(cfg, NOW);
    expect(outcomesOf(again)).toEqual([]);
    const skew = again[0]!.plans[0]!.health?.hashSkew;
    expect(skew).toBeGreaterThanOrEqual(1);
    expect(skew).toBeLessThan(1.3);

    await db.sql.query(`CREATE TABLE public.old_hash (id bigint) PARTITION BY HASH (id)`);
    await db.sql.query(`CREATE TABLE public.old_hash_0 PARTITION OF public.old_hash FOR VALUES WITH (MODULUS 2, REMAINDER 0)`);
    const cfg2 = writeProject(db.url, { 'o.yaml': policyDoc('old', 'public.old_hash', `  strategy: hash\n  hash:\n    column: id\n    modulus: 4\n`) });
    const r2 = await reconcileAt(cfg2, NOW);
    // remainders 0 and 2 of 4 are served by modulus 2 remainder 0; 1 and 3 are created
    expect(outcomesOf(r2)).toEqual(['done create old_hash_h1', 'done create old_hash_h3']);
    expect(r2[0]!.plans[0]!.problems.map((p) => `${p.rule} ${p.partition}`)).toEqual(['hash_modulus_mismatch old_hash_0']);
    await db.sql.query(`INSERT INTO public.old_hash SELECT g FROM generate_series(1, 100) g`); // every row has a home
    const v = await runCli(['validate', '--config', cfg2, '--db']);
    expect(v.stderr).toMatch(/hash partitions with modulus 2, the policy says modulus 4/);
  });
});

describe('sub-partitioning', () => {
  it('creates each new range child as PARTITION BY HASH with all its sub-partitions, repairs a missing one, archives and restores both levels', async () => {
    await db.sql.query(`CREATE TABLE public.metrics (tenant_id int NOT NULL, ts timestamptz NOT NULL, v numeric, PRIMARY KEY (tenant_id, ts)) PARTITION BY RANGE (ts)`);
    const cfg = writeProject(
      db.url,
      {
        'm.yaml': rangePolicy({
          name: 'metrics', table: 'public.metrics', column: 'ts', interval: '1 day', premake: 1,
          extra: `  subpartition:\n    strategy: hash\n    column: tenant_id\n    modulus: 3\n  retention:\n    allowMassRemoval: true\n    keep: 1 day\n    action: archive\n`,
        }),
      },
      `storage:\n  url: file://${mkdtempSync(path.join(os.tmpdir(), 'pw-sub-archive-'))}\n`,
    );
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r)).toEqual(['done create metrics_p20240310', 'done create metrics_p20240311']);
    expect(await bounds('public.metrics_p20240310')).toEqual([
      'metrics_p20240310_h0 FOR VALUES WITH (modulus 3, remainder 0)',
      'metrics_p20240310_h1 FOR VALUES WITH (modulus 3, remainder 1)',
      'metrics_p20240310_h2 FOR VALUES WITH (modulus 3, remainder 2)',
    ]);
    await db.sql.query(`INSERT INTO public.metrics SELECT g % 7, '2024-03-10 00:00+00'::timestamptz + g * interval '1 minute', g / 3.0 FROM generate_series(0, 1439) g`);
    // a sub-partition dropped by hand is an outage for a third of the tenants: repaired
    await db.sql.query(`DROP TABLE public.metrics_p20240311_h1`);
    const repair = await reconcileAt(cfg, NOW);
    expect(outcomesOf(repair)).toEqual(['done create metrics_p20240311_h1']);

    // a day later 2024-03-10 expires: archived through COPY (SELECT ...), dropped with its sub-partitions
    const before = await db.sql.query(`SELECT md5(string_agg(tenant_id || ',' || ts || ',' || v, ';' ORDER BY tenant_id, ts)) AS h FROM public.metrics_p20240310`);
    const later = await reconcileAt(cfg, '2024-03-12T15:00:00Z');
    expect(outcomesOf(later)).toEqual(['done create metrics_p20240312', 'done create metrics_p20240313', 'done archive metrics_p20240310']);
    expect((await db.sql.query(`SELECT to_regclass('public.metrics_p20240310_h0') AS t`)).rows[0].t).toBeNull();

    const restored = await runCli(['restore', '--config', cfg, '--policy', 'metrics', '--partition', 'metrics_p20240310', '--attach']);
    expect(restored.stderr).not.toMatch(/"level":50/);
    expect(restored.code).toBe(0);
    expect(await bounds('public.metrics_p20240310')).toHaveLength(3);
    const after = await db.sql.query(`SELECT md5(string_agg(tenant_id || ',' || ts || ',' || v, ';' ORDER BY tenant_id, ts)) AS h FROM public.metrics WHERE ts < '2024-03-11 00:00+00'`);
    expect(after.rows[0].h).toBe(before.rows[0].h);
  });

  it('creates new range children as PARTITION BY LIST with every declared sub-partition', async () => {
    await db.sql.query(`CREATE TABLE public."Events by Region" (id int, ts date NOT NULL, "Region" text) PARTITION BY RANGE (ts)`);
    const cfg = writeProject(db.url, {
      'e.yaml': rangePolicy({
        name: 'ebr', table: '"public"."Events by Region"', column: 'ts', interval: '1 month', premake: 1,
        extra: `  subpartition:\n    strategy: list\n    column: \'"Region"\'\n    partitions:\n      eu: [EU, "it's"]\n      other: [null]\n`,
      }),
    });
    expect(outcomesOf(await reconcileAt(cfg, NOW))).toEqual(['done create Events by Region_p202403', 'done create Events by Region_p202404']);
    expect(await bounds('public."Events by Region_p202403"')).toEqual([
      `Events by Region_p202403_eu FOR VALUES IN ('EU', 'it''s')`,
      'Events by Region_p202403_other FOR VALUES IN (NULL)',
    ]);
    await db.sql.query(`INSERT INTO public."Events by Region" VALUES (1, '2024-03-02', 'it''s'), (2, '2024-03-03', NULL)`);
  });
});
