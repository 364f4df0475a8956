import { createHash } from 'node:crypto';
import { existsSync, readFileSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';
import { zstdAvailable } from '../../src/model/runtime.js';

const db = useDatabase();
const NOW = '2024-03-10T15:00:00Z';

/** public.<t> with one expired partition of 20,000 rows (<t>_old) and a current one; its rows' count and sum. */
async function expiredTable(t: string): Promise<{ n: number; s: string }> {
  await db.sql.query(`CREATE TABLE public.${t} (ts timestamptz NOT NULL, v int, s text) PARTITION BY RANGE (ts)`);
  await db.sql.query(`CREATE TABLE public.${t}_old PARTITION OF public.${t} FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
  await db.sql.query(`CREATE TABLE public.${t}_now PARTITION OF public.${t} FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
  await db.sql.query(`INSERT INTO public.${t} SELECT '2024-03-01 00:00+00'::timestamptz + g * interval '1 second', g, repeat('x', g % 50) FROM generate_series(1, 20000) g`);
  return (await db.sql.query<{ n: number; s: string }>(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.${t}_old`)).rows[0]!;
}

/**
 * kill -9 at every step boundary of the archive lifecycle. Afterwards, for the expired partition,
 * exactly one of these holds: the table still exists with all its rows, or a manifest exists and
 * the archive restores to the same rows. And the next run always finishes the job.
 */
// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('archive: kill -9 at every step, then resume', () => {
  const points = ['after:detach', 'mid:export', 'before-journal:export', 'after:export', 'after:verify', 'after:manifest', 'before-journal:drop'];
  for (const [i, point] of points.entries()) {
    it(`killed at ${point}: no row lost, the next run completes`, async () => {
      const t = `kc${i}`;
      const expected = await expiredTable(t);
      const root = mkdtempSync(path.join(os.tmpdir(), 'pw-archive-'));
      const cfg = writeProject(
        db.url,
        { 'k.yaml': rangePolicy({ name: t, table: `public.${t}`, column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n' }) },
        `storage:\n  url: file://${root}\n`,
      );
      const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: point });
      expect(crashed.signal).toBe('SIGKILL');

      const dir = path.join(root, 'main', 'public', t, `${t}_old`);
      const tableLeft = (await db.sql.query(`SELECT to_regclass($1) AS t`, [`public.${t}_old`])).rows[0].t !== null;
      if (tableLeft) {
        const left = (await db.sql.query(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.${t}_old`)).rows[0];
        expect(left).toEqual(expected);
      } else {
        expect(existsSync(path.join(dir, 'manifest.json'))).toBe(true);
      }

      const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
      expect(resumed.stdout).toMatch(/ 0 failed/);
      expect(resumed.code).toBe(0);
      expect((await db.sql.query(`SELECT to_regclass($1) AS t`, [`public.${t}_old`])).rows[0].t).toBeNull();
      // the latest manifest names its attempt's data object; no temporary file is left anywhere
      const latest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { attempt: string; dataObject: string };
      expect(latest.dataObject).toBe(`${latest.attempt}/data.csv.gz`);
      expect(readdirSync(path.join(dir, latest.attempt)).sort()).toEqual(['data.csv.gz', 'manifest.json']);
      expect(readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes('.tmp-'))).toEqual([]);

      const restored = await runCli(['restore', '--config', cfg, '--policy', t, '--partition', `${t}_old`, '--as', `public.${t}_back`]);
      expect(restored.code).toBe(0);
      expect((await db.sql.query(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.${t}_back`)).rows[0]).toEqual(expected);
    });
  }
});

describe('archive as Parquet with layout: hive: kill -9 at every step, then resume', () => {
  const codec = zstdAvailable() ? 'zstd' : 'snappy';
  const points = ['mid:export', 'after:verify', 'mid:manifest:published', 'mid:manifest:committed', 'after:manifest', 'before-journal:drop'];
  for (const [i, point] of points.entries()) {
    it(`killed at ${point}: no row lost, one published file, the next run completes`, async () => {
      const t = `kh${i}`;
      const expected = await expiredTable(t);
      const root = mkdtempSync(path.join(os.tmpdir(), 'pw-archive-hive-'));
      const cfg = writeProject(
        db.url,
        { 'k.yaml': rangePolicy({ name: t, table: `public.${t}`, column: 'ts', interval: '1 day', premake: 1,
          extra: `  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n    archive:\n      format: parquet\n      compression: ${codec}\n      layout: hive\n` }) },
        `storage:\n  url: file://${root}\n`,
      );
      const crashed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: point });
      expect(crashed.signal).toBe('SIGKILL');
      const tableLeft = (await db.sql.query(`SELECT to_regclass($1) AS t`, [`public.${t}_old`])).rows[0].t !== null;
      if (tableLeft) expect((await db.sql.query(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.${t}_old`)).rows[0]).toEqual(expected);

      const resumed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
      expect(resumed.stdout).toMatch(/ 0 failed/);
      expect(resumed.code).toBe(0);
      expect((await db.sql.query(`SELECT to_regclass($1) AS t`, [`public.${t}_old`])).rows[0].t).toBeNull();
      // one published file, the one the latest manifest names, byte for byte; its attempt's own object is gone
      const hive = path.join(root, 'main', `public.${t}`);
      expect(readdirSync(hive, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'))).toEqual(['ts_from=2024-03-01%2000%3A00%3A00%2B00/part-0.parquet']);
      const dir = path.join(root, 'main', 'public', t, `${t}_old`);
      const latest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { attempt: string; publishedObject: string; sha256: string };
      expect(createHash('sha256').update(readFileSync(path.join(root, latest.publishedObject))).digest('hex')).toBe(latest.sha256);
      expect(readdirSync(path.join(dir, latest.attempt))).toEqual(['manifest.json']);

      const restored = await runCli(['restore', '--config', cfg, '--policy', t, '--partition', `${t}_old`, '--as', `public.${t}_back`]);
      expect(restored.code, restored.stderr).toBe(0);
      expect((await db.sql.query(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.${t}_back`)).rows[0]).toEqual(expected);
    });
  }
});
