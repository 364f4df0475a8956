/**
 * bench/daemon: `partwarden run` with 500 policies (500 tables x 30 daily partitions) on a real
 * PostgreSQL. Measures the daemon process only (not PostgreSQL): time to ready (first cycle of all
 * policies, probes included), idle CPU and RSS (no cycle due; a Prometheus scrape every 15 s), and
 * busy CPU and RSS (cycles back to back via POST /reconcile). Prints a table and writes
 * bench/results/daemon.json.
 *
 *   npm run bench:daemon        (TABLES=500 PARTITIONS=30 IDLE_S=30 CYCLES=5 PW_PG_VERSION=18)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDailyTables, dailyPolicies } from './fixtures.js';
import { median } from './stats.js';
import { freePort, startDevPostgres } from '../src/dev/embedded-pg.js';

const TABLES = Number(process.env.TABLES ?? 500);
const PARTITIONS = Number(process.env.PARTITIONS ?? 30);
const IDLE_S = Number(process.env.IDLE_S ?? 30);
const CYCLES = Number(process.env.CYCLES ?? 5);
const PREMAKE = 3;
const DAY = 86_400_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLK_TCK = 100;

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function sample(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  return { cpu, rss };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  try {
    await server.createDatabase('bench');
    const url = server.url('bench');
    const sql = new pg.Client(url);
    await sql.connect();
    const first = new Date(Date.now() - (PARTITIONS - PREMAKE - 1) * DAY).toISOString().slice(0, 10);
    await createDailyTables(sql, TABLES, PARTITIONS, first);
    await sql.end();

    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-daemon-'));
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'bench.yaml'), dailyPolicies(TABLES, { name: (t) => `bench-${t}`, table: (t) => `public.bench_${t}`, premake: PREMAKE, naming: '{table}_p{YYYY}{MM}{DD}' }));
    const port = await freePort();
    // no cycle is due during the run (1 January only): idle means idle
    writeFileSync(path.join(dir, 'partwarden.yaml'), `databases:\n  main:\n    url: ${JSON.stringify(url)}\npolicies: ./policies\nschedule: "0 0 1 1 *"\nscheduleJitter: 0\nserver:\n  listen: 127.0.0.1:${port}\n`);

    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(root, 'dist/src/cli/main.js'), 'run', '--config', path.join(dir, 'partwarden.yaml')], {
      env: { ...process.env, PARTWARDEN_LOG_FORMAT: 'json', PARTWARDEN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    const cycles = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^partwarden_reconcile_duration_seconds_count (\d+)/m.exec(text)?.[1] ?? 0);
    };
    for (;;) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.status === 200).catch(() => false);
      if (ok) break;
      await sleep(200);
    }
    const readyMs = Date.now() - t0;
    const pid = child.pid!;

    // idle
    const i0 = sample(pid);
    let idlePeakRss = i0.rss;
    for (let s = 0; s < IDLE_S; s++) {
      if (s % 15 === 0) await fetch(`${base}/metrics`).then((r) => r.text());
      await sleep(1000);
      idlePeakRss = Math.max(idlePeakRss, sample(pid).rss);
    }
    const i1 = sample(pid);
    const idleCpu = (i1.cpu - i0.cpu) / IDLE_S;

    // busy: cycles back to back
    const b0 = sample(pid);
    const bt0 = Date.now();
    let busyPeakRss = b0.rss;
    const durations: number[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const before = await cycles();
      const ct = Date.now();
      await fetch(`${base}/reconcile`, { method: 'POST' });
      while ((await cycles()) === before) {
        busyPeakRss = Math.max(busyPeakRss, sample(pid).rss);
        await sleep(50);
      }
      durations.push((Date.now() - ct) / 1000);
    }
    const b1 = sample(pid);
    const busyCpu = (b1.cpu - b0.cpu) / ((Date.now() - bt0) / 1000);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const mb = (b: number) => Math.round(b / 1048576);
    const cycleMedian = median(durations);
    const result = {
      tables: TABLES, partitionsPerTable: PARTITIONS, cpus: os.cpus().length, node: process.version, postgres: server.version,
      readySeconds: readyMs / 1000,
      idle: { seconds: IDLE_S, cpuCores: Math.round(idleCpu * 1000) / 1000, rssMB: mb(i1.rss), peakRssMB: mb(idlePeakRss) },
      busy: { cycles: CYCLES, cycleSecondsMedian: cycleMedian, cpuCores: Math.round(busyCpu * 1000) / 1000, peakRssMB: mb(busyPeakRss) },
    };
    const rows = [
      ['measure', 'value'],
      ['policies (tables x partitions)', `${TABLES} x ${PARTITIONS}`],
      ['ready after (first cycle, probes included)', `${result.readySeconds.toFixed(1)} s`],
      [`idle CPU (${IDLE_S} s, scrape every 15 s)`, `${(result.idle.cpuCores * 100).toFixed(2)} % of a core`],
      ['idle RSS', `${result.idle.rssMB} MB (peak ${result.idle.peakRssMB} MB)`],
      [`busy cycle (median of ${CYCLES})`, `${cycleMedian.toFixed(2)} s`],
      ['busy CPU', `${(result.busy.cpuCores * 100).toFixed(0)} % of a core`],
      ['busy peak RSS', `${result.busy.peakRssMB} MB`],
    ];
    const w = Math.max(...rows.map((r) => r[0]!.length));
    for (const r of rows) console.log(`${r[0]!.padEnd(w)}  ${r[1]}`);
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, 'bench/results/daemon.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log('wrote bench/results/daemon.json');
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
