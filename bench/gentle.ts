/**
 * Gentleness: application inserts at a fixed rate (pgbench -R, a custom script over the tool's
 * tables) while a maintenance cycle runs; latencies of the transactions inside the maintenance
 * window, and application statements seen waiting on a lock (pg_stat_activity sampled every 20 ms).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';

export interface LoadResult {
  readonly transactions: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Application statements seen waiting on a lock, and the longest wait seen. */
  readonly lockWaits: number;
  readonly longestLockWaitMs: number;
}

export interface LoadOptions {
  readonly pgbench: string;
  readonly port: number;
  readonly password: string;
  readonly database: string;
  readonly schema: string;
  readonly tables: number;
  readonly rate: number;
  readonly seconds: number;
}

const pct = (xs: readonly number[], p: number) => (xs.length === 0 ? 0 : xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!);

/** Runs the load for `seconds`; `during` starts after 2 s; only transactions inside its window count (all of them without it). */
export async function insertLoad(o: LoadOptions, sampler: pg.Client, during?: () => Promise<unknown>): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-pgbench-'));
  const script = path.join(dir, 'insert.sql');
  writeFileSync(script, `\\set t random(1, ${o.tables})\nINSERT INTO ${o.schema}.t:t (id, ts, v) VALUES (:client_id, now(), 'load');\n`);
  const child = spawn(o.pgbench, ['-n', '-M', 'simple', '-c', '4', '-j', '2', '-R', String(o.rate), '-T', String(o.seconds), '-f', script, '-l', `--log-prefix=${path.join(dir, 'pgb')}`, '-h', '127.0.0.1', '-p', String(o.port), '-U', 'postgres', o.database], {
    env: { ...process.env, PGPASSWORD: o.password, PGAPPNAME: 'bench-app' },
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<void>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pgbench exited ${code}: ${err.slice(-500)}`)))));
  const waits = new Map<string, number>();
  let sampling = true;
  const sample = (async () => {
    while (sampling) {
      const r = await sampler.query<{ k: string; ms: number }>(
        `SELECT pid || ':' || query_start AS k, extract(epoch FROM clock_timestamp() - query_start) * 1000 AS ms FROM pg_stat_activity WHERE application_name = 'bench-app' AND wait_event_type = 'Lock'`,
      );
      for (const row of r.rows) waits.set(row.k, Math.max(waits.get(row.k) ?? 0, Number(row.ms)));
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  let window: [number, number] | undefined;
  if (during) {
    await new Promise((res) => setTimeout(res, 2000));
    const start = Date.now();
    await during();
    window = [start, Date.now()];
  }
  await done;
  sampling = false;
  await sample;
  // log lines: client_id transaction_no latency_us script_no epoch_s epoch_us [lag_us]
  const latencies: number[] = [];
  for (const f of readdirSync(dir).filter((x) => x.startsWith('pgb'))) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const p = line.trim().split(/\s+/);
      if (p.length < 6) continue;
      const endMs = Number(p[4]) * 1000 + Number(p[5]) / 1000;
      const lat = Number(p[2]) / 1000;
      if (window && (endMs < window[0] || endMs - lat > window[1])) continue;
      latencies.push(lat);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    transactions: latencies.length,
    p50Ms: Math.round(pct(latencies, 50) * 10) / 10,
    p99Ms: Math.round(pct(latencies, 99) * 10) / 10,
    maxMs: Math.round((latencies.at(-1) ?? 0) * 10) / 10,
    lockWaits: waits.size,
    longestLockWaitMs: Math.round(Math.max(0, ...waits.values())),
  };
}
