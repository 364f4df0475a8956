import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { policyDoc, rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { outcomesOf, reconcileAt, runCli } from '../helpers/partwarden.js';
import { s3StorageConfig, useS3 } from '../helpers/s3.js';
import { zstdAvailable } from '../../src/model/runtime.js';

/*
 * retention.archive.format: parquet end to end: an expired partition archived as one Parquet
 * object (verified, manifest last with the column ranges, then dropped), read in place by DuckDB,
 * and restored by partwarden with every value identical. S3 here is s3rver (MinIO in CI).
 */
const db = useDatabase();
const s3 = useS3();
const NOW = '2024-03-10T15:00:00Z';
const codec = zstdAvailable() ? 'zstd' : 'snappy';

const fingerprint = async (table: string) =>
  (await db.sql.query<{ n: number; h: string }>(`SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t.id)) AS h FROM ${table} t`)).rows[0];

describe('Parquet archives', () => {
  it('archives an expired partition as Parquet (verified, ranges in the manifest), DuckDB reads it in place, restore brings back identical rows', async () => {
    await db.sql.query(`CREATE TABLE public."Sales ""EU""" (id bigint NOT NULL, ts timestamptz NOT NULL, amount numeric(12, 2), who uuid, day date, note text, codes int8[], blob bytea, doc jsonb,
      total numeric GENERATED ALWAYS AS (amount * 2) STORED) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public."Sales ""EU""_old" PARTITION OF public."Sales ""EU""" FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public."Sales ""EU""_now" PARTITION OF public."Sales ""EU""" FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public."Sales ""EU""" (id, ts, amount, who, day, note, codes, blob, doc)
      SELECT g, '2024-03-01 00:00+00'::timestamptz + g * interval '1 second 1 microsecond', CASE WHEN g % 9 = 0 THEN NULL ELSE g * 1.25 - 999 END, md5(g::text)::uuid,
             '2024-03-01'::date - g, CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN E'tab\\t, "quote", \\\\ back\\nslash' ELSE 'ünï ' || g END,
             ARRAY[g, NULL, -g], decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'big', 12345678901234567890)
        FROM generate_series(1, 3000) g`);
    const before = await fingerprint('public."Sales ""EU""_old"');
    const sums = (await db.sql.query(`SELECT sum(amount)::text AS amount, min(ts) AS ts FROM public."Sales ""EU""_old"`)).rows[0];
    const policy = rangePolicy({ name: 'sales', table: 'public."Sales ""EU"""', column: 'ts', interval: '1 day', premake: 1,
      extra: `  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n    archive:\n      format: parquet\n      compression: ${codec}\n      rowGroupRows: 1000\n      verify: full\n` });
    const cfg = writeProject(db.url, { 's.yaml': policy }, s3StorageConfig(s3));

    const plan = await runCli(['plan', '--config', cfg, '--at', NOW]);
    expect(plan.stdout).toContain(`COPY (SELECT "id", "ts", "amount", "who", "day", "note", "codes", "blob", "doc" FROM "public"."Sales ""EU""_old") TO STDOUT (FORMAT binary);`);

    expect(outcomesOf(await reconcileAt(cfg, NOW)).filter((o) => !o.includes(' create '))).toEqual(['done archive Sales "EU"_old']);
    expect((await db.sql.query(`SELECT to_regclass('public."Sales ""EU""_old"') AS t`)).rows[0].t).toBeNull();
    const prefix = 'prod/main/public/Sales%20%22EU%22/Sales%20%22EU%22_old/';
    const manifest = JSON.parse(await s3.getText(`${prefix}manifest.json`)) as {
      rows: number; format: string; compression: string; dataObject: string; parquet: { codec: string; rowGroupRows: number; columns: Array<{ name: string; asText: boolean }>; stats: { rows: number; rowGroups: unknown[]; columns: Record<string, { min: unknown; max: unknown; nulls: number }> } };
    };
    expect(manifest).toMatchObject({ rows: 3000, format: 'parquet', compression: 'none', parquet: { codec, rowGroupRows: 1000 } });
    expect(manifest.dataObject).toMatch(/\/data\.parquet$/);
    expect(manifest.parquet.columns.map((c) => c.name)).toEqual(['id', 'ts', 'amount', 'who', 'day', 'note', 'codes', 'blob', 'doc']);
    expect(manifest.parquet.stats.rowGroups).toHaveLength(3);
    expect(manifest.parquet.stats.columns.id).toEqual({ min: '1', max: '3000', nulls: 0 });
    expect(manifest.parquet.stats.columns.amount!.nulls).toBe(333);

    // in place, as an analyst would: DuckDB on the object itself
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pw-parquet-archive-')), 'data.parquet');
    writeFileSync(file, await s3.getBytes(prefix + manifest.dataObject));
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const [duck] = (await (await con.run(`SELECT count(*)::INTEGER AS n, sum(amount)::VARCHAR AS amount, count(DISTINCT who)::INTEGER AS who FROM read_parquet('${file}')`)).getRowObjectsJS()) as Array<{ n: number; amount: string; who: number }>;
    con.closeSync();
    expect(duck).toEqual({ n: 3000, amount: sums.amount, who: 3000 });
    const query = await runCli(['archive', 'query', '--config', cfg, '--policy', 'sales', '--engine', 'duckdb']);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toContain(`read_parquet(ARRAY[\n    's3://${s3.bucket}/${prefix}${manifest.dataObject}'\n  ], union_by_name = true)`);

    const restored = await runCli(['restore', '--config', cfg, '--policy', 'sales', '--partition', 'Sales "EU"_old', '--attach']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('restored 3000 rows into public.Sales "EU"_old (sha256 verified), attached');
    expect(await fingerprint('public."Sales ""EU""_old"')).toEqual(before);
  }, 120_000);

  it('layout: hive publishes each verified file under <schema>.<table>/ts_from=<lower bound>/part-0.parquet: one DuckDB glob reads the whole archived history, restore reads the published file', async () => {
    await db.sql.query(`CREATE TABLE public.visits (id bigint NOT NULL, ts timestamptz NOT NULL, v int, note text) PARTITION BY RANGE (ts)`);
    for (const d of ['01', '02', '03']) await db.sql.query(`CREATE TABLE public.visits_${d} PARTITION OF public.visits FOR VALUES FROM ('2024-03-${d}') TO ('2024-03-${String(Number(d) + 1).padStart(2, '0')}')`);
    await db.sql.query(`CREATE TABLE public.visits_now PARTITION OF public.visits FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public.visits SELECT g, '2024-03-01 00:00+00'::timestamptz + g * interval '37 seconds', g % 97, 'n' || g FROM generate_series(1, 6000) g`);
    const pg = (await db.sql.query<{ n: number; s: string; lo: Date; hi: Date; day2: number }>(`SELECT count(*)::int AS n, sum(v)::text AS s, min(ts) AS lo, max(ts) AS hi,
      count(*) FILTER (WHERE ts >= '2024-03-02' AND ts < '2024-03-03')::int AS day2 FROM public.visits WHERE ts < '2024-03-04'`)).rows[0]!;
    const before = await fingerprint('public.visits_02');
    const policy = rangePolicy({ name: 'visits', table: 'public.visits', column: 'ts', interval: '1 day', premake: 1,
      extra: `  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n    archive:\n      format: parquet\n      compression: ${codec}\n      layout: hive\n      verify: full\n` });
    const cfg = writeProject(db.url, { 'v.yaml': policy }, s3StorageConfig(s3, 'lake'));

    const plan = await runCli(['plan', '--config', cfg, '--at', NOW]);
    expect(plan.stdout).toContain(`published as main/public.visits/ts_from=2024-03-02%2000%3A00%3A00%2B00/part-0.parquet`);
    expect(outcomesOf(await reconcileAt(cfg, NOW)).filter((o) => !o.includes(' create ')).sort()).toEqual(['done archive visits_01', 'done archive visits_02', 'done archive visits_03']);

    // exactly one file per partition under the table's folder, and no attempt object left anywhere
    const published = await s3.list('lake/main/public.visits/');
    expect(published).toEqual(['01', '02', '03'].map((d) => `lake/main/public.visits/ts_from=2024-03-${d}%2000%3A00%3A00%2B00/part-0.parquet`));
    expect((await s3.list('lake/main/public/visits/')).filter((k) => !k.endsWith('manifest.json'))).toEqual([]);
    const manifest = JSON.parse(await s3.getText('lake/main/public/visits/visits_02/manifest.json')) as { publishedObject: string; rows: number };
    expect(manifest.publishedObject).toBe('main/public.visits/ts_from=2024-03-02%2000%3A00%3A00%2B00/part-0.parquet');

    // the bucket as a query engine lists it (mirrored to disk: DuckDB's S3 extension is not installed offline)
    const lake = mkdtempSync(path.join(os.tmpdir(), 'pw-hive-'));
    for (const key of published) {
      const file = path.join(lake, ...key.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, await s3.getBytes(key));
    }
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const glob = `read_parquet('${lake}/lake/main/public.visits/*/*.parquet', hive_partitioning = true)`;
    const [duck] = (await (await con.run(`SELECT count(*)::INTEGER AS n, sum(v)::VARCHAR AS s, min(ts) AS lo, max(ts) AS hi, count(DISTINCT ts_from)::INTEGER AS files,
      count(*) FILTER (WHERE ts_from = '2024-03-02 00:00:00+00')::INTEGER AS day2 FROM ${glob}`)).getRowObjectsJS()) as Array<{ n: number; s: string; lo: Date; hi: Date; files: number; day2: number }>;
    expect(duck).toEqual({ n: pg.n, s: pg.s, lo: pg.lo, hi: pg.hi, files: 3, day2: pg.day2 });

    // archive query: ready-to-run SQL with the config's S3 settings, never a credential
    const query = await runCli(['archive', 'query', '--config', cfg, '--policy', 'visits', '--engine', 'duckdb']);
    expect(query.code, query.stderr).toBe(0);
    const endpoint = new URL(s3.endpoint).host;
    expect(query.stdout).toContain(`CREATE OR REPLACE SECRET partwarden_archive (TYPE s3, PROVIDER credential_chain, REGION 'us-east-1', ENDPOINT '${endpoint}', USE_SSL false, URL_STYLE 'path', SCOPE 's3://${s3.bucket}/lake/');`);
    expect(query.stdout).toContain(`read_parquet('s3://${s3.bucket}/lake/main/public.visits/*/*.parquet', hive_partitioning = true, union_by_name = true)`);
    expect(query.stdout).not.toContain(process.env.AWS_SECRET_ACCESS_KEY!);
    // its view and query, run by DuckDB on the mirrored bucket
    const runnable = query.stdout.split('\n').filter((l) => /^(CREATE OR REPLACE VIEW|SELECT)/.test(l)).join('\n').replaceAll(`s3://${s3.bucket}/`, `${lake}/`);
    const months = (await (await con.run(runnable)).getRowObjectsJS()) as Array<{ month: Date; rows: bigint }>;
    con.closeSync();
    expect(months.map((m) => Number(m.rows))).toEqual([pg.n]);
    const all = await runCli(['archive', 'query', '--config', cfg, '--policy', 'visits']);
    expect(all.stdout).toContain(`SELECT duckdb.create_simple_secret(type := 'S3', key_id := '<access key id>', secret := '<secret access key>', region := 'us-east-1', url_style := 'path', endpoint := '${endpoint}', use_ssl := 'false');`);
    expect(all.stdout).toContain(`r['ts']::timestamp with time zone AS "ts"`);
    expect(all.stdout).toMatch(/CREATE FOREIGN TABLE "public"\."visits_archive" \(\n  "id" bigint,\n  "ts" timestamp with time zone,\n  "v" integer,\n  "note" text\n\) SERVER partwarden_archive OPTIONS \(filename 's3:\/\/[^ ]+ s3:\/\/[^ ]+ s3:\/\/[^ ]+'\);/);

    const restored = await runCli(['restore', '--config', cfg, '--policy', 'visits', '--partition', 'visits_02', '--attach']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await fingerprint('public.visits_02')).toEqual(before);
  }, 120_000);

  it('layout: hive publishes a file larger than one copy request in parts, byte for byte (UploadPartCopy on MinIO; streamed through where a store has none, as s3rver)', async () => {
    await db.sql.query(`CREATE TABLE public.blobs (id int NOT NULL, ts timestamptz NOT NULL, b bytea) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.blobs_old PARTITION OF public.blobs FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.blobs_now PARTITION OF public.blobs FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    // 12 values of 1 MiB that no codec can shrink: a published file of about 12 MiB, copied in 5 MiB parts
    await db.sql.query(`INSERT INTO public.blobs SELECT r, '2024-03-01 01:00+00', (SELECT decode(string_agg(md5(random()::text || r || g), ''), 'hex') FROM generate_series(1, 65536) g)
      FROM generate_series(1, 12) r`);
    const before = await fingerprint('public.blobs_old');
    const policy = rangePolicy({ name: 'blobs', table: 'public.blobs', column: 'ts', interval: '1 day', premake: 1,
      extra: `  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n    archive:\n      format: parquet\n      compression: ${codec}\n      layout: hive\n      hiveColumn: day\n` });
    const cfg = writeProject(db.url, { 'b.yaml': policy }, s3StorageConfig(s3, 'parts'));
    process.env.PARTWARDEN_S3_COPY_PART_MB = '5';
    try {
      const r = await reconcileAt(cfg, NOW);
      expect(outcomesOf(r).filter((o) => !o.includes(' create '))).toEqual(['done archive blobs_old']);
    } finally {
      delete process.env.PARTWARDEN_S3_COPY_PART_MB;
    }
    const manifest = JSON.parse(await s3.getText('parts/main/public/blobs/blobs_old/manifest.json')) as { publishedObject: string; bytes: number; sha256: string };
    expect(manifest.publishedObject).toBe('main/public.blobs/day=2024-03-01%2000%3A00%3A00%2B00/part-0.parquet');
    const file = await s3.getBytes(`parts/${manifest.publishedObject}`);
    expect(manifest.bytes).toBeGreaterThan(11 << 20);
    expect(file.length).toBe(manifest.bytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(manifest.sha256);
    const restored = await runCli(['restore', '--config', cfg, '--policy', 'blobs', '--partition', 'blobs_old']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await fingerprint('public.blobs_old')).toEqual(before);
  }, 120_000);

  it('list onRemoved: archive writes Parquet too: the undeclared partition verified, dropped, restored identical', async () => {
    await db.sql.query(`CREATE TABLE public.tenants (id int, tier text, note text, joined date) PARTITION BY LIST (tier)`);
    await db.sql.query(`CREATE TABLE public.tenants_gold PARTITION OF public.tenants FOR VALUES IN ('gold')`);
    await db.sql.query(`CREATE TABLE public.tenants_legacy PARTITION OF public.tenants FOR VALUES IN ('legacy', 'old')`);
    await db.sql.query(`INSERT INTO public.tenants SELECT g, CASE WHEN g % 2 = 0 THEN 'legacy' WHEN g % 3 = 0 THEN 'old' ELSE 'gold' END, CASE WHEN g % 5 = 0 THEN NULL ELSE E'line\\nwith, "quotes"' END, '2020-01-01'::date + g FROM generate_series(1, 900) g`);
    const before = await fingerprint('public.tenants_legacy');
    const cfg = writeProject(db.url, { 't.yaml': policyDoc('tenants', 'public.tenants',
      `  strategy: list\n  list:\n    column: tier\n    onRemoved: archive\n    partitions:\n      gold: [gold]\n  retention:\n    allowMassRemoval: true\n    archive:\n      format: parquet\n      compression: ${codec}\n      verify: full\n`) }, s3StorageConfig(s3, 'lists'));
    expect(outcomesOf(await reconcileAt(cfg, NOW))).toEqual(['done archive tenants_legacy']);
    const manifest = JSON.parse(await s3.getText('lists/main/public/tenants/tenants_legacy/manifest.json')) as { rows: number; format: string; bounds: string };
    expect(manifest).toMatchObject({ rows: before!.n, format: 'parquet', bounds: "FOR VALUES IN ('legacy', 'old')" });
    const back = await runCli(['restore', '--config', cfg, '--policy', 'tenants', '--partition', 'tenants_legacy', '--attach']);
    expect(back.code, back.stderr).toBe(0);
    expect(await fingerprint('public.tenants_legacy')).toEqual(before);
  }, 120_000);

  it('a sub-partitioned child as one Parquet file (read through its sub-partitions), layout hive on file storage: DuckDB globs the folder, restore rebuilds both levels', async () => {
    await db.sql.query(`CREATE TABLE public.metrics (tenant_id int NOT NULL, ts timestamptz NOT NULL, v numeric(10, 3), PRIMARY KEY (tenant_id, ts)) PARTITION BY RANGE (ts)`);
    const root = mkdtempSync(path.join(os.tmpdir(), 'pw-parquet-sub-'));
    const cfg = writeProject(db.url, { 'm.yaml': rangePolicy({ name: 'metrics', table: 'public.metrics', column: 'ts', interval: '1 day', premake: 1,
      extra: `  subpartition:\n    strategy: hash\n    column: tenant_id\n    modulus: 3\n  retention:\n    allowMassRemoval: true\n    keep: 1 day\n    action: archive\n    archive:\n      format: parquet\n      compression: ${codec}\n      layout: hive\n      hiveColumn: day\n      verify: full\n` }) },
      `storage:\n  url: file://${root}\n`);
    expect(outcomesOf(await reconcileAt(cfg, NOW))).toEqual(['done create metrics_p20240310', 'done create metrics_p20240311']);
    await db.sql.query(`INSERT INTO public.metrics SELECT g % 7, '2024-03-10 00:00+00'::timestamptz + g * interval '1 minute', g / 3.0 FROM generate_series(0, 1439) g`);
    const sum = (await db.sql.query<{ s: string }>(`SELECT sum(v)::text AS s FROM public.metrics_p20240310`)).rows[0]!.s;
    const digest = async () => (await db.sql.query(`SELECT md5(string_agg(tenant_id || ',' || ts || ',' || v, ';' ORDER BY tenant_id, ts)) AS h FROM public.metrics WHERE ts < '2024-03-11 00:00+00'`)).rows[0].h as string;
    const before = await digest();
    expect(outcomesOf(await reconcileAt(cfg, '2024-03-12T15:00:00Z'))).toEqual(['done create metrics_p20240312', 'done create metrics_p20240313', 'done archive metrics_p20240310']);
    expect((await db.sql.query(`SELECT to_regclass('public.metrics_p20240310_h0') AS t`)).rows[0].t).toBeNull();

    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const [duck] = (await (await con.run(`SELECT count(*)::INTEGER AS n, sum(v)::VARCHAR AS s, min(day)::VARCHAR AS day
      FROM read_parquet('${root}/main/public.metrics/*/*.parquet', hive_partitioning = true)`)).getRowObjectsJS()) as Array<{ n: number; s: string; day: string }>;
    con.closeSync();
    expect(duck).toEqual({ n: 1440, s: sum, day: '2024-03-10 00:00:00+00' });

    const restored = await runCli(['restore', '--config', cfg, '--policy', 'metrics', '--partition', 'metrics_p20240310', '--attach']);
    expect(restored.code, restored.stderr).toBe(0);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.metrics_p20240310'::regclass`)).rows[0].n).toBe(3);
    expect(await digest()).toBe(before);
  }, 120_000);
});
