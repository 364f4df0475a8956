import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';
import { s3StorageConfig, useS3 } from '../helpers/s3.js';
import { zstdAvailable } from '../../src/model/runtime.js';

const db = useDatabase();
const s3 = useS3();
const NOW = '2024-03-10T15:00:00Z';
const archivePolicy = (name: string, table: string, extra = '') =>
  rangePolicy({ name, table, column: 'ts', interval: '1 day', premake: 1, extra: `  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n${extra}` });

/** Rows that are hard to round-trip: numeric, text with newlines/quotes/commas, NULLs, arrays, jsonb, timestamptz. */
async function tricky(table: string): Promise<void> {
  await db.sql.query(`CREATE TABLE ${table} (
    id bigint GENERATED ALWAYS AS IDENTITY, ts timestamptz NOT NULL, amount numeric(30, 10), note text, tags text[],
    doc jsonb, at timestamptz, flag boolean, note_len int GENERATED ALWAYS AS (length(note)) STORED) PARTITION BY RANGE (ts)`);
  await db.sql.query(`CREATE TABLE ${table}_old PARTITION OF ${table} FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
  await db.sql.query(`CREATE TABLE ${table}_now PARTITION OF ${table} FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
  await db.sql.query(`INSERT INTO ${table} (ts, amount, note, tags, doc, at, flag)
    SELECT '2024-03-01 00:00+00'::timestamptz + g * interval '1 second',
           CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 12345.6789012345)::numeric(30,10) END,
           CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN E'line one\\nline "two", with, commas' WHEN 2 THEN '' WHEN 3 THEN E'tab\\there \\\\ backslash' ELSE 'ünïcødé 📈 ''quoted''' END,
           CASE WHEN g % 3 = 0 THEN NULL ELSE ARRAY['a,b', E'c"d', NULL, 'e f'] END,
           jsonb_build_object('n', g, 's', E'x\\ny', 'nested', jsonb_build_array(1, 'two', NULL)),
           '2024-03-01 12:34:56.789+05:30'::timestamptz + g * interval '1 microsecond',
           g % 2 = 0
      FROM generate_series(1, 3000) g`);
}

const fingerprint = async (sql: string) =>
  (await db.sql.query<{ n: number; h: string }>(`SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t.id)) AS h FROM (${sql}) t`)).rows[0];

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('archive to S3 (s3rver), restore, list', () => {
  it('archives an expired partition: verified, manifest last, then dropped; restores identical rows', async () => {
    await tricky('public.ev');
    const before = await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.ev_old');
    const cfg = writeProject(db.url, { 'ev.yaml': archivePolicy('ev', 'public.ev') }, s3StorageConfig(s3));
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r).filter((o) => !o.includes(' create '))).toEqual(['done archive ev_old']);
    expect((await db.sql.query(`SELECT to_regclass('public.ev_old') AS t`)).rows[0].t).toBeNull();
    const steps = await db.sql.query<{ step: string; status: string; rows: string | null }>(`SELECT step, status, rows FROM partwarden.journal WHERE partition_name = 'ev_old' ORDER BY id`);
    expect(steps.rows.map((s) => `${s.step} ${s.status}`)).toEqual(['detach done', 'export done', 'verify done', 'manifest done', 'drop done']);
    expect(Number(steps.rows[1]!.rows)).toBe(3000);

    // the archive is where SPEC §3 says, with the manifest
    // (each attempt writes under its own key: <partition>/<attempt>/data.csv.gz, named by the manifest)
    const manifest = JSON.parse(await s3.getText('prod/main/public/ev/ev_old/manifest.json')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ formatVersion: 1, policy: 'ev', database: 'main', schema: 'public', parent: 'ev', partition: 'ev_old', rows: 3000, format: 'csv', compression: 'gzip' });
    expect(manifest.dataObject).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}\/data\.csv\.gz$/);
    expect(manifest.dataObject).toBe(`${String(manifest.attempt)}/data.csv.gz`);
    expect(JSON.parse(await s3.getText(`prod/main/public/ev/ev_old/${String(manifest.attempt)}/manifest.json`))).toEqual(manifest);
    expect(manifest.bounds).toBe("FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-03-02 00:00:00+00')");
    const csv = gunzipSync(await s3.getBytes(`prod/main/public/ev/ev_old/${String(manifest.dataObject)}`)).toString('utf8');
    expect(csv.split('\n')[0]).toBe('id,ts,amount,note,tags,doc,at,flag');

    // archive list
    const list = await runCli(['archive', 'list', '--config', cfg, '--output', 'json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ policy: 'ev', partition: 'ev_old', rows: 3000, archivedAt: expect.any(String) })]);
    const listText = await runCli(['archive', 'list', '--config', cfg, '--policy', 'ev']);
    expect(listText.stdout).toMatch(/ev\s+public\.ev_old\s+FOR VALUES FROM .*\s+3000\s+\d+\s+20\d\d-/);

    // restore under another name: byte-for-byte the same values
    const restored = await runCli(['restore', '--config', cfg, '--policy', 'ev', '--partition', 'ev_old', '--as', 'public.ev_restored']);
    expect(restored.stderr).not.toMatch(/Warning|"level":50/);
    expect(restored.code).toBe(0);
    expect(await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.ev_restored')).toEqual(before);

    // restore in place and attach with the original bounds
    const attached = await runCli(['restore', '--config', cfg, '--policy', 'ev', '--partition', 'ev_old', '--attach']);
    expect(attached.code).toBe(0);
    const bound = await db.sql.query(`SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE oid = 'public.ev_old'::regclass`);
    expect(bound.rows[0].b).toBe("FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-03-02 00:00:00+00')");
    expect(await fingerprint("SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.ev WHERE ts < '2024-03-02'")).toEqual(before);

    // attaching over an existing range is refused, and nothing is left behind
    const overlap = await runCli(['restore', '--config', cfg, '--policy', 'ev', '--partition', 'ev_old', '--as', 'public.ev_again', '--attach']);
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toMatch(/would overlap partition "ev_old"/);
    expect((await db.sql.query(`SELECT to_regclass('public.ev_again') AS t`)).rows[0].t).toBeNull();
  });

  it('a DBA can restore with the manifest alone: its DDL and COPY options', async () => {
    await tricky('public.dba');
    const before = await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.dba_old');
    const cfg = writeProject(db.url, { 'd.yaml': archivePolicy('dba', 'public.dba') }, s3StorageConfig(s3, 'dba-test'));
    await reconcileAt(cfg, NOW);
    const m = JSON.parse(await s3.getText('dba-test/main/public/dba/dba_old/manifest.json')) as { ddl: string; columns: Array<{ name: string; generated?: string }>; copyOptions: string; dataObject: string };
    // what the runbook says: run the DDL, then COPY the decompressed object with the manifest's options
    await db.sql.query(m.ddl);
    const cols = m.columns.filter((c) => !c.generated).map((c) => `"${c.name}"`).join(', ');
    const { from } = await import('pg-copy-streams');
    const { pipeline } = await import('node:stream/promises');
    const { Readable } = await import('node:stream');
    const data = gunzipSync(await s3.getBytes(`dba-test/main/public/dba/dba_old/${m.dataObject}`));
    await pipeline(Readable.from([data]), db.sql.query(from(`COPY public.dba_old (${cols}) FROM STDIN ${m.copyOptions}`)));
    expect(await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.dba_old')).toEqual(before);
  });

  it('binary format without compression round-trips too', async () => {
    await tricky('public.bin');
    const before = await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.bin_old');
    const cfg = writeProject(db.url, { 'b.yaml': archivePolicy('bin', 'public.bin', '    archive:\n      format: binary\n      compression: none\n      verify: full\n') }, s3StorageConfig(s3, 'bin'));
    expect(outcomesOf(await reconcileAt(cfg, NOW)).filter((o) => !o.includes(' create '))).toEqual(['done archive bin_old']);
    const restored = await runCli(['restore', '--config', cfg, '--policy', 'bin', '--partition', 'bin_old', '--as', 'public.bin_back']);
    expect(restored.stderr).not.toMatch(/Warning|"level":50/);
    expect(restored.code).toBe(0);
    expect(await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.bin_back')).toEqual(before);
  });

  // zstd needs Node.js >= 22.15: .ci/run runs this suite on Node 22 and 24 too, where it runs
  it.runIf(zstdAvailable())('zstd archives (csv) round-trip, and the object is a standard zstd frame', async () => {
    await tricky('public.zs');
    const before = await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.zs_old');
    const cfg = writeProject(db.url, { 'z.yaml': archivePolicy('zs', 'public.zs', '    archive:\n      compression: zstd\n      verify: full\n') }, s3StorageConfig(s3, 'zs'));
    expect(outcomesOf(await reconcileAt(cfg, NOW)).filter((o) => !o.includes(' create '))).toEqual(['done archive zs_old']);
    const manifest = JSON.parse(await s3.getText('zs/main/public/zs/zs_old/manifest.json')) as { dataObject: string; compression: string };
    expect(manifest).toMatchObject({ compression: 'zstd', dataObject: expect.stringMatching(/\/data\.csv\.zst$/) });
    expect((await s3.getBytes(`zs/main/public/zs/zs_old/${manifest.dataObject}`)).subarray(0, 4).toString('hex')).toBe('28b52ffd'); // zstd magic
    const restored = await runCli(['restore', '--config', cfg, '--policy', 'zs', '--partition', 'zs_old', '--as', 'public.zs_back']);
    expect(restored.code).toBe(0);
    expect(await fingerprint('SELECT id, ts, amount, note, tags, doc, at, flag, note_len FROM public.zs_back')).toEqual(before);
  });

  it('never overwrites an object: a foreign object where the first layout put data stays untouched, the archive goes to its own attempt', async () => {
    await db.sql.query(`CREATE TABLE public.cf (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.cf_old PARTITION OF public.cf FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`INSERT INTO public.cf SELECT '2024-03-01 01:00+00', g FROM generate_series(1, 100) g`);
    const cfg = writeProject(db.url, { 'c.yaml': archivePolicy('cf', 'public.cf') }, s3StorageConfig(s3, 'conflict'));
    // someone else's object sits where this archive's data goes
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'conflict/main/public/cf/cf_old/data.csv.gz', Body: 'not ours' }));
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r).filter((o) => o.includes('archive'))).toEqual(['done archive cf_old']);
    expect(await s3.getText('conflict/main/public/cf/cf_old/data.csv.gz')).toBe('not ours');
    const manifest = JSON.parse(await s3.getText('conflict/main/public/cf/cf_old/manifest.json')) as { dataObject: string; rows: number };
    expect(manifest.dataObject).not.toBe('data.csv.gz');
    expect(manifest.rows).toBe(100);
    const back = await runCli(['restore', '--config', cfg, '--policy', 'cf', '--partition', 'cf_old', '--as', 'public.cf_back']);
    expect(back.code).toBe(0);
    expect((await db.sql.query('SELECT count(*)::int AS n, sum(v)::int AS s FROM public.cf_back')).rows[0]).toEqual({ n: 100, s: 5050 });
  });

  it('with S3 unreachable, nothing is detached and pre-creation goes on', async () => {
    await db.sql.query(`CREATE TABLE public.down (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.down_old PARTITION OF public.down FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    const storage = s3StorageConfig(s3, 'x', 'http://127.0.0.1:1');
    const cfg = writeProject(db.url, { 'd.yaml': archivePolicy('down', 'public.down') }, storage);
    const r = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED\s+down: archive public\.down_old .* cannot reach http:\/\/127\.0\.0\.1:1/);
    expect(r.stdout).toMatch(/DONE\s+down: create public\.down_p20240310/);
    const attached = await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = 'public.down_old'::regclass`);
    expect(attached.rows[0].n).toBe(1);
  });

  it('an old archive under the same name never vouches for a new table with other rows; both archives are kept', async () => {
    await db.sql.query(`CREATE TABLE public.re (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.re_old PARTITION OF public.re FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`INSERT INTO public.re SELECT '2024-03-01 01:00+00', g FROM generate_series(1, 100) g`);
    const cfg = writeProject(db.url, { 're.yaml': archivePolicy('re', 'public.re') }, s3StorageConfig(s3, 'reuse'));
    expect(outcomesOf(await reconcileAt(cfg, NOW)).filter((o) => o.includes('archive'))).toEqual(['done archive re_old']);
    // the same partition name comes back with the same number of rows but other values
    await db.sql.query(`CREATE TABLE public.re_old PARTITION OF public.re FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`INSERT INTO public.re SELECT '2024-03-01 01:00+00', -g FROM generate_series(1, 100) g`);
    const first = JSON.parse(await s3.getText('reuse/main/public/re/re_old/manifest.json')) as { attempt: string; sha256: string };
    const r = await reconcileAt(cfg, NOW);
    expect(outcomesOf(r).filter((o) => o.includes('archive'))).toEqual(['done archive re_old']);
    // the new table's archive is its own attempt; the old one is still there, listed, and intact
    const latest = JSON.parse(await s3.getText('reuse/main/public/re/re_old/manifest.json')) as { attempt: string; sha256: string };
    expect(latest.attempt).not.toBe(first.attempt);
    expect((JSON.parse(await s3.getText(`reuse/main/public/re/re_old/${first.attempt}/manifest.json`)) as { sha256: string }).sha256).toBe(first.sha256);
    const list = JSON.parse((await runCli(['archive', 'list', '--config', cfg, '--output', 'json'])).stdout) as Array<{ partition: string }>;
    expect(list.filter((a) => a.partition === 're_old')).toHaveLength(2);
    const back = await runCli(['restore', '--config', cfg, '--policy', 're', '--partition', 're_old', '--as', 'public.re_back']);
    expect(back.code).toBe(0);
    expect((await db.sql.query('SELECT sum(v)::int AS s FROM public.re_back')).rows[0].s).toBe(-5050);
  });
});
