/**
 * A Citus cluster on loopback for tests and benchmarks: a coordinator and two workers, each a
 * PostgreSQL 15 server from Debian's package with Citus built by .ci/citus-tools.sh
 * (`shared_preload_libraries = citus`), the workers added to the coordinator's metadata. Nodes
 * trust loopback connections and talk without TLS (they connect to each other as postgres; the
 * server processes run as the postgres user, whose libpq cannot read root's ~/.postgresql); dev only.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import pg from 'pg';
import { quoteIdent } from '../db/quote.js';
import { freePort } from './embedded-pg.js';
import { startRawPostgres, type RawServer } from './raw-postgres.js';

export const CITUS_BIN = process.env.PW_CITUS_BIN ?? '/usr/lib/postgresql/15/bin';

export interface CitusCluster {
  readonly coordinatorPort: number;
  readonly workerPorts: readonly number[];
  /** Citus' version (citus_version()'s first words) and the server's. */
  readonly citusVersion: string;
  readonly serverVersion: string;
  /** A database with the citus extension on every node. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const url = (port: number, db: string) => `postgres://postgres:citus@127.0.0.1:${port}/${db}`;

async function onNode<T>(port: number, db: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url(port, db));
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

export async function startCitusCluster(log: (line: string) => void = () => undefined): Promise<CitusCluster> {
  const lib = path.join(CITUS_BIN, '..', 'lib', 'citus.so');
  if (!existsSync(lib)) throw new Error(`no Citus in ${path.dirname(lib)}: run bash .ci/citus-tools.sh (or set PW_CITUS_BIN)`);
  const ports = [await freePort(), await freePort(), await freePort()];
  const dirs = ports.map((p) => path.join(os.tmpdir(), `pw-citus-${process.pid}-${p}`));
  const servers: RawServer[] = [];
  for (const [i, port] of ports.entries()) {
    servers.push(await startRawPostgres({
      binDir: CITUS_BIN, dataDir: dirs[i]!, port, password: 'citus', trust: true, log,
      flags: ['-c', 'shared_preload_libraries=citus', '-c', 'max_prepared_transactions=100', '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'fsync=off', '-c', 'citus.enable_statistics_collection=off', '-c', 'citus.node_conninfo=sslmode=disable'],
    }));
  }
  const [coordinator, ...workers] = ports as [number, number, number];
  const addNodes = async (db: string) => {
    for (const port of ports) await onNode(port, db, (c) => c.query('CREATE EXTENSION IF NOT EXISTS citus'));
    await onNode(coordinator, db, async (c) => {
      await c.query('SELECT citus_set_coordinator_host($1, $2)', ['127.0.0.1', coordinator]);
      for (const w of workers) await c.query('SELECT citus_add_node($1, $2)', ['127.0.0.1', w]);
    });
  };
  await addNodes('postgres');
  const versions = await onNode(coordinator, 'postgres', async (c) => (await c.query<{ citus: string; server: string }>("SELECT (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS citus, current_setting('server_version') AS server")).rows[0]!);
  return {
    coordinatorPort: coordinator,
    workerPorts: workers,
    citusVersion: versions.citus,
    serverVersion: versions.server,
    createDatabase: async (name) => {
      // Citus propagates CREATE DATABASE to the workers only from 12.2 on, and only when asked: created on each node
      for (const port of ports) await onNode(port, 'postgres', (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
      await addNodes(name);
      return url(coordinator, encodeURIComponent(name));
    },
    stop: async () => {
      for (const s of servers.reverse()) await s.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
