import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_CLASS } from '../../src/daemon/leader.js';
import { rangePolicy, useDatabase } from '../helpers/db.js';
import { jsonLogs, runCli, startCli } from '../helpers/partwarden.js';

const db = useDatabase();
const NOW = '2024-03-10T15:00:00Z';
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Replica {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
}

function startReplica(configFile: string, env: NodeJS.ProcessEnv): Replica {
  const { child } = startCli(['run', '--config', configFile], { PARTWARDEN_NOW: NOW, ...env });
  children.push(child);
  return { child, logs: jsonLogs(child) };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const has = (r: Replica, msg: string | RegExp) => r.logs.some((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
const files = (dir: string) => readdirSync(dir, { recursive: true }).map(String);

// The removal is confirmed (retention.allowMassRemoval): one populated partition at a fixed clock.
describe('split brain during an archive', () => {
  it("two replicas, the leader's lock session killed mid-COPY: one object, one archive whose manifests match it, dropped once", async () => {
    await db.sql.query(`CREATE TABLE public.sb (ts timestamptz NOT NULL, v int, s text) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.sb_old PARTITION OF public.sb FOR VALUES FROM ('2024-03-01') TO ('2024-03-02')`);
    await db.sql.query(`CREATE TABLE public.sb_now PARTITION OF public.sb FOR VALUES FROM ('2024-03-10') TO ('2024-03-12')`);
    await db.sql.query(`INSERT INTO public.sb SELECT '2024-03-01 00:00+00'::timestamptz + g * interval '1 second', g, md5(g::text) FROM generate_series(1, 50000) g`);
    const expected = (await db.sql.query(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.sb_old`)).rows[0];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-split-'));
    const root = path.join(dir, 'archive');
    const configFile = path.join(dir, 'partwarden.yaml');
    writeFileSync(configFile, [
      'databases:', '  main:', `    url: ${JSON.stringify(db.url)}`, '    lockTimeout: 500ms', '    lockRetries: 3', '    retryDelay: 200ms',
      'policies: ./policies', 'schedule: "*/2 * * * * *"', 'scheduleJitter: 0', `storage:\n  url: file://${root}`, 'server:', '  listen: 127.0.0.1:0', '',
    ].join('\n'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'sb.yaml'), rangePolicy({ name: 'sb', table: 'public.sb', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 3 days\n    action: archive\n' }));

    // A leads, detaches and starts exporting; its COPY is held mid-stream for 8 s
    const a = startReplica(configFile, { PARTWARDEN_PAUSE: 'mid:export:8000' });
    await until('A pauses mid-export', () => has(a, 'pausepoint'));
    const b = startReplica(configFile, {});
    await until('B is up', () => has(b, /^http server listening/));
    // A's lock session dies (a network partition, a killed backend); B takes over and archives
    const killed = await db.sql.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::int4::oid`, [LOCK_CLASS]);
    expect(killed.rows).toHaveLength(1);
    await until('A knows it lost leadership', () => has(a, 'lost leadership'));
    await until('B became leader', () => has(b, 'became leader'));
    await until('the table is dropped', async () => (await db.sql.query(`SELECT to_regclass('public.sb_old') AS t`)).rows[0].t === null, 45_000);
    // A's export finishes its pause, meets the fence and completes nothing
    await until("A's export failed", async () => (await db.sql.query(`SELECT count(*)::int AS n FROM partwarden.journal WHERE partition_name = 'sb_old' AND step = 'export' AND status = 'failed'`)).rows[0].n === 1);
    // stopped (SIGTERM: each finishes its current step, journal entry included) before anything is checked:
    // the table is gone as soon as B's DROP commits, B's journal entry for it follows
    await Promise.all([a, b].map(async (r) => {
      const exited = new Promise((resolve) => r.child.once('exit', resolve));
      if (r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGTERM');
        await exited;
      }
    }));

    const part = path.join(root, 'main/public/sb/sb_old');
    const dataObjects = files(part).filter((f) => f.endsWith('data.csv.gz'));
    expect(dataObjects).toHaveLength(1);
    expect(files(part).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const latest = JSON.parse(readFileSync(path.join(part, 'manifest.json'), 'utf8')) as { attempt: string; dataObject: string; sha256: string; rows: number };
    expect(latest.dataObject).toBe(dataObjects[0]);
    expect(JSON.parse(readFileSync(path.join(part, latest.attempt, 'manifest.json'), 'utf8'))).toEqual(latest);
    expect(createHash('sha256').update(readFileSync(path.join(part, latest.dataObject))).digest('hex')).toBe(latest.sha256);
    expect(latest.rows).toBe(50000);
    const drops = await db.sql.query(`SELECT count(*)::int AS n FROM partwarden.journal WHERE partition_name = 'sb_old' AND step = 'drop' AND status = 'done'`);
    expect(drops.rows[0].n).toBe(1);
    // what comes back is every row
    const back = await runCli(['restore', '--config', configFile, '--policy', 'sb', '--partition', 'sb_old', '--as', 'public.sb_back']);
    expect(back.code).toBe(0);
    expect((await db.sql.query(`SELECT count(*)::int AS n, sum(v)::int8::text AS s FROM public.sb_back`)).rows[0]).toEqual(expected);
  }, 90_000);
});
