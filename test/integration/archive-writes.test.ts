import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { runCli, startCli } from '../helpers/partwarden.js';

const db = useDatabase();
const NOW = '2024-03-10T15:00:00Z';

const fileStorage = () => `storage:\n  url: file://${mkdtempSync(path.join(os.tmpdir(), 'pw-archive-'))}\n`;
const archivePolicy = (name: string) =>
  rangePolicy({ name, table: `public.${name}`, column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n' });

/** Waits until `child` logged a line containing `text` on stderr. */
async function logged(child: ReturnType<typeof startCli>['child'], text: string): Promise<void> {
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 400 && !err.includes(text); i++) await new Promise((r) => setTimeout(r, 25));
  if (!err.includes(text)) throw new Error(`never logged ${text}: ${err}`);
}

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('what happens to a detached table between its export and its drop', () => {
  it('an UPDATE, a DELETE and an INSERT committed after the export (same row count) are not dropped with it: archived again, then dropped', async () => {
    await db.sql.query(`CREATE TABLE public.wa (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.wa_old PARTITION OF public.wa FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`INSERT INTO public.wa SELECT '2024-03-01 01:00+00', g FROM generate_series(1, 1000) g`);
    const cfg = writeProject(db.url, { 'wa.yaml': archivePolicy('wa') }, fileStorage());
    const run = startCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_PAUSE: 'before:drop:2500' });
    await logged(run.child, '"pausepoint"');
    // the export is done and its manifest written; someone writes to the detached table directly
    await db.sql.query(`UPDATE public.wa_old SET v = -v WHERE v = 1`);
    await db.sql.query(`DELETE FROM public.wa_old WHERE v = 2`);
    await db.sql.query(`INSERT INTO public.wa_old VALUES ('2024-03-01 02:00+00', 5000)`);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect((await db.sql.query(`SELECT to_regclass('public.wa_old') AS t`)).rows[0].t).toBeNull();
    const steps = await db.sql.query<{ s: string }>(`SELECT step || ' ' || status AS s FROM partwarden.journal WHERE partition_name = 'wa_old' ORDER BY id`);
    expect(steps.rows.map((x) => x.s)).toEqual(['detach done', 'export done', 'verify done', 'manifest done', 'drop failed', 'export done', 'verify done', 'manifest done', 'drop done']);
    const why = await db.sql.query<{ error: string }>(`SELECT error FROM partwarden.journal WHERE partition_name = 'wa_old' AND status = 'failed'`);
    expect(why.rows[0]!.error).toMatch(/changed after its export \(1000 rows now, 1000 archived, other content\); archiving it again/);
    // what comes back is the table as it was dropped: the deleted row stays deleted
    const back = await runCli(['restore', '--config', cfg, '--policy', 'wa', '--partition', 'wa_old', '--as', 'public.wa_back']);
    expect(back.code).toBe(0);
    const rows = await db.sql.query<{ n: number; has1: boolean; has2: boolean; has5000: boolean }>(
      `SELECT count(*)::int AS n, bool_or(v = -1) AS has1, bool_or(v = 2) AS has2, bool_or(v = 5000) AS has5000 FROM public.wa_back`,
    );
    expect(rows.rows[0]).toEqual({ n: 1000, has1: true, has2: false, has5000: true });
  });

  it('a concurrent detach stranded by a long reader, then finalized by a run that died, still ends archived', async () => {
    await db.sql.query(`CREATE TABLE public.sd (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.sd_old PARTITION OF public.sd FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.sd_now PARTITION OF public.sd FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public.sd SELECT '2024-03-01 01:00+00', g FROM generate_series(1, 500) g`);
    const storage = fileStorage();
    const cfg = writeProject(db.url, { 'sd.yaml': archivePolicy('sd') }, storage);
    // a reader's snapshot outlives every retry of the detach's second phase (and of its FINALIZE)
    const reader = await db.connect();
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await reader.query('SELECT count(*) FROM public.sd');
    const first = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(first.stdout).toMatch(/FAILED\s+sd: archive public\.sd_old/);
    const pending = await db.sql.query(`SELECT inhdetachpending AS p FROM pg_inherits WHERE inhrelid = 'public.sd_old'::regclass`);
    expect(pending.rows[0].p).toBe(true);
    await reader.query('COMMIT');
    // the next run finalizes it and dies right after (its archive never starts)
    const killed = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW, PARTWARDEN_FAILPOINT: 'after:finalize' });
    expect(killed.signal).toBe('SIGKILL');
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = 'public.sd_old'::regclass`)).rows[0].n).toBe(0);
    // detached, invisible through the parent, in no archive: plan and status say so
    const plan = await runCli(['plan', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(plan.stdout).toMatch(/archive\s+sd_old\s+.*resume: detached by an earlier run/);
    const status = await runCli(['status', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(status.stdout).toContain('detached_pending_archive');
    const last = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(last.code).toBe(0);
    expect((await db.sql.query(`SELECT to_regclass('public.sd_old') AS t`)).rows[0].t).toBeNull();
    const root = /file:\/\/(\S+)/.exec(storage)![1]!;
    const manifest = JSON.parse(readFileSync(path.join(root, 'main/public/sd/sd_old/manifest.json'), 'utf8')) as { rows: number };
    expect(manifest.rows).toBe(500);
  });
});
