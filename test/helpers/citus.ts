import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startCitusCluster, type CitusCluster } from '../../src/dev/citus-cluster.js';

export interface CitusTestDatabase {
  readonly cluster: CitusCluster;
  /** The database on the coordinator. */
  readonly url: string;
  /** A session on the coordinator. */
  readonly sql: pg.Client;
  /** The same database on worker `i` (0 or 1). */
  workerUrl(i: number): string;
}

/**
 * A Citus cluster (coordinator + 2 workers) with one database, for the calling test file: started
 * before its tests (then `setup` runs on the coordinator), stopped after. Use the returned object
 * inside tests and hooks only.
 */
export function useCitusDatabase(name: string, setup?: (sql: pg.Client) => Promise<void>): CitusTestDatabase {
  const handle = {} as { -readonly [K in keyof CitusTestDatabase]: CitusTestDatabase[K] };
  beforeAll(async () => {
    handle.cluster = await startCitusCluster();
    handle.url = await handle.cluster.createDatabase(name);
    handle.sql = new pg.Client(handle.url);
    await handle.sql.connect();
    handle.workerUrl = (i) => handle.url.replace(`:${handle.cluster.coordinatorPort}/`, `:${handle.cluster.workerPorts[i]}/`);
    await setup?.(handle.sql);
  }, 120_000);
  afterAll(async () => {
    await handle.sql?.end();
    await handle.cluster?.stop();
  });
  return handle;
}
