import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

const db = useDatabase();
const policy = (t: string, extra = '') => ({ [`${t}.yaml`]: rangePolicy({ name: t, table: `public.${t}`, column: 'ts', interval: '1 day', premake: 3, extra }) });

/**
 * A production-like plain table: identity primary key without the key, a unique key with it that
 * another table references, a foreign key of its own, CHECK, indexes, a view, grants, comments, a
 * row trigger, row security with a policy, a publication; rows over the last 30 days.
 */
async function productionTable(t: string, rows: number): Promise<void> {
  await db.sql.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pw_conv_reader') THEN CREATE ROLE pw_conv_reader; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pw_conv_writer') THEN CREATE ROLE pw_conv_writer; END IF; END $$`);
  await db.sql.query(`CREATE TABLE IF NOT EXISTS public.accounts (id int PRIMARY KEY)`);
  await db.sql.query(`INSERT INTO public.accounts SELECT g FROM generate_series(1, 10) g ON CONFLICT DO NOTHING`);
  await db.sql.query(`CREATE OR REPLACE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'stamped'); RETURN NEW; END $$`);
  for (const s of [
    `CREATE TABLE public.${t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now(), account int NOT NULL REFERENCES public.accounts (id),
       note text, CONSTRAINT ${t}_note_len CHECK (length(note) < 1000))`,
    `CREATE INDEX ${t}_ts_idx ON public.${t} (ts)`,
    `CREATE INDEX ${t}_account_idx ON public.${t} (account, ts) WHERE note IS NOT NULL`,
    `ALTER TABLE public.${t} ADD CONSTRAINT ${t}_id_ts_key UNIQUE (id, ts)`,
    `CREATE TABLE public.${t}_notes (id serial PRIMARY KEY, event_id bigint NOT NULL, event_ts timestamptz NOT NULL, body text,
       CONSTRAINT ${t}_notes_event_fk FOREIGN KEY (event_id, event_ts) REFERENCES public.${t} (id, ts) ON DELETE CASCADE)`,
    `CREATE VIEW public.${t}_recent WITH (security_barrier = true) AS SELECT id, ts, note FROM public.${t} WHERE account = 1`,
    `GRANT SELECT ON public.${t} TO pw_conv_reader`,
    `GRANT SELECT, INSERT, UPDATE ON public.${t} TO pw_conv_writer`,
    `COMMENT ON TABLE public.${t} IS 'every event'`,
    `COMMENT ON COLUMN public.${t}.note IS 'free text'`,
    `CREATE TRIGGER ${t}_stamp BEFORE INSERT ON public.${t} FOR EACH ROW EXECUTE FUNCTION public.stamp()`,
    `ALTER TABLE public.${t} ENABLE ROW LEVEL SECURITY`,
    `CREATE POLICY ${t}_readers ON public.${t} FOR SELECT TO pw_conv_reader USING (account < 5)`,
    `CREATE PUBLICATION ${t}_pub FOR TABLE public.${t}`,
    `INSERT INTO public.${t} (ts, account, note) SELECT now() - (g * interval '30 days' / ${rows}), 1 + g % 10, CASE WHEN g % 3 = 0 THEN NULL ELSE md5(g::text) END FROM generate_series(1, ${rows}) g`,
    `INSERT INTO public.${t}_notes (event_id, event_ts, body) SELECT id, ts, 'n' FROM public.${t} ORDER BY id LIMIT 100`,
  ]) await db.sql.query(s);
}

const fingerprint = async (t: string) =>
  (await db.sql.query<{ n: number; h: string }>(`SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x.id)) AS h FROM public.${t} x`)).rows[0]!;
const relkind = async (t: string) => (await db.sql.query<{ k: string }>(`SELECT relkind::text AS k FROM pg_class WHERE oid = $1::regclass`, [t])).rows[0]!.k;

describe('partwarden convert', () => {
  it('turns a plain production table into a partitioned one without moving a row; everything that depended on it keeps working', async () => {
    await productionTable('ev', 20000);
    const before = await fingerprint('ev');
    const maxId = Number((await db.sql.query(`SELECT max(id) AS m FROM public.ev`)).rows[0].m);
    const cfg = writeProject(db.url, policy('ev'));

    // --dry-run: every statement in order, nothing changed
    const dry = await runCli(['convert', '--config', cfg, '--policy', 'ev', '--dry-run']);
    expect(dry.stderr).not.toMatch(/refused/);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/PRIMARY KEY ev_pkey \(id\) becomes \(id, ts\)/);
    expect(dry.stdout).toContain('CREATE UNIQUE INDEX CONCURRENTLY "ev_pkey_pw_wide" ON "public"."ev" USING btree ("id", "ts");');
    expect(dry.stdout).toMatch(/ALTER TABLE "public"."ev" ATTACH PARTITION "public"."ev_history" FOR VALUES FROM \('[^']+'::timestamptz\) TO \('[^']+'::timestamptz\);/);
    expect(dry.stdout).toMatch(/dry run: nothing was changed/);
    expect(await relkind('public.ev')).toBe('r');

    const r = await runCli(['convert', '--config', cfg, '--policy', 'ev']);
    expect(r.stderr).not.toMatch(/refused|stopped/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/converted public\.ev/);
    expect(await relkind('public.ev')).toBe('p');
    // the old table is the historical partition, with every row it had
    const parts = await db.sql.query<{ name: string; bound: string }>(`SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.ev'::regclass ORDER BY 1`);
    expect(parts.rows[0]!.name).toBe('ev_history');
    expect(parts.rows[0]!.bound).toMatch(/^FOR VALUES FROM \('\d{4}-\d\d-\d\d 00:00:00\+00'\) TO/);
    expect(parts.rows.length).toBeGreaterThanOrEqual(2);
    expect(await fingerprint('ev')).toEqual(before);
    expect(await fingerprint('ev_history')).toEqual(before);

    // identity carries on, the trigger fires, FKs both ways work, the view sees new rows
    const added = await db.sql.query<{ id: string; note: string }>(`INSERT INTO public.ev (ts, account) VALUES (now(), 1) RETURNING id, note`);
    expect(Number(added.rows[0]!.id)).toBeGreaterThan(maxId);
    expect(added.rows[0]!.note).toBe('stamped');
    await db.sql.query(`INSERT INTO public.ev_notes (event_id, event_ts, body) SELECT id, ts, 'new' FROM public.ev WHERE id = $1`, [added.rows[0]!.id]);
    await expect(db.sql.query(`INSERT INTO public.ev_notes (event_id, event_ts, body) VALUES (-1, now(), 'orphan')`)).rejects.toThrow(/foreign key/);
    await expect(db.sql.query(`INSERT INTO public.ev (ts, account) VALUES (now(), 999)`)).rejects.toThrow(/foreign key/);
    const fks = await db.sql.query(`SELECT conname, confrelid::regclass::text AS ref, convalidated FROM pg_constraint WHERE conname = 'ev_notes_event_fk'`);
    expect(fks.rows).toEqual([{ conname: 'ev_notes_event_fk', ref: 'ev', convalidated: true }]);
    expect(Number((await db.sql.query(`SELECT count(*) AS n FROM public.ev_recent WHERE id = $1`, [added.rows[0]!.id])).rows[0].n)).toBe(1);
    const viewDeps = await db.sql.query(`SELECT DISTINCT d.refobjid::regclass::text AS t FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid WHERE rw.ev_class = 'public.ev_recent'::regclass AND d.refobjid <> 'public.ev_recent'::regclass`);
    expect(viewDeps.rows).toEqual([{ t: 'ev' }]);
    expect((await db.sql.query(`SELECT reloptions FROM pg_class WHERE oid = 'public.ev_recent'::regclass`)).rows[0].reloptions).toEqual(['security_barrier=true']);

    // names, grants, comments, row security, publication
    const cons = await db.sql.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'public.ev'::regclass AND contype IN ('p', 'u') ORDER BY 1`);
    expect(cons.rows).toEqual([{ conname: 'ev_id_ts_key', def: 'UNIQUE (id, ts)' }, { conname: 'ev_pkey', def: 'PRIMARY KEY (id, ts)' }]);
    const idx = await db.sql.query(`SELECT relname FROM pg_class WHERE oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'public.ev'::regclass) ORDER BY 1`);
    expect(idx.rows.map((x) => x.relname)).toEqual(['ev_account_idx', 'ev_id_ts_key', 'ev_pkey', 'ev_ts_idx']);
    const priv = await db.sql.query(`SELECT has_table_privilege('pw_conv_reader', 'public.ev', 'SELECT') AS r, has_table_privilege('pw_conv_writer', 'public.ev', 'INSERT') AS w, has_table_privilege('pw_conv_reader', 'public.ev', 'INSERT') AS no`);
    expect(priv.rows[0]).toEqual({ r: true, w: true, no: false });
    const meta = await db.sql.query(`SELECT obj_description('public.ev'::regclass, 'pg_class') AS t, col_description('public.ev'::regclass, 3 + 1) AS c, relrowsecurity AS rls FROM pg_class WHERE oid = 'public.ev'::regclass`);
    expect(meta.rows[0]).toEqual({ t: 'every event', c: 'free text', rls: true });
    expect((await db.sql.query(`SELECT policyname FROM pg_policies WHERE tablename = 'ev'`)).rows).toEqual([{ policyname: 'ev_readers' }]);
    expect((await db.sql.query(`SELECT tablename FROM pg_publication_tables WHERE pubname = 'ev_pub'`)).rows.length).toBeGreaterThan(0);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_publication_rel WHERE prrelid = 'public.ev'::regclass`)).rows[0].n).toBe(1);
    // the work is gone: no CHECK, no work tables
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'partwarden_convert_bound'`)).rows[0].n).toBe(0);
    expect((await db.sql.query(`SELECT to_regclass('public.ev_pw_new') AS t`)).rows[0].t).toBeNull();

    // partwarden manages it from here: the plan is a no-op; convert again has nothing to do
    const plan = await runCli(['plan', '--config', cfg, '--output', 'json']);
    expect(plan.code).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { databases: Array<{ policies: Array<{ actions: unknown[]; problems: unknown[] }> }> }).databases[0]!.policies[0]!;
    expect(planned.actions).toEqual([]);
    expect(planned.problems).toEqual([]);
    const again = await runCli(['convert', '--config', cfg, '--policy', 'ev']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/public\.ev is partitioned; nothing to convert/);
  });
});
