import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { policyDoc, rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';

/*
 * New partitions must be indistinguishable from the DBA's where applications notice: owner,
 * grants, replica identity (publications), tablespace, access method. Each case is what broke
 * for a DBA: an owner's migration, a reporting role, an UPDATE on a published table.
 */
const db = useDatabase();
const major = Number(inject('pgVersion').split('.')[0]);
// roles are cluster-wide and the test files share a cluster
const tag = randomBytes(3).toString('hex');
const owner = `app_owner_${tag}`;
const reporting = `reporting_${tag}`;
const writer = `writer_${tag}`;

beforeAll(async () => {
  for (const r of [owner, reporting, writer]) await db.sql.query(`CREATE ROLE ${r}`);
  await db.sql.query(`GRANT CREATE ON SCHEMA public TO ${owner}`);
});

async function acl(table: string): Promise<string[]> {
  const r = await db.sql.query<{ a: string[] | null }>('SELECT relacl::text[] AS a FROM pg_class WHERE oid = $1::regclass', [table]);
  return [...(r.rows[0]!.a ?? [])].sort();
}
async function rel(table: string): Promise<{ owner: string; replident: string; tablespace: string | null; am: string | null }> {
  const r = await db.sql.query(
    `SELECT pg_get_userbyid(relowner) AS owner, relreplident::text AS replident, (SELECT spcname FROM pg_tablespace WHERE oid = reltablespace) AS tablespace,
            (SELECT amname FROM pg_am WHERE oid = relam) AS am FROM pg_class WHERE oid = $1::regclass`,
    [table],
  );
  return r.rows[0];
}

describe('new partitions match the parent', () => {
  it('owner and grants: the owner can migrate the table, a reporting role reads a partition directly', async () => {
    await db.sql.query(`CREATE TABLE public.orders (id bigint NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)`);
    await db.sql.query(`ALTER TABLE public.orders OWNER TO ${owner}`);
    await db.sql.query(`CREATE TABLE public.orders_handmade PARTITION OF public.orders FOR VALUES FROM ('2026-11-25') TO ('2026-11-26')`);
    await db.sql.query(`ALTER TABLE public.orders_handmade OWNER TO ${owner}`);
    await db.sql.query(`GRANT SELECT ON public.orders, public.orders_handmade TO ${reporting}`);
    await db.sql.query(`GRANT SELECT, INSERT ON public.orders, public.orders_handmade TO ${writer} WITH GRANT OPTION`);
    const cfg = writeProject(db.url, { 'o.yaml': rangePolicy({ name: 'orders', table: 'public.orders', column: 'created_at', interval: '1 day', premake: 1 }) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-11-26T10:00:00Z'))).toEqual(['done create orders_p20261126', 'done create orders_p20261127']);
    for (const p of ['public.orders_p20261126', 'public.orders_p20261127']) {
      expect((await rel(p)).owner).toBe(owner);
      expect(await acl(p)).toEqual(await acl('public.orders_handmade'));
    }
    expect(await acl('public.orders_p20261126')).toEqual(await acl('public.orders'));
    // the owner's next migration works on every partition
    await db.sql.query(`SET ROLE ${owner}`);
    try {
      await db.sql.query('ALTER TABLE public.orders ADD COLUMN note text');
    } finally {
      await db.sql.query('RESET ROLE');
    }
    await db.sql.query(`INSERT INTO public.orders VALUES (1, '2026-11-26 11:00+00', 'x')`);
    await db.sql.query(`SET ROLE ${reporting}`);
    try {
      expect((await db.sql.query('SELECT count(*)::int AS n FROM public.orders_p20261126')).rows[0].n).toBe(1);
    } finally {
      await db.sql.query('RESET ROLE');
    }
    // plan prints what runs: the grants and the owner are part of the create step
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: '2026-11-27T10:00:00Z' });
    expect(plan.stdout).toContain(`GRANT SELECT, INSERT ON TABLE "public"."orders_p20261128" TO "${writer}" WITH GRANT OPTION`);
    expect(plan.stdout).toContain(`GRANT SELECT ON TABLE "public"."orders_p20261128" TO "${reporting}"`);
    expect(plan.stdout).toContain(`ALTER TABLE "public"."orders_p20261128" OWNER TO "${owner}"`);
  });

  it('REPLICA IDENTITY FULL on a published table: an UPDATE across old and new partitions works', async () => {
    await db.sql.query(`CREATE TABLE public.clicks (url text NOT NULL, n int NOT NULL, day date NOT NULL) PARTITION BY RANGE (day)`);
    await db.sql.query(`ALTER TABLE public.clicks REPLICA IDENTITY FULL`);
    await db.sql.query(`CREATE TABLE public.clicks_old PARTITION OF public.clicks FOR VALUES FROM ('2026-11-30') TO ('2026-12-01')`);
    await db.sql.query(`ALTER TABLE public.clicks_old REPLICA IDENTITY FULL`);
    await db.sql.query(`CREATE PUBLICATION clicks_pub_${tag} FOR TABLE public.clicks`);
    const cfg = writeProject(db.url, { 'c.yaml': rangePolicy({ name: 'clicks', table: 'public.clicks', column: 'day', interval: '1 day', premake: 1 }) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create clicks_p20261201', 'done create clicks_p20261202']);
    expect((await rel('public.clicks_p20261201')).replident).toBe('f');
    await db.sql.query(`INSERT INTO public.clicks VALUES ('/b', 1, '2026-11-30'), ('/b', 1, '2026-12-01'), ('/b', 1, '2026-12-02')`);
    // cannot prune: touches every partition; without the identity: "cannot update table ... does not have a replica identity"
    const u = await db.sql.query(`UPDATE public.clicks SET n = n + 1 WHERE url = '/b'`);
    expect(u.rowCount).toBe(3);
    await db.sql.query(`DELETE FROM public.clicks WHERE url = '/b'`);
  });

  it('REPLICA IDENTITY USING INDEX maps to the new partition\'s copy of that index; sub-partitions too', async () => {
    await db.sql.query(`CREATE TABLE public.ev (tenant int NOT NULL, id bigint NOT NULL, ts timestamptz NOT NULL, dropped int) PARTITION BY RANGE (ts)`);
    // a dropped column: the new partition's attribute numbers differ from the parent's
    await db.sql.query(`ALTER TABLE public.ev DROP COLUMN dropped`);
    await db.sql.query(`CREATE UNIQUE INDEX ev_ident ON public.ev (id, ts, tenant)`);
    await db.sql.query(`CREATE INDEX ev_ts ON public.ev (ts)`);
    await db.sql.query(`ALTER TABLE public.ev REPLICA IDENTITY USING INDEX ev_ident`);
    await db.sql.query(`CREATE PUBLICATION ev_pub_${tag} FOR TABLE public.ev`);
    const spec = `  strategy: range
  range:
    column: ts
    interval: 1 day
    premake: 1
  subpartition:
    strategy: hash
    column: tenant
    modulus: 2
`;
    const cfg = writeProject(db.url, { 'e.yaml': policyDoc('ev', 'public.ev', spec) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create ev_p20261201', 'done create ev_p20261202']);
    const idents = await db.sql.query<{ t: string; i: string }>(
      `SELECT x.indrelid::regclass::text AS t, x.indexrelid::regclass::text AS i FROM pg_index x JOIN pg_partition_tree('public.ev') p ON p.relid = x.indrelid
        WHERE x.indisreplident AND p.isleaf ORDER BY 1`,
    );
    expect(idents.rows.map((r) => r.t)).toEqual(['ev_p20261201_h0', 'ev_p20261201_h1', 'ev_p20261202_h0', 'ev_p20261202_h1']);
    await db.sql.query(`INSERT INTO public.ev VALUES (1, 1, '2026-12-01 10:00+00'), (2, 2, '2026-12-02 10:00+00')`);
    expect((await db.sql.query('UPDATE public.ev SET id = id + 10')).rowCount).toBe(2);
  });

  it('tablespace: new partitions land where PARTITION OF would put them; one elsewhere is reported', async () => {
    // an in-place tablespace (under pg_tblspc): no directory the server's OS user must own
    await db.sql.query('SET allow_in_place_tablespaces = true');
    await db.sql.query(`CREATE TABLESPACE fast_${tag} LOCATION ''`);
    try {
      await db.sql.query(`CREATE TABLE public.metrics (ts timestamptz NOT NULL, v float8) PARTITION BY RANGE (ts) TABLESPACE fast_${tag}`);
      const cfg = writeProject(db.url, { 'm.yaml': rangePolicy({ name: 'metrics', table: 'public.metrics', column: 'ts', interval: '1 day', premake: 1 }) });
      expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create metrics_p20261201', 'done create metrics_p20261202']);
      expect((await rel('public.metrics_p20261201')).tablespace).toBe(`fast_${tag}`);
      // a partition elsewhere is reported, never moved (that rewrites the table)
      await db.sql.query(`CREATE TABLE public.metrics_old PARTITION OF public.metrics FOR VALUES FROM ('2026-11-30') TO ('2026-12-01') TABLESPACE pg_default`);
      const r = await reconcileAt(cfg, '2026-12-01T11:00:00Z');
      expect(outcomesOf(r)).toEqual([]);
      expect(r[0]!.plans[0]!.problems.map((x) => x.message)).toEqual([
        `partition metrics_old differs from its parent: tablespace pg_default (the parent's is fast_${tag}; moving it rewrites the table: ALTER TABLE ... SET TABLESPACE, by hand)`,
      ]);
    } finally {
      await db.sql.query('DROP TABLE IF EXISTS public.metrics');
      await db.sql.query(`DROP TABLESPACE IF EXISTS fast_${tag}`);
    }
  });

  it.runIf(major >= 17)('access method of the parent (PostgreSQL >= 17)', async () => {
    await db.sql.query(`CREATE ACCESS METHOD heap2_${tag} TYPE TABLE HANDLER heap_tableam_handler`);
    await db.sql.query(`CREATE TABLE public.am (ts timestamptz NOT NULL) PARTITION BY RANGE (ts) USING heap2_${tag}`);
    const cfg = writeProject(db.url, { 'a.yaml': rangePolicy({ name: 'am', table: 'public.am', column: 'ts', interval: '1 day', premake: 1 }) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create am_p20261201', 'done create am_p20261202']);
    expect((await rel('public.am_p20261201')).am).toBe(`heap2_${tag}`);
  });

  it('validate --db names the GRANT that lets partwarden give new partitions their owner', async () => {
    const runner = `pw_runner_${tag}`;
    const other = `other_owner_${tag}`;
    await db.sql.query(`CREATE ROLE ${runner} LOGIN PASSWORD 'runner-pw'`);
    await db.sql.query(`CREATE ROLE ${other}`);
    // a schema of its own: PUBLIC has CREATE on public before PostgreSQL 15
    const app = `app_${tag}`;
    await db.sql.query(`CREATE SCHEMA ${app}`);
    await db.sql.query(`GRANT USAGE, CREATE ON SCHEMA ${app} TO ${runner}`);
    await db.sql.query(`CREATE TABLE ${app}.theirs (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`ALTER TABLE ${app}.theirs OWNER TO ${other}`);
    // the runner may manage it (member with INHERIT), but ALTER OWNER also needs the owner's CREATE on the schema
    await db.sql.query(`GRANT ${other} TO ${runner}`);
    const url = db.url.replace(/\/\/[^@]*@/, `//${runner}:runner-pw@`);
    await db.sql.query(`CREATE SCHEMA pw_${tag} AUTHORIZATION ${runner}`);
    const cfg = writeProject(url, { 't.yaml': rangePolicy({ name: 'theirs', table: `${app}.theirs`, column: 'ts', interval: '1 day', premake: 1 }) });
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('stateSchema: partwarden', `stateSchema: pw_${tag}`));
    const r = await runCli(['validate', '--config', cfg, '--db']);
    expect(r.stderr).toContain(`warning: new partitions cannot be given the table's owner ${other} by ${runner} (they stay ${runner}'s); fix: GRANT CREATE ON SCHEMA "${app}" TO "${other}"`);
    // partitions are still created (a missing partition is an outage; a wrong owner is drift)
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create theirs_p20261201', 'done create theirs_p20261202']);
    await db.sql.query(`GRANT CREATE ON SCHEMA ${app} TO ${other}`);
    expect((await runCli(['validate', '--config', cfg, '--db'])).stderr).not.toContain('cannot be given');
    // the new one is given to the owner, and the two made before are repaired (partition_drift)
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-02T10:00:00Z'))).toEqual(['done create theirs_p20261203', 'done repair theirs_p20261201', 'done repair theirs_p20261202']);
    for (const d of ['01', '02', '03']) expect((await rel(`${app}.theirs_p202612${d}`)).owner).toBe(other);
  });
});

describe('a removal that cannot succeed is explained, not re-proposed', () => {
  it('a foreign key of another table referencing the partition itself: plan says why, nothing is detached', async () => {
    await db.sql.query(`CREATE TABLE public.invoices (id int NOT NULL, day date NOT NULL, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)`);
    await db.sql.query(`CREATE TABLE public.invoices_2026_10 PARTITION OF public.invoices FOR VALUES FROM ('2026-10-01') TO ('2026-11-01')`);
    await db.sql.query(`CREATE TABLE public.invoices_2026_11 PARTITION OF public.invoices FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')`);
    await db.sql.query(`CREATE TABLE public.audit (invoice int, day date, CONSTRAINT audit_invoice_fk FOREIGN KEY (invoice, day) REFERENCES public.invoices_2026_10 (id, day))`);
    const cfg = writeProject(db.url, {
      'i.yaml': rangePolicy({ name: 'invoices', table: 'public.invoices', column: 'day', interval: '1 month', premake: 1, extra: '  retention:\n    keep: 1 month\n    action: drop\n' }),
    });
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: '2026-12-15T00:00:00Z' });
    expect(plan.stdout).toContain('invoices_2026_10 is due for removal (drop) but cannot be dropped: foreign key audit_invoice_fk of audit references it; drop that constraint (or point it at the parent table) and the next run removes the partition');
    expect(plan.stdout).not.toContain('DETACH PARTITION "public"."invoices_2026_10"');
    const outcomes = outcomesOf(await reconcileAt(cfg, '2026-12-15T00:00:00Z'));
    expect(outcomes.filter((o) => o.includes('invoices_2026_10'))).toEqual([]);
    expect(outcomes).toContain('done create invoices_p202612');
    await db.sql.query('ALTER TABLE public.audit DROP CONSTRAINT audit_invoice_fk');
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-15T01:00:00Z'))).toEqual(['done drop invoices_2026_10']);
  });
});

describe('statistics', () => {
  it('analyze: parent analyzes the partitioned table after partitions change, at most every analyzeMinInterval', async () => {
    await db.sql.query(`CREATE TABLE public.stats (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.stats_old PARTITION OF public.stats FOR VALUES FROM ('2026-11-30') TO ('2026-12-01')`);
    await db.sql.query(`INSERT INTO public.stats SELECT '2026-11-30 12:00+00', g FROM generate_series(1, 500) g`);
    const inherited = async () => (await db.sql.query(`SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = 'public' AND tablename = 'stats' AND inherited`)).rows[0].n as number;
    expect(await inherited()).toBe(0);
    const cfg = writeProject(db.url, {
      's.yaml': rangePolicy({ name: 'stats', table: 'public.stats', column: 'ts', interval: '1 day', premake: 1, extra: '  analyze: parent\n  analyzeMinInterval: 7 days\n' }),
    });
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create stats_p20261201', 'done create stats_p20261202', 'done analyze stats']);
    expect(await inherited()).toBeGreaterThan(0);
    // a change within the interval waits for it; nothing changed: nothing analyzed
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-02T09:00:00Z'))).toEqual(['done create stats_p20261203']);
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-02T09:30:00Z'))).toEqual([]);
  });
});

describe('what a partitioned parent cannot carry: the partition template', () => {
  async function storage(table: string) {
    const r = await db.sql.query(
      `SELECT c.reloptions, t.reloptions AS toast, c.relpersistence::text AS persistence, obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.oid = $1::regclass`,
      [table],
    );
    return r.rows[0] as { reloptions: string[] | null; toast: string[] | null; persistence: string; comment: string | null };
  }

  it('by default a new partition takes the storage and TOAST parameters of the newest partition (not its comment)', async () => {
    await db.sql.query(`CREATE TABLE public.tpl (ts timestamptz NOT NULL, body text) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.tpl_last PARTITION OF public.tpl FOR VALUES FROM ('2026-11-30') TO ('2026-12-01') WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_enabled = false)`);
    await db.sql.query(`COMMENT ON TABLE public.tpl_last IS 'November 30 only'`);
    const cfg = writeProject(db.url, { 't.yaml': rangePolicy({ name: 'tpl', table: 'public.tpl', column: 'ts', interval: '1 day', premake: 1 }) });
    expect(outcomesOf(await reconcileAt(cfg, '2026-12-01T10:00:00Z'))).toEqual(['done create tpl_p20261201', 'done create tpl_p20261202']);
    expect(await storage('public.tpl_p20261201')).toEqual({ reloptions: ['fillfactor=90', 'autovacuum_vacuum_scale_factor=0.01'], toast: ['autovacuum_enabled=false'], persistence: 'p', comment: null });
  });

  it('template: a template table (pg_partman style), and explicit values over it', async () => {
    await db.sql.query(`CREATE TABLE public.tpl2 (ts timestamptz NOT NULL, body text) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE UNLOGGED TABLE public.tpl2_template (ts timestamptz, body text) WITH (fillfactor = 80, autovacuum_enabled = false)`);
    await db.sql.query(`COMMENT ON TABLE public.tpl2_template IS 'partition of tpl2 (it''s managed by partwarden)'`);
    const byTable = writeProject(db.url, { 't.yaml': rangePolicy({ name: 'tpl2', table: 'public.tpl2', column: 'ts', interval: '1 day', premake: 1, extra: '  template: public.tpl2_template\n' }) });
    expect(outcomesOf(await reconcileAt(byTable, '2026-12-01T10:00:00Z'))).toEqual(['done create tpl2_p20261201', 'done create tpl2_p20261202']);
    expect(await storage('public.tpl2_p20261201')).toEqual({ reloptions: ['fillfactor=80', 'autovacuum_enabled=false'], toast: null, persistence: 'u', comment: "partition of tpl2 (it's managed by partwarden)" });
    const explicit = writeProject(db.url, {
      't.yaml': rangePolicy({
        name: 'tpl2', table: 'public.tpl2', column: 'ts', interval: '1 day', premake: 2,
        extra: '  template:\n    table: public.tpl2_template\n    storage:\n      fillfactor: 70\n    toast:\n      autovacuum_enabled: false\n    unlogged: false\n',
      }),
    });
    const plan = await runCli(['plan', '--config', explicit], { PARTWARDEN_NOW: '2026-12-01T10:00:00Z' });
    expect(plan.stdout).toContain(`CREATE TABLE "public"."tpl2_p20261203" (LIKE "public"."tpl2" INCLUDING ALL EXCLUDING IDENTITY) WITH (fillfactor = '70', autovacuum_enabled = 'false', toast.autovacuum_enabled = 'false')`);
    expect(plan.stdout).toContain(`COMMENT ON TABLE "public"."tpl2_p20261203" IS 'partition of tpl2 (it''s managed by partwarden)'`);
    // the policy's values are the desired state: the partitions made before are set to them too (partition_drift)
    expect(outcomesOf(await reconcileAt(explicit, '2026-12-01T10:00:00Z'))).toEqual(['done create tpl2_p20261203', 'done repair tpl2_p20261201', 'done repair tpl2_p20261202']);
    expect([...(await storage('public.tpl2_p20261201')).reloptions!].sort()).toEqual(['autovacuum_enabled=false', 'fillfactor=70']);
    expect(await storage('public.tpl2_p20261203')).toMatchObject({ reloptions: ['fillfactor=70', 'autovacuum_enabled=false'], toast: ['autovacuum_enabled=false'], persistence: 'p' });
    // a template table that does not exist stops the policy with a clear error
    const missing = writeProject(db.url, { 't.yaml': rangePolicy({ name: 'tpl2', table: 'public.tpl2', column: 'ts', interval: '1 day', extra: '  template: public.nope\n' }) });
    const v = await runCli(['validate', '--config', missing, '--db']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('template table public.nope does not exist');
  });
});

describe('partition_drift', () => {
  it('repairs owner, grants, replica identity and template parameters of existing partitions; reports a tablespace; drift: report only says', async () => {
    const dOwner = `drift_owner_${tag}`;
    const dReader = `drift_reader_${tag}`;
    const stray = `drift_stray_${tag}`;
    for (const r of [dOwner, dReader, stray]) await db.sql.query(`CREATE ROLE ${r}`);
    await db.sql.query(`GRANT CREATE ON SCHEMA public TO ${dOwner}`);
    await db.sql.query(`CREATE TABLE public.drifty (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`ALTER TABLE public.drifty OWNER TO ${dOwner}`);
    await db.sql.query(`ALTER TABLE public.drifty REPLICA IDENTITY FULL`);
    await db.sql.query(`GRANT SELECT ON public.drifty TO ${dReader}`);
    // the DBA's partitions, made by hand: default owner, no grants, default identity, other storage
    await db.sql.query(`CREATE TABLE public.drifty_a PARTITION OF public.drifty FOR VALUES FROM ('2026-11-29') TO ('2026-11-30') WITH (fillfactor = 100)`);
    await db.sql.query(`CREATE TABLE public.drifty_b PARTITION OF public.drifty FOR VALUES FROM ('2026-11-30') TO ('2026-12-01')`);
    await db.sql.query(`GRANT SELECT, DELETE ON public.drifty_b TO ${stray}`);
    await db.sql.query(`ALTER TABLE public.drifty_b OWNER TO ${dOwner}`);
    await db.sql.query(`GRANT SELECT ON public.drifty_b TO ${dReader}`);
    await db.sql.query(`ALTER TABLE public.drifty_b REPLICA IDENTITY FULL`);
    await db.sql.query(`ALTER TABLE public.drifty_b SET (fillfactor = 85)`);
    const policy = (drift: string) => rangePolicy({ name: 'drifty', table: 'public.drifty', column: 'ts', interval: '1 day', premake: 1, extra: `  template:\n    storage:\n      fillfactor: 85\n  drift: ${drift}\n` });
    const report = writeProject(db.url, { 'd.yaml': policy('report') });
    const plan = await runCli(['plan', '--config', report, '--output', 'json'], { PARTWARDEN_NOW: '2026-12-01T10:00:00Z' });
    const p = (JSON.parse(plan.stdout) as { databases: Array<{ policies: Array<{ actions: Array<{ kind: string }>; problems: Array<{ rule: string; partition: string; message: string }> }> }> }).databases[0]!.policies[0]!;
    expect(p.actions.filter((a) => a.kind === 'repair')).toEqual([]);
    expect(p.problems.filter((x) => x.rule === 'partition_drift').map((x) => x.message)).toEqual([
      `partition drifty_a differs from its parent: owner postgres (the parent's is ${dOwner}); grants differ from the parent's; replica identity DEFAULT (the parent's is FULL); storage parameters fillfactor=100, the template says 85`,
      `partition drifty_b differs from its parent: grants differ from the parent's`,
    ]);

    const repair = writeProject(db.url, { 'd.yaml': policy('repair') });
    const outcomes = outcomesOf(await reconcileAt(repair, '2026-12-01T10:00:00Z'));
    expect(outcomes).toEqual(expect.arrayContaining(['done repair drifty_a', 'done repair drifty_b']));
    for (const t of ['public.drifty_a', 'public.drifty_b']) {
      expect(await rel(t)).toMatchObject({ owner: dOwner, replident: 'f' });
      expect(await acl(t)).toEqual(await acl('public.drifty'));
    }
    expect((await db.sql.query(`SELECT reloptions FROM pg_class WHERE relname = 'drifty_a'`)).rows[0].reloptions).toEqual(['fillfactor=85']);
    // nothing left to repair; the journal holds what ran
    expect(outcomesOf(await reconcileAt(repair, '2026-12-01T11:00:00Z'))).toEqual([]);
    const j = await db.sql.query(`SELECT sql FROM partwarden.journal WHERE step = 'repair' AND partition_name = 'drifty_b'`);
    expect(j.rows[0].sql).toBe(`REVOKE ALL ON TABLE "public"."drifty_b" FROM "${stray}";\nREVOKE ALL ON TABLE "public"."drifty_b" FROM "${dReader}";\nGRANT SELECT ON TABLE "public"."drifty_b" TO "${dReader}"`);
  });
});
