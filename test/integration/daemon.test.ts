import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, startDevPostgres, type DevPostgres } from '../../src/dev/embedded-pg.js';
import { ALL_RULES } from '../../src/health/rules.js';
import { rangePolicy } from '../helpers/db.js';
import { jsonLogs, startCli } from '../helpers/partwarden.js';

/*
 * `partwarden run` as a child process, as a Deployment runs it, against its own PostgreSQL
 * server (this file restarts it) with a 2-second schedule.
 */

let server: DevPostgres;
let dataDir: string;
let port: number;
let dir: string;
let configFile: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'pw-daemon-pg-'));
  rmSync(dataDir, { recursive: true, force: true });
  port = await freePort();
  server = await startDevPostgres({ version: inject('pgVersion').split('.')[0], dataDir, port, persistent: true });
  await server.createDatabase('daemon');
  const c = new pg.Client(server.url('daemon'));
  await c.connect();
  await c.query(`CREATE TABLE public.ev (id bigint, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
  await c.end();
  dir = mkdtempSync(path.join(os.tmpdir(), 'pw-daemon-'));
  configFile = path.join(dir, 'partwarden.yaml');
  writeFileSync(
    configFile,
    [
      'databases:',
      '  main:',
      `    url: ${JSON.stringify(server.url('daemon'))}`,
      '    lockTimeout: 500ms',
      'policies: ./policies',
      'schedule: "*/2 * * * * *"',
      'scheduleJitter: 0',
      'server:',
      '  listen: 127.0.0.1:0',
      '',
    ].join('\n'),
  );
  rmSync(path.join(dir, 'policies'), { recursive: true, force: true });
  await import('node:fs').then((fs) => fs.mkdirSync(path.join(dir, 'policies')));
  writeFileSync(path.join(dir, 'policies', 'ev.yaml'), rangePolicy({ name: 'ev', table: 'public.ev', column: 'ts', interval: '1 day', premake: 2 }));
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Daemon {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: () => Array<Record<string, unknown>>;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startDaemon(config = configFile, env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const { child, done } = startCli(['run', '--config', config], env);
  children.push(child);
  let lines: Array<Record<string, unknown>> = [];
  const listening = new Promise<number>((resolve, reject) => {
    lines = jsonLogs(child, (rec) => {
      if (typeof rec.listen === 'string' && String(rec.msg).startsWith('http server listening')) resolve(Number(rec.listen.split(':').pop()));
    });
    void done.then((r) => reject(new Error(`daemon exited early: ${JSON.stringify(r)}`)));
  });
  return { child, port: await listening, logs: () => lines, done: done.then((r) => ({ code: r.code, signal: r.signal })) };
}

async function get(d: Daemon, p: string, method = 'GET'): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${d.port}${p}`, { method });
  return { status: r.status, text: await r.text() };
}

/** The value of one metric series in /metrics (undefined when absent). */
async function metric(d: Daemon, series: string): Promise<number | undefined> {
  const { text } = await get(d, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    try {
      last = await f();
      if (ok(last)) return last;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

// Retention here runs at a dated, fixed clock on tables with one populated partition: the
// removals are confirmed (retention.allowMassRemoval); the guard itself is tested in retention-guard.test.ts.
describe('partwarden run (child process)', () => {
  it('becomes ready, serves metrics and status, runs on POST /reconcile, and exits 0 on SIGTERM', async () => {
    const d = await startDaemon();
    await until('readyz 200', () => get(d, '/readyz'), (r) => r.status === 200);
    expect((await get(d, '/healthz')).status).toBe(200);
    expect(await metric(d, 'partwarden_leader{database="main"}')).toBe(1);
    expect(await metric(d, 'partwarden_database_up{database="main"}')).toBe(1);
    // the database's clock against this process's: same machine, so near 0
    expect(Math.abs((await metric(d, 'partwarden_clock_skew_seconds{database="main"}'))!)).toBeLessThan(5);
    expect(await metric(d, 'partwarden_policies_loaded')).toBe(1);
    // every rule's series exists from load time, at 0 while healthy
    const { text } = await get(d, '/metrics');
    expect(text.match(/^partwarden_policy_violation\{policy="ev",rule="[a-z_]+"\} 0$/gm)).toHaveLength(ALL_RULES.length);
    expect(text).toMatch(/^partwarden_future_partitions\{policy="ev"\} 2$/m);
    expect(text).toMatch(/^partwarden_probe_partitions_scanned\{policy="ev",probe="current-interval"\} 1$/m);
    expect(text).toMatch(/^partwarden_actions_total\{policy="ev",action="create",result="success"\} 3$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    const status = JSON.parse((await get(d, '/status')).text) as { healthy: boolean; policies: Array<{ policy: string; futurePartitions: number }> };
    expect(status.healthy).toBe(true);
    expect(status.policies.map((p) => [p.policy, p.futurePartitions])).toEqual([['ev', 2]]);
    expect((await get(d, '/reconcile', 'POST')).status).toBe(202);
    expect((await get(d, '/metrics', 'POST')).status).toBe(405);
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    const exit = await d.done;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(25_000);
  }, 60_000);

  it('an uncaught exception is logged and ends the process with exit code 1 (the pod restarts; the journal resumes)', async () => {
    const d = await startDaemon(configFile, { PARTWARDEN_FAILPOINT: 'uncaught:cycle' });
    expect(await d.done).toEqual({ code: 1, signal: null });
    const fatal = d.logs().find((l) => l.level === 60);
    expect(String(fatal?.msg)).toMatch(/^uncaught exception: exiting/);
    expect(String(fatal?.err)).toContain('failpoint uncaught:cycle');
  });

  it('two replicas: exactly one leader; when it is killed, the other takes over', async () => {
    const a = await startDaemon();
    await until('a ready', () => get(a, '/readyz'), (r) => r.status === 200);
    const b = await startDaemon();
    await until('b ready', () => get(b, '/readyz'), (r) => r.status === 200);
    const leaders = async () => [await metric(a, 'partwarden_leader{database="main"}'), await metric(b, 'partwarden_leader{database="main"}')];
    expect(await leaders()).toEqual([1, 0]);
    // the follower assesses too: its status is complete
    const followerStatus = JSON.parse((await get(b, '/status')).text) as { databases: Array<{ leader: boolean }>; policies: unknown[] };
    expect(followerStatus.databases[0]!.leader).toBe(false);
    expect(followerStatus.policies).toHaveLength(1);
    a.child.kill('SIGKILL');
    await until('b leader', () => metric(b, 'partwarden_leader{database="main"}'), (v) => v === 1, 15_000);
    b.child.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
  }, 60_000);

  it('reloads a good policy on change, rejects a broken one with file:line:col and keeps the last good set', async () => {
    const d = await startDaemon();
    await until('ready', () => get(d, '/readyz'), (r) => r.status === 200);
    const c = new pg.Client(server.url('daemon'));
    await c.connect();
    await c.query(`CREATE TABLE public.ev2 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await c.end();
    writeFileSync(path.join(dir, 'policies', 'ev2.yaml'), rangePolicy({ name: 'ev2', table: 'public.ev2', column: 'ts', interval: '1 day', premake: 1 }));
    await until('2 policies', () => metric(d, 'partwarden_policies_loaded'), (v) => v === 2);
    await until('ev2 assessed', () => metric(d, 'partwarden_future_partitions{policy="ev2"}'), (v) => v === 1);
    const broken = path.join(dir, 'policies', 'broken.yaml');
    writeFileSync(broken, rangePolicy({ name: 'broken', table: 'public.ev3', column: 'ts', interval: '1 fortnight', premake: 1 }));
    await until('reload failure', () => metric(d, 'partwarden_config_reload_failures_total'), (v) => v === 1);
    expect(await metric(d, 'partwarden_policies_loaded')).toBe(2);
    const rejected = d.logs().find((l) => String(l.msg).startsWith('configuration reload rejected'));
    expect(String(rejected?.msg)).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: .*interval`));
    // the last good set still runs
    const before = await metric(d, 'partwarden_last_run_timestamp_seconds{policy="ev2"}');
    await until('ev2 still reconciled', () => metric(d, 'partwarden_last_run_timestamp_seconds{policy="ev2"}'), (v) => v !== undefined && v > before!);
    rmSync(broken);
    d.child.kill('SIGTERM');
    expect((await d.done).code).toBe(0);
  }, 60_000);

  it('reloads when a Kubernetes ConfigMap mount swaps its ..data symlink, and on SIGHUP', async () => {
    const c = new pg.Client(server.url('daemon'));
    await c.connect();
    await c.query(`CREATE TABLE public.cm1 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await c.query(`CREATE TABLE public.cm2 (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await c.end();
    const fs = await import('node:fs');
    // the layout kubelet makes: <mount>/..<timestamp>/files, ..data -> ..<timestamp>, <file> -> ..data/<file>
    const mount = mkdtempSync(path.join(os.tmpdir(), 'pw-configmap-'));
    const version = (name: string, files: Record<string, string>) => {
      fs.mkdirSync(path.join(mount, name));
      for (const [f, text] of Object.entries(files)) writeFileSync(path.join(mount, name, f), text);
    };
    const cm1 = rangePolicy({ name: 'cm1', table: 'public.cm1', column: 'ts', interval: '1 day', premake: 1 });
    const cm2 = rangePolicy({ name: 'cm2', table: 'public.cm2', column: 'ts', interval: '1 day', premake: 1 });
    version('..2026_11_21_10_00_00.1', { 'cm1.yaml': cm1 });
    fs.symlinkSync('..2026_11_21_10_00_00.1', path.join(mount, '..data'));
    fs.symlinkSync('..data/cm1.yaml', path.join(mount, 'cm1.yaml'));
    const cfgDir = mkdtempSync(path.join(os.tmpdir(), 'pw-configmap-cfg-'));
    const cfg = path.join(cfgDir, 'partwarden.yaml');
    writeFileSync(cfg, `databases:\n  main:\n    url: ${JSON.stringify(server.url('daemon'))}\npolicies: ${JSON.stringify(mount)}\nschedule: "*/2 * * * * *"\nscheduleJitter: 0\nstateSchema: cm_state\nserver:\n  listen: 127.0.0.1:0\n`);
    const d = await startDaemon(cfg);
    await until('ready', () => get(d, '/readyz'), (r) => r.status === 200);
    expect(await metric(d, 'partwarden_policies_loaded')).toBe(1);
    // kubectl apply: a new version directory, ..data swapped atomically, then the new key's symlink
    version('..2026_11_21_10_05_00.2', { 'cm1.yaml': cm1, 'cm2.yaml': cm2 });
    fs.symlinkSync('..2026_11_21_10_05_00.2', path.join(mount, '..data_tmp'));
    fs.renameSync(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
    fs.symlinkSync('..data/cm2.yaml', path.join(mount, 'cm2.yaml'));
    fs.rmSync(path.join(mount, '..2026_11_21_10_00_00.1'), { recursive: true });
    await until('2 policies', () => metric(d, 'partwarden_policies_loaded'), (v) => v === 2);
    await until('cm2 assessed', () => metric(d, 'partwarden_future_partitions{policy="cm2"}'), (v) => v === 1);
    d.child.kill('SIGHUP');
    await until('SIGHUP reload', async () => d.logs().some((l) => l.msg === 'configuration reloaded' && l.reason === 'SIGHUP'), (v) => v);
    expect(d.child.exitCode).toBeNull();
    d.child.kill('SIGTERM');
    expect((await d.done).code).toBe(0);
  }, 60_000);

  it('fencing: a leader that lost its lock session right before DETACH does not detach', async () => {
    const c = new pg.Client(server.url('daemon'));
    c.on('error', () => undefined);
    await c.connect();
    await c.query(`CREATE TABLE public.fx (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await c.query(`CREATE TABLE public.fx_old PARTITION OF public.fx FOR VALUES FROM ('2020-01-01') TO ('2020-01-02')`);
    const fxDir = mkdtempSync(path.join(os.tmpdir(), 'pw-daemon-fx-'));
    await import('node:fs').then((fs) => fs.mkdirSync(path.join(fxDir, 'policies')));
    writeFileSync(path.join(fxDir, 'policies', 'fx.yaml'), rangePolicy({ name: 'fx', table: 'public.fx', column: 'ts', interval: '1 day', premake: 1, extra: '  retention:\n    allowMassRemoval: true\n    keep: 30 days\n    action: drop\n' }));
    const fxConfig = path.join(fxDir, 'partwarden.yaml');
    writeFileSync(fxConfig, `databases:\n  main:\n    url: ${JSON.stringify(server.url('daemon'))}\npolicies: ./policies\nschedule: "0 0 1 1 *"\nscheduleJitter: 0\nstateSchema: fx_state\nserver:\n  listen: 127.0.0.1:0\n`);
    // the leader pauses right before its DETACH; meanwhile its lock session is killed
    const d = await startDaemon(fxConfig, { PARTWARDEN_PAUSE: 'before:detach:3000' });
    await until('paused before detach', async () => d.logs().some((l) => l.msg === 'pausepoint' && l.point === 'before:detach'), (v) => v);
    await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'partwarden-leader'`);
    const failed = await until('fence failure logged', async () => d.logs().find((l) => String(l.msg).startsWith('drop public.fx_old failed')), (l) => l !== undefined);
    expect(String(failed!.err)).toMatch(/no longer the leader of database "main"; not changing anything/);
    expect((await c.query(`SELECT relispartition AS a FROM pg_class WHERE oid = 'public.fx_old'::regclass`)).rows[0].a).toBe(true);
    expect((await c.query(`SELECT count(*)::int AS n FROM fx_state.journal WHERE step = 'detach'`)).rows[0].n).toBe(0);
    await c.end();
    d.child.kill('SIGTERM');
    expect((await d.done).code).toBe(0);
  }, 60_000);

  it('next to a standby (a sidecar on a replica): ready, assessing, never leader, never acting', async () => {
    const fs = await import('node:fs');
    await server.stop();
    const standbyDir = `${dataDir}-standby`;
    fs.cpSync(dataDir, standbyDir, { recursive: true });
    writeFileSync(path.join(standbyDir, 'standby.signal'), '');
    // as root the server runs as its own user: the copy must be that user's, like the original
    const { uid, gid } = fs.statSync(dataDir);
    const chown = (p: string) => {
      fs.chownSync(p, uid, gid);
      if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chown(path.join(p, e));
    };
    chown(standbyDir);
    fs.chmodSync(standbyDir, 0o700);
    server = await startDevPostgres({ version: inject('pgVersion').split('.')[0], dataDir, port, persistent: true });
    const standbyPort = await freePort();
    const standby = await startDevPostgres({ version: inject('pgVersion').split('.')[0], dataDir: standbyDir, port: standbyPort, persistent: true });
    try {
      const sbDir = mkdtempSync(path.join(os.tmpdir(), 'pw-daemon-standby-'));
      fs.mkdirSync(path.join(sbDir, 'policies'));
      writeFileSync(path.join(sbDir, 'policies', 'ev.yaml'), rangePolicy({ name: 'ev', table: 'public.ev', column: 'ts', interval: '1 day', premake: 5 }));
      const cfg = path.join(sbDir, 'partwarden.yaml');
      writeFileSync(cfg, `databases:\n  main:\n    url: ${JSON.stringify(standby.url('daemon'))}\npolicies: ./policies\nschedule: "*/2 * * * * *"\nscheduleJitter: 0\nserver:\n  listen: 127.0.0.1:0\n`);
      const d = await startDaemon(cfg);
      await until('ready', () => get(d, '/readyz'), (r) => r.status === 200);
      expect(await metric(d, 'partwarden_leader{database="main"}')).toBe(0);
      expect(d.logs().some((l) => String(l.msg).startsWith('the server is a standby'))).toBe(true);
      // premake grew to 5: partitions are missing, and reported, but nothing was attempted
      await until('assessed', () => metric(d, 'partwarden_policy_violation{policy="ev",rule="future_partitions_low"}'), (v) => v === 1);
      expect(await metric(d, 'partwarden_actions_total{policy="ev",action="create",result="failure"}')).toBeUndefined();
      d.child.kill('SIGTERM');
      expect((await d.done).code).toBe(0);
    } finally {
      await standby.stop();
      rmSync(standbyDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('survives a database restart: /readyz says so, then work resumes', async () => {
    const d = await startDaemon();
    await until('ready', () => get(d, '/readyz'), (r) => r.status === 200);
    await server.stop();
    const down = await until('readyz 503', () => get(d, '/readyz'), (r) => r.status === 503);
    expect(down.text).toMatch(/database main/);
    await until('database_up 0', () => metric(d, 'partwarden_database_up{database="main"}'), (v) => v === 0);
    server = await startDevPostgres({ version: inject('pgVersion').split('.')[0], dataDir, port, persistent: true });
    await until('ready again', () => get(d, '/readyz'), (r) => r.status === 200, 40_000);
    expect(await metric(d, 'partwarden_leader{database="main"}')).toBe(1);
    expect(d.child.exitCode).toBeNull();
    d.child.kill('SIGTERM');
    expect((await d.done).code).toBe(0);
  }, 90_000);
});
