import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../src/dev/embedded-pg.js';
import { startRawPostgres } from '../src/dev/raw-postgres.js';

export const PARTMAN_BIN = process.env.PG_PARTMAN_BIN ?? '/usr/lib/postgresql/15/bin';
export const BENCH_PASSWORD = 'partwarden-bench';

export interface PartmanServer {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly partmanVersion: string;
  /** A session on the bench database, TimeZone UTC. */
  readonly sql: pg.Client;
  stop(): Promise<void>;
}

/**
 * A throw-away cluster from Debian's `postgresql-15` with `postgresql-15-partman` installed, a
 * `bench` database with pg_partman in schema `partman`: what both benchmarks run on.
 */
export async function startPartmanServer(flags: readonly string[] = []): Promise<PartmanServer> {
  if (!existsSync(path.join(PARTMAN_BIN, 'postgres'))) throw new Error(`no PostgreSQL server in ${PARTMAN_BIN}: apt-get install postgresql-15 postgresql-15-partman (or set PG_PARTMAN_BIN)`);
  const port = await freePort();
  const dataDir = path.join(os.tmpdir(), `pw-bench-pg-${port}`);
  const server = await startRawPostgres({
    binDir: PARTMAN_BIN, dataDir, port, password: BENCH_PASSWORD, log: process.env.BENCH_PG_LOG ? (l) => process.stderr.write(l) : () => undefined,
    flags: ['-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-c', 'shared_buffers=256MB', ...flags, ...(process.env.BENCH_PG_LOG ? ['-c', `log_min_duration_statement=${process.env.BENCH_PG_LOG}`] : [])],
  });
  const url = `postgres://postgres:${BENCH_PASSWORD}@127.0.0.1:${port}/bench`;
  const admin = new pg.Client(`postgres://postgres:${BENCH_PASSWORD}@127.0.0.1:${port}/postgres`);
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const sql = new pg.Client(url);
  await sql.connect();
  await sql.query("SET TimeZone = 'UTC'");
  const version = (await sql.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  await sql.query('CREATE SCHEMA partman');
  await sql.query('CREATE EXTENSION pg_partman SCHEMA partman');
  const partmanVersion = (await sql.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'pg_partman'")).rows[0]!.v;
  return {
    url, port, version, partmanVersion, sql,
    stop: async () => {
      await sql.end().catch(() => undefined);
      await server.stop();
    },
  };
}
