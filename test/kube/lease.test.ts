import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevPostgres, type DevPostgres } from '../../src/dev/embedded-pg.js';
import { rangePolicy, writeProject } from '../helpers/db.js';
import { startCli } from '../helpers/partwarden.js';

/*
 * leaderElection: lease against a real kube-apiserver (.ci/kube-checks.sh starts one, installs the
 * chart in deployment mode with leaderElection.mode=lease and runs this suite with a kubeconfig
 * of the chart's ServiceAccount: the chart's Role is all the daemons have). Two daemons, real
 * processes, share one PostgreSQL database and the chart's Lease.
 */
const kubeconfig = process.env.PW_KUBECONFIG!;
const [namespace, leaseName] = (process.env.PW_KUBE_LEASE ?? '/').split('/') as [string, string];
const DURATION_S = 4;
const RETRY_S = 1;

let server: DevPostgres;
let dbUrl: string;
const daemons: Array<{ name: string; child: ChildProcess; port: number }> = [];
/** Every 100 ms: which daemons report partwarden_leader{database="main"} 1 (two at once must never happen). */
const overlaps: string[] = [];
let sampler: NodeJS.Timeout | undefined;

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, text: await r.text() };
  } catch {
    return { status: 0, text: '' };
  }
}
const metricValue = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
async function status(port: number) {
  const r = await get(port, '/status');
  return r.status === 200 ? (JSON.parse(r.text) as { databases: Array<{ leader?: boolean; leaderReason?: string }>; leaderElection: { mode: string; lease: string; identity: string; held: boolean; holder: string | null; reason: string } }) : undefined;
}
async function leaderOf(port: number): Promise<boolean> {
  return metricValue((await get(port, '/metrics')).text, 'partwarden_leader{database="main"}') === 1;
}
async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startDaemon(name: string, kubeconfigFile = kubeconfig): Promise<{ name: string; child: ChildProcess; port: number }> {
  const port = await freePort();
  const config = writeProject(dbUrl, { 'events.yaml': rangePolicy({ name: 'events', table: 'public.events', column: 'at', interval: '1 day', premake: 3 }) },
    `schedule: "* * * * *"\nscheduleJitter: 0s\nserver:\n  listen: 127.0.0.1:${port}\nleaderElection:\n  mode: lease\n  lease:\n    name: ${leaseName}\n    namespace: ${namespace}\n    duration: ${DURATION_S}s\n    renewDeadline: 3s\n    retryPeriod: ${RETRY_S}s\n`);
  const { child } = startCli(['run', '--config', config], { KUBECONFIG: kubeconfigFile, POD_NAME: name, PARTWARDEN_LOG_LEVEL: 'info' });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`daemon ${name} exited ${code}:\n${log.slice(-3000)}`);
  });
  const d = { name, child, port };
  daemons.push(d);
  await until(`daemon ${name} to answer /status`, () => status(port), 30_000);
  return d;
}
const alive = () => daemons.filter((d) => d.child.exitCode === null && d.child.signalCode === null);

/** The Lease as the API server has it, read with the admin kubeconfig. */
async function leaseHolder(): Promise<string | undefined> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(process.env.PW_KUBE_ADMIN_KUBECONFIG ?? kubeconfig);
  const lease = await kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: leaseName, namespace });
  return lease.spec?.holderIdentity || undefined;
}

async function currentLeader(among = alive()): Promise<{ name: string; child: ChildProcess; port: number }> {
  return until('exactly one leader', async () => {
    const leads = await Promise.all(among.map(async (d) => ((await leaderOf(d.port)) ? d : undefined)));
    const l = leads.filter((d) => d !== undefined);
    return l.length === 1 ? l[0] : undefined;
  }, (DURATION_S + 10) * 1000);
}

/** A loopback TCP hop to the API server that can be cut: connections then hang (no answer, no reset). */
async function apiProxy(): Promise<{ kubeconfig: string; cut(): void; close(): void }> {
  const text = readFileSync(kubeconfig, 'utf8');
  const target = /server: "https:\/\/127\.0\.0\.1:(\d+)"/.exec(text)![1]!;
  const sockets = new Set<net.Socket>();
  let cut = false;
  const proxy = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    if (cut) return; // accepted, never answered
    const up = net.connect(Number(target), '127.0.0.1');
    up.on('error', () => c.destroy());
    c.pipe(up).pipe(c);
    c.on('close', () => up.destroy());
    sockets.add(up);
  });
  const port = await new Promise<number>((r) => proxy.listen(0, '127.0.0.1', () => r((proxy.address() as net.AddressInfo).port)));
  const file = `${kubeconfig}.proxy-${port}`;
  writeFileSync(file, text.replace(`https://127.0.0.1:${target}`, `https://127.0.0.1:${port}`));
  return {
    kubeconfig: file,
    cut: () => {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

beforeAll(async () => {
  server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  await server.createDatabase('lease');
  dbUrl = server.url('lease');
  const c = new pg.Client(dbUrl);
  await c.connect();
  await c.query('CREATE TABLE public.events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at)');
  await c.end();
  sampler = setInterval(() => {
    void Promise.all(alive().map(async (d) => ((await leaderOf(d.port)) ? d.name : undefined))).then((l) => {
      const leads = l.filter(Boolean);
      if (leads.length > 1) overlaps.push(`${new Date().toISOString()} ${leads.join(' and ')}`);
    });
  }, 100);
}, 120_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  for (const d of alive()) d.child.kill('SIGKILL');
  await server?.stop();
});

describe.runIf(process.env.PW_KUBE === '1')('leaderElection: lease on a real kube-apiserver', () => {
  it('of two daemons one leads: the Lease names it, it holds the advisory lock and acts, the other follows and says who leads', async () => {
    await startDaemon('pw-a');
    await startDaemon('pw-b');
    const leader = await currentLeader();
    const follower = daemons.find((d) => d !== leader)!;
    expect(await leaseHolder()).toBe(leader.name);
    const ls = (await until('the leader status', async () => { const s = await status(leader.port); return s?.databases[0]?.leader ? s : undefined; }, 70_000));
    expect(ls.leaderElection).toMatchObject({ mode: 'lease', lease: `${namespace}/${leaseName}`, identity: leader.name, held: true, holder: leader.name });
    expect(ls.databases[0]!.leaderReason).toBe('holds the Kubernetes Lease and the advisory lock');
    const fs = (await status(follower.port))!;
    expect(fs.leaderElection).toMatchObject({ held: false, holder: leader.name, identity: follower.name });
    expect(fs.databases[0]).toMatchObject({ leader: false, leaderReason: `${leader.name} holds the Lease` });
    const metrics = async (d: { port: number }) => metricValue((await get(d.port, '/metrics')).text, `partwarden_lease_held{lease="${namespace}/${leaseName}"}`);
    expect(await metrics(leader)).toBe(1);
    expect(await metrics(follower)).toBe(0);
    // the leader acted: the policy's partitions exist
    const c = new pg.Client(dbUrl);
    await c.connect();
    const n = await until('partitions created by the leader', async () => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.events'::regclass")).rows[0]!.n || undefined, 60_000);
    await c.end();
    expect(n).toBeGreaterThanOrEqual(4);
    expect(overlaps).toEqual([]);
  }, 120_000);

  it('kill -9 the leader: the other takes over within the lease duration, never two leaders at once', async () => {
    const leader = await currentLeader();
    const follower = alive().find((d) => d !== leader)!;
    const t0 = Date.now();
    leader.child.kill('SIGKILL');
    await until('the follower to lead', () => leaderOf(follower.port), (DURATION_S + 10) * 1000);
    const took = (Date.now() - t0) / 1000;
    // the Lease expires DURATION_S after the last renewal; the follower tries every RETRY_S
    expect(took).toBeLessThanOrEqual(DURATION_S + RETRY_S + 1);
    expect(await leaseHolder()).toBe(follower.name);
    const s = (await status(follower.port))!;
    expect(s.leaderElection).toMatchObject({ held: true, holder: follower.name });
    expect(overlaps).toEqual([]);
    console.log(`kill -9 of ${leader.name}: ${follower.name} leads after ${took.toFixed(1)} s (lease duration ${DURATION_S} s)`);
  }, 60_000);

  it('a leader stopped with SIGTERM hands the Lease over at once (no wait for expiry)', async () => {
    await startDaemon('pw-c');
    const leader = await currentLeader();
    const other = alive().find((d) => d !== leader)!;
    const t0 = Date.now();
    leader.child.kill('SIGTERM');
    await until('the other daemon to lead', () => leaderOf(other.port), (DURATION_S + 10) * 1000);
    const took = (Date.now() - t0) / 1000;
    expect(took).toBeLessThan(DURATION_S);
    expect(await leaseHolder()).toBe(other.name);
    expect(overlaps).toEqual([]);
    console.log(`SIGTERM of ${leader.name}: ${other.name} leads after ${took.toFixed(1)} s`);
  }, 60_000);

  it('a leader cut off from the API server stops acting before the Lease expires; the other takes over after it', async () => {
    for (const d of alive()) d.child.kill('SIGTERM');
    await until('all daemons stopped', async () => alive().length === 0, 30_000);
    const proxy = await apiProxy();
    try {
      const cutOff = await startDaemon('pw-d', proxy.kubeconfig);
      await currentLeader([cutOff]);
      const other = await startDaemon('pw-e');
      expect(await leaderOf(other.port)).toBe(false);
      const t0 = Date.now();
      proxy.cut();
      await until('the cut-off leader to stop acting', async () => !(await leaderOf(cutOff.port)), 10_000);
      const stepped = (Date.now() - t0) / 1000;
      await until('the other daemon to lead', () => leaderOf(other.port), (DURATION_S + 10) * 1000);
      const took = (Date.now() - t0) / 1000;
      // renewDeadline 3 s < duration 4 s: the old leader has stopped before the new one may start
      expect(stepped).toBeLessThan(took);
      const s = (await status(cutOff.port))!;
      expect(s.leaderElection.held).toBe(false);
      expect(s.leaderElection.reason).toMatch(/the Kubernetes API server did not answer/);
      expect(overlaps).toEqual([]);
      console.log(`API server cut off from ${cutOff.name}: it stopped acting after ${stepped.toFixed(1)} s, ${other.name} leads after ${took.toFixed(1)} s`);
    } finally {
      proxy.close();
    }
  }, 90_000);
});
