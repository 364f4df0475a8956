import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRawPostgres, type RawServer } from '../../src/dev/raw-postgres.js';
import { runCli } from '../helpers/partwarden.js';

/*
 * Leaving pg_partman: Debian's postgresql-15 and postgresql-15-partman (4.7; .ci/run installs
 * them, as the bench does). Tables made by pg_partman itself; `import pg-partman` must print
 * policies that adopt them with zero change, and partwarden must say that pg_partman still
 * manages them until the DBA hands them over.
 */
const BIN = process.env.PG_PARTMAN_BIN ?? '/usr/lib/postgresql/15/bin';
const PASSWORD = 'partman-conformance';
let server: RawServer;
let url: string;
let dataDir: string;
let sql: pg.Client;

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});

beforeAll(async () => {
  if (!existsSync(path.join(BIN, 'postgres'))) throw new Error(`no PostgreSQL server in ${BIN}: apt-get install postgresql-15 postgresql-15-partman`);
  const port = await freePort();
  dataDir = path.join(os.tmpdir(), `pw-partman-${port}`);
  // what runs pg_partman's maintenance in real installations: its background worker (an hour
  // apart, so it never runs during the test) and pg_cron (Debian's postgresql-15-cron)
  server = await startRawPostgres({
    binDir: BIN, dataDir, port, password: PASSWORD, log: () => undefined,
    flags: ['-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-c', 'shared_preload_libraries=pg_partman_bgw,pg_cron',
      '-c', 'pg_partman_bgw.dbname=app', '-c', 'pg_partman_bgw.interval=3600', '-c', 'cron.database_name=app'],
  });
  const admin = new pg.Client(`postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`);
  await admin.connect();
  await admin.query('CREATE DATABASE app');
  await admin.end();
  url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/app`;
  sql = new pg.Client(url);
  await sql.connect();
  await sql.query("SET TimeZone = 'UTC'");
  await sql.query('CREATE SCHEMA partman');
  await sql.query('CREATE EXTENSION pg_partman SCHEMA partman');
  await sql.query('CREATE EXTENSION pg_cron');
  await sql.query(`SELECT cron.schedule('partman-maintenance', '0 * * * *', 'CALL partman.run_maintenance_proc()')`);
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function project(policies: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-partman-project-'));
  mkdirSync(path.join(dir, 'policies'));
  if (policies) writeFileSync(path.join(dir, 'policies', 'imported.yaml'), policies);
  writeFileSync(path.join(dir, 'partwarden.yaml'), `databases:\n  main:\n    url: ${JSON.stringify(url)}\npolicies: ./policies\n`);
  return path.join(dir, 'partwarden.yaml');
}

describe('from pg_partman 4.7', () => {
  it('import prints policies that adopt pg_partman\'s tables with zero change; validate and plan say pg_partman still manages them', async () => {
    await sql.query(`CREATE TABLE public.events (id bigint, created_at timestamptz NOT NULL, body text) PARTITION BY RANGE (created_at)`);
    await sql.query(`SELECT partman.create_parent(p_parent_table => 'public.events', p_control => 'created_at', p_type => 'native', p_interval => 'daily', p_premake => 4)`);
    await sql.query(`UPDATE partman.part_config SET retention = '30 days', retention_keep_table = false, inherit_privileges = true WHERE parent_table = 'public.events'`);
    await sql.query(`CREATE TABLE public.metrics (ts timestamptz NOT NULL, v float8) PARTITION BY RANGE (ts)`);
    await sql.query(`SELECT partman.create_parent(p_parent_table => 'public.metrics', p_control => 'ts', p_type => 'native', p_interval => 'monthly', p_premake => 2)`);
    await sql.query(`ALTER TABLE partman.template_public_metrics SET (fillfactor = 90)`);
    await sql.query(`CREATE TABLE public.orders (id bigint NOT NULL, note text) PARTITION BY RANGE (id)`);
    await sql.query(`SELECT partman.create_parent(p_parent_table => 'public.orders', p_control => 'id', p_type => 'native', p_interval => '100000', p_premake => 3)`);
    await sql.query(`INSERT INTO public.orders SELECT g FROM generate_series(1, 250000) g`);
    await sql.query(`UPDATE partman.part_config SET retention = '500000' WHERE parent_table = 'public.orders'`);
    await sql.query('CALL partman.run_maintenance_proc()');
    const partitionsBefore = (await sql.query(`SELECT inhparent::regclass::text AS p, count(*)::int AS n FROM pg_inherits GROUP BY 1 ORDER BY 1`)).rows;

    const imported = await runCli(['import', 'pg-partman', '--config', project(''), '--db', 'main']);
    expect(imported.code, imported.stderr).toBe(0);
    const out = imported.stdout;
    expect(out).toContain('# imported from pg_partman 4.7');
    expect(out).toMatch(/table: public\.events\n  strategy: range\n  range:\n    column: created_at\n    interval: 1 day\n    premake: 4\n    naming: "\{table\}_p\{YYYY\}_\{MM\}_\{DD\}"\n  default:\n    create: true\n  template: partman\.template_public_events\n  retention:\n    keep: 30 days\n    action: drop/);
    expect(out).toMatch(/table: public\.metrics\n  strategy: range\n  range:\n    column: ts\n    interval: 1 month\n    premake: 2\n    naming: "\{table\}_p\{YYYY\}_\{MM\}"/);
    expect(out).toContain('template_table partman.template_public_metrics (storage parameters: fillfactor=90): new partitions take its storage parameters');
    expect(out).toMatch(/table: public\.metrics\n(.|\n)*  template: partman\.template_public_metrics/);
    expect(out).toMatch(/table: public\.orders\n  strategy: range\n  range:\n    column: id\n    interval: 100000\n    premake: 3\n    naming: "\{table\}_p\{start\}"\n  default:\n    create: true\n  template: partman\.template_public_orders\n  retention:\n    keepPartitions: 5\n    action: detach/);
    expect(out).toContain("UPDATE partman.part_config SET automatic_maintenance = 'off' WHERE parent_table = 'public.events'");

    const cfg = project(out);
    const validate = await runCli(['validate', '--config', cfg, '--db']);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr).toContain(
      "public.events is also managed by pg_partman (partman.part_config, automatic_maintenance on; run by the pg_partman_bgw background worker, pg_cron job 1 (0 * * * *)): two tools would create and remove its partitions; hand it over: UPDATE partman.part_config SET automatic_maintenance = 'off' WHERE parent_table = 'public.events'",
    );
    // zero change: every partition pg_partman made is adopted by its bounds, nothing is created or removed
    const plan = await runCli(['plan', '--config', cfg, '--output', 'json']);
    const actions = (JSON.parse(plan.stdout) as { databases: Array<{ policies: Array<{ policy: string; actions: unknown[]; problems: Array<{ rule: string }> }> }> }).databases[0]!.policies;
    expect(actions.map((p) => [p.policy, p.actions.length])).toEqual([['events', 0], ['metrics', 0], ['orders', 0]]);
    expect(actions.every((p) => p.problems.some((x) => x.rule === 'managed_elsewhere'))).toBe(true);

    // handed over: maintenance off, then the rows removed
    await sql.query(`UPDATE partman.part_config SET automatic_maintenance = 'off'`);
    expect((await runCli(['validate', '--config', cfg, '--db'])).stderr).toContain('its maintenance is off; once partwarden manages the table, DELETE FROM partman.part_config');
    await sql.query(`DELETE FROM partman.part_config`);
    const after = await runCli(['validate', '--config', cfg, '--db']);
    expect(after.stderr).not.toContain('pg_partman');
    expect((await sql.query(`SELECT inhparent::regclass::text AS p, count(*)::int AS n FROM pg_inherits GROUP BY 1 ORDER BY 1`)).rows).toEqual(partitionsBefore);

    // after the hand-over, a new partition gets what pg_partman gave its own: the template's fillfactor
    const ahead = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const apply = await runCli(['apply', '--config', cfg, '--policy', 'metrics'], { PARTWARDEN_NOW: ahead });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const newest = await sql.query(`SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.metrics'::regclass ORDER BY c.oid DESC LIMIT 1`);
    expect(newest.rows[0].relname).toMatch(/^metrics_p\d{4}_\d{2}$/);
    expect(newest.rows[0].reloptions).toEqual(['fillfactor=90']);
  });
});
