import type { TestProject } from 'vitest/node';
import { startDevPostgres, type DevPostgres } from '../../src/dev/embedded-pg.js';

let server: DevPostgres | undefined;

/** Starts one real PostgreSQL (PW_PG_VERSION, default 18) for the integration project. */
export async function setup(project: TestProject): Promise<void> {
  server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  project.provide('pgAdminUrl', server.url('postgres'));
  project.provide('pgVersion', server.version);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgVersion: string;
  }
}
