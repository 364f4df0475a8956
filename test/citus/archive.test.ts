import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCitusDatabase } from '../helpers/citus.js';
import { rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

/*
 * Archive and restore of a distributed partition on a real Citus cluster: exported through the
 * coordinator (Citus streams CSV shard by shard), verified and counted as on one server, and
 * restored distributed and colocated with the parent before ATTACH.
 */
const fingerprint = `SELECT count(*)::int AS n, sum(hashtext(coalesce(note, '<null>') || at::text || tenant_id))::text AS h FROM public.events WHERE at < '2025-02-01'`;

const db = useCitusDatabase('archive', async (sql) => {
  await sql.query(`CREATE TABLE public.events (tenant_id int NOT NULL, at timestamptz NOT NULL, note text) PARTITION BY RANGE (at)`);
  await sql.query(`SELECT create_distributed_table('public.events', 'tenant_id', shard_count := 4)`);
  await sql.query(`CREATE TABLE public.events_p202501 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')`);
  // values COPY must quote: quotes, commas, newlines, unicode, NULLs and empty strings
  await sql.query(`INSERT INTO public.events SELECT g % 23, '2025-01-02'::timestamptz + g * interval '1 minute',
    CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'say "hi", then' || E'\\n' || 'go' WHEN 3 THEN 'ünïcode ' || g ELSE 'plain ' || g END
    FROM generate_series(1, 3000) g`);
});

const archivePolicy = (format: string) => rangePolicy({
  name: 'events', table: 'public.events', column: 'at', interval: '1 month', premake: 1,
  extra: `  retention:\n    keep: 3 months\n    action: archive\n    allowMassRemoval: true\n    archive:\n      format: ${format}\n      verify: full\n`,
});

describe.runIf(process.env.PW_CITUS === '1')('Citus: archive and restore of a distributed partition', () => {
  it('binary format is refused before anything is detached (its rows come in no fixed order on Citus)', async () => {
    const store = mkdtempSync(path.join(os.tmpdir(), 'pw-citus-archive-'));
    const config = writeProject(db.url, { 'e.yaml': archivePolicy('binary') }, `storage:\n  url: file://${store}\n`);
    const v = await runCli(['validate', '--db', '--config', config]);
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toContain('public.events is a distributed Citus table: Citus exports a binary COPY (what binary and parquet archives read) as a SELECT whose rows arrive from the shards in no fixed order');
    expect((await runCli(['apply', '--config', config])).code).not.toBe(0);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = 'public.events_p202501'::regclass`)).rows[0].n).toBe(1);
  }, 60_000);

  it('archives through the coordinator with the right row count, drops only after the proof, and restores distributed and colocated before ATTACH', async () => {
    const before = (await db.sql.query(fingerprint)).rows[0];
    expect(before.n).toBe(3000);
    const store = mkdtempSync(path.join(os.tmpdir(), 'pw-citus-archive-'));
    const config = writeProject(db.url, { 'e.yaml': archivePolicy('csv') }, `storage:\n  url: file://${store}\n`);
    const applied = await runCli(['apply', '--config', config]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.stdout).toMatch(/DONE\s+events: archive public\.events_p202501/);
    expect((await db.sql.query(`SELECT to_regclass('public.events_p202501') AS r`)).rows[0].r).toBeNull();
    const manifest = JSON.parse(readFileSync(path.join(store, 'main/public/events/events_p202501/manifest.json'), 'utf8')) as { rows: number };
    expect(manifest.rows).toBe(3000); // Citus' own COPY count says 3001: it counts the header line

    const restored = await runCli(['restore', '--config', config, '--policy', 'events', '--partition', 'events_p202501', '--attach']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('restored 3000 rows into public.events_p202501 (sha256 verified), attached');
    expect((await db.sql.query(fingerprint)).rows[0]).toEqual(before);
    const dist = await db.sql.query<{ rel: string; colocationid: number; shards: number }>(
      `SELECT logicalrelid::text AS rel, colocationid, (SELECT count(*)::int FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) AS shards
         FROM pg_dist_partition p WHERE logicalrelid IN ('public.events'::regclass, 'public.events_p202501'::regclass) ORDER BY 1`);
    expect(dist.rows).toHaveLength(2);
    expect(dist.rows[0]!.colocationid).toBe(dist.rows[1]!.colocationid);
    expect(dist.rows.map((r) => r.shards)).toEqual([4, 4]);
    // its rows are in the shards, not on the coordinator's shell
    expect((await db.sql.query<{ b: string }>(`SELECT pg_relation_size('public.events_p202501')::text AS b`)).rows[0]!.b).toBe('0');

    // a copy to read elsewhere, not attached: distributed too (it joins its colocated siblings locally)
    const copy = await runCli(['restore', '--config', config, '--policy', 'events', '--partition', 'events_p202501', '--as', 'public.events_jan']);
    expect(copy.code, copy.stderr).toBe(0);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM public.events_jan`)).rows[0].n).toBe(3000);
    expect((await db.sql.query(`SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'public.events_jan'::regclass`)).rows[0].colocationid).toBe(dist.rows[0]!.colocationid);
  }, 120_000);
});
