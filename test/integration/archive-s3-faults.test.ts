import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { useFaultProxy } from '../helpers/fault-proxy.js';
import { reconcileAt, runCli, startCli } from '../helpers/partwarden.js';
import { s3StorageConfig, useS3 } from '../helpers/s3.js';

const db = useDatabase();
const s3 = useS3();
const proxy = useFaultProxy(() => s3.endpoint);
const NOW = '2024-03-10T15:00:00Z';
process.env.PARTWARDEN_S3_MIN_PART_MB = '5'; // multipart from 5 MiB, so a few MB of data make several parts

async function setup(t: string, rowCount = 200000): Promise<string> {
  await db.sql.query(`CREATE TABLE public.${t} (ts timestamptz NOT NULL, h text) PARTITION BY RANGE (ts)`);
  await db.sql.query(`CREATE TABLE public.${t}_old PARTITION OF public.${t} FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
  await db.sql.query(`CREATE TABLE public.${t}_now PARTITION OF public.${t} FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
  // ~14 MB of barely compressible text: about 8 MB gzipped, two parts
  await db.sql.query(`INSERT INTO public.${t} SELECT '2024-03-01 00:00+00'::timestamptz + g * (interval '86399 seconds' / ${rowCount}), md5(g::text) || md5((g * 7)::text) FROM generate_series(1, ${rowCount}) g`);
  return writeProject(
    db.url,
    { [`${t}.yaml`]: rangePolicy({ name: t, table: `public.${t}`, column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n    archive:\n      verify: full\n' }) },
    s3StorageConfig(s3, t, proxy.endpoint),
  );
}

const archiveOutcome = async (cfg: string) => (await reconcileAt(cfg, NOW))[0]!.outcomes.find((o) => o.action.kind === 'archive')!;
const exists = async (t: string) => (await db.sql.query('SELECT to_regclass($1) AS t', [t])).rows[0].t !== null;
const rows = async (t: string) => (await db.sql.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n as number;

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
/** The data keys the exports of a partition wrote or started (journal.storage_key): each attempt has its own. */
const exportKeys = async (partition: string) =>
  (await db.sql.query<{ k: string }>(`SELECT DISTINCT storage_key AS k FROM partwarden.journal WHERE partition_name = $1 AND step = 'export'`, [partition])).rows.map((r) => r.k);

describe('archive with S3 faults (loopback fault proxy in front of s3rver)', () => {
  it('T-S1: a 500 on one UploadPart is retried by the SDK; the archive completes and verifies', async () => {
    const cfg = await setup('s1');
    proxy.rules = [{ method: 'PUT', url: /partNumber=2/, times: 1, fault: { kind: 'status', status: 500 } }];
    const o = await archiveOutcome(cfg);
    expect(o.status).toBe('done');
    expect(proxy.log.some((l) => /partNumber=2.* -> status/.test(l))).toBe(true);
    expect(await exists('public.s1_old')).toBe(false);
  });

  it('T-S2: UploadPart failing every time: no manifest, nothing dropped; backs off; completes once S3 recovers', async () => {
    const cfg = await setup('s2');
    proxy.rules = [{ method: 'PUT', url: /partNumber=2/, times: Infinity, fault: { kind: 'status', status: 503, body: '<Error><Code>SlowDown</Code><Message>injected</Message></Error>' } }];
    const o = await archiveOutcome(cfg);
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/upload of .*data\.csv\.gz .* failed/);
    expect(await rows('public.s2_old')).toBe(200000);
    // the failed multipart upload was aborted (on stores that can list uploads)
    if (s3.listsUploads) for (const key of await exportKeys('s2_old')) expect(await s3.openUploads(`s2/${key}`)).toBe(0);
    // the next run soon after backs off instead of hammering the store
    const again = await archiveOutcome(cfg);
    expect(again.status).toBe('skipped');
    expect(again.error).toMatch(/backing off after 1 failed attempt/);
    // S3 recovers; once the backoff has passed, the archive completes
    proxy.rules = [];
    await db.sql.query(`UPDATE partwarden.journal SET finished_at = finished_at - interval '2 hours' WHERE status = 'failed' AND partition_name = 's2_old'`);
    const last = await archiveOutcome(cfg);
    expect(last.error).toBeUndefined();
    expect(last.status).toBe('done');
    expect(await exists('public.s2_old')).toBe(false);
  });

  it('T-S3: CompleteMultipartUpload answering 200 with an <Error> body is a failure, not a success', async () => {
    const cfg = await setup('s3');
    proxy.rules = [{ method: 'POST', url: /uploadId=/, times: Infinity, fault: { kind: 'ok-with-error' } }];
    const o = await archiveOutcome(cfg);
    expect(o.status).toBe('failed');
    expect(await rows('public.s3_old')).toBe(200000);
    proxy.rules = [];
  });

  it('connection resets on a small upload are retried', async () => {
    await db.sql.query(`CREATE TABLE public.rs (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.rs_old PARTITION OF public.rs FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`INSERT INTO public.rs SELECT '2024-03-01 01:00+00', g FROM generate_series(1, 1000) g`);
    const cfg = writeProject(
      db.url,
      { 'rs.yaml': rangePolicy({ name: 'rs', table: 'public.rs', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n' }) },
      s3StorageConfig(s3, 'rs', proxy.endpoint),
    );
    proxy.rules = [{ method: 'PUT', url: /data\.csv\.gz/, times: 2, fault: { kind: 'reset' } }];
    const o = await archiveOutcome(cfg);
    expect(o.status).toBe('done');
    expect(proxy.log.filter((l) => l.includes('-> reset')).length).toBe(2);
  });

  it('T-K3/T-S12: killed mid-upload; the next run aborts the orphaned multipart upload, re-exports and completes', async () => {
    const cfg = await setup('k3');
    proxy.rules = [];
    // the second part never gets an answer; the process is killed while it waits
    proxy.rules = [{ method: 'PUT', url: /partNumber=2/, times: 1, fault: { kind: 'hang' } }];
    const run = startCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    while (!proxy.log.some((l) => /partNumber=2.* -> hang/.test(l))) await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGKILL');
    const crashed = await run.done;
    expect(crashed.signal).toBe('SIGKILL');
    proxy.rules = [];
    expect(await rows('public.k3_old')).toBe(200000);
    // the journal names the object the killed export was writing (its attempt's key)
    const key = (await db.sql.query<{ k: string }>(`SELECT storage_key AS k FROM partwarden.journal WHERE partition_name = 'k3_old' AND step = 'export'`)).rows[0]!.k;
    expect(key).toMatch(/^main\/public\/k3\/k3_old\/\d{8}T\d{6}Z-[0-9a-f]{8}\/data\.csv\.gz$/);
    if (s3.listsUploads) expect(await s3.openUploads(`k3/${key}`)).toBe(1); // the multipart upload was under way when the process died
    const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(resumed.code).toBe(0);
    expect(await exists('public.k3_old')).toBe(false);
    if (s3.listsUploads) expect(await s3.openUploads(`k3/${key}`)).toBe(0);
  });

  it('the detached partition briefly locked by another session when the export starts: the lock is asked for again, the archive completes', async () => {
    const cfg = await setup('lk', 2000);
    // a first attempt fails at the store, after the detach: the next one starts with the export
    proxy.rules = [{ method: 'PUT', url: /data\.csv\.gz/, times: Infinity, fault: { kind: 'status', status: 403, body: '<Error><Code>AccessDenied</Code><Message>injected</Message></Error>' } }];
    expect((await archiveOutcome(cfg)).status).toBe('failed');
    proxy.rules = [];
    await db.sql.query(`UPDATE partwarden.journal SET finished_at = finished_at - interval '2 hours' WHERE status = 'failed' AND partition_name = 'lk_old'`);
    // a writer holds the detached table for longer than one lock_timeout (300 ms), less than the retries
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE public.lk_old IN ROW EXCLUSIVE MODE');
    const released = new Promise((r) => setTimeout(r, 500)).then(() => holder.query('COMMIT')).finally(() => holder.end());
    const o = await archiveOutcome(cfg);
    await released;
    expect(o.error).toBeUndefined();
    expect(o.status).toBe('done');
    expect(await exists('public.lk_old')).toBe(false);
  });

  it('T-D2: the export backend is terminated mid-COPY: the upload is aborted, nothing dropped, the next run completes', async () => {
    // ~36 MB gzipped: more than the upload buffers (3 parts in flight), so with part 1 held the
    // COPY is blocked in the middle when its backend is terminated
    const cfg = await setup('d2', 900000);
    proxy.rules = [{ method: 'PUT', url: /partNumber=1/, times: 1, fault: { kind: 'hang' } }];
    const run = reconcileAt(cfg, NOW);
    while (!proxy.log.some((l) => /d2_old.*partNumber=1.* -> hang/.test(l))) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // let the pipeline fill up and block
    const killed = await db.sql.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'partwarden-export' AND datname = current_database()`);
    expect(killed.rows.length).toBe(1);
    const o = (await run)[0]!.outcomes.find((x) => x.action.kind === 'archive')!;
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/terminating connection|Connection terminated|connection ended/i);
    expect(await rows('public.d2_old')).toBe(900000);
    proxy.rules = [];
    await db.sql.query(`UPDATE partwarden.journal SET finished_at = finished_at - interval '2 hours' WHERE status = 'failed' AND partition_name = 'd2_old'`);
    const retry = await archiveOutcome(cfg);
    expect(retry.error).toBeUndefined();
    expect(retry.status).toBe('done');
    expect(await exists('public.d2_old')).toBe(false);
    // the upload left open by the held part is aborted by the retry at the latest
    if (s3.listsUploads) for (const key of await exportKeys('d2_old')) expect(await s3.openUploads(`d2/${key}`)).toBe(0);
  });
});
