import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A superuser session on the test database (the "DBA" / the application). */
  readonly sql: pg.Client;
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

/**
 * A fresh database for the calling test file: created before its tests, dropped after. The
 * returned object is filled in by beforeAll, so use it inside tests and hooks only.
 */
export function useDatabase(): TestDatabase {
  const handle = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(handle, await freshDatabase());
  });
  afterAll(async () => {
    await handle.drop();
  });
  return handle;
}

/** A fresh database on the shared test cluster. */
export async function freshDatabase(): Promise<TestDatabase> {
  const admin = new pg.Client(inject('pgAdminUrl'));
  await admin.connect();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = inject('pgAdminUrl').replace(/\/postgres$/, `/${name}`);
  const sql = new pg.Client(url);
  await sql.connect();
  await sql.query("SET TimeZone = 'UTC'");
  const extra: pg.Client[] = [];
  return {
    name,
    url,
    sql,
    connect: async () => {
      const c = new pg.Client(url);
      c.on('error', () => undefined);
      await c.connect();
      extra.push(c);
      return c;
    },
    drop: async () => {
      for (const c of extra) await c.end().catch(() => undefined);
      await sql.end().catch(() => undefined);
      const a = new pg.Client(inject('pgAdminUrl'));
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Writes a config file and policy files into a temp dir; returns the config path. */
export function writeProject(url: string, policies: Record<string, string>, extraConfig = ''): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-test-'));
  const pdir = path.join(dir, 'policies');
  mkdirSync(pdir, { recursive: true });
  for (const [file, text] of Object.entries(policies)) writeFileSync(path.join(pdir, file), text);
  const configFile = path.join(dir, 'partwarden.yaml');
  writeFileSync(
    configFile,
    `databases:\n  main:\n    url: ${JSON.stringify(url)}\n    lockTimeout: 300ms\n    lockRetries: 3\n    retryDelay: 50ms\npolicies: ./policies\nstateSchema: partwarden\n${extraConfig}`,
  );
  return configFile;
}

/** A policy document for database `main`: the header, then `spec` (indented under spec:). */
export function policyDoc(name: string, table: string, spec: string): string {
  return `apiVersion: partwarden/v1
kind: PartitionPolicy
metadata:
  name: ${name}
spec:
  database: main
  table: ${JSON.stringify(table)}
${spec}`;
}

/** A range policy document. */
export function rangePolicy(o: { name: string; table: string; column: string; interval: string | number; premake?: number; extra?: string; timezone?: string }): string {
  return policyDoc(o.name, o.table, `  strategy: range
  range:
    column: ${JSON.stringify(o.column)}
    interval: ${typeof o.interval === 'number' ? o.interval : JSON.stringify(o.interval)}
    premake: ${o.premake ?? 3}
    timezone: ${o.timezone ?? 'UTC'}
${o.extra ?? ''}`);
}
