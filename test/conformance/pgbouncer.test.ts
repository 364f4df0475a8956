import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevPostgres, type DevPostgres } from '../../src/dev/embedded-pg.js';
import { LeaderLease } from '../../src/daemon/leader.js';
import { silentLogger } from '../../src/log.js';
import type { DatabaseConfig } from '../../src/config/types.js';
import { startPgBouncer } from '../helpers/pgbouncer.js';

/*
 * Leader election through a real PgBouncer (Debian's package; .ci/run installs it). Session
 * advisory locks do not work through transaction pooling: partwarden must notice and refuse,
 * and must work through session pooling.
 */

let server: DevPostgres;
const dbConfig = (url: string): DatabaseConfig => ({ name: 'main', url, lockTimeoutMs: 1000, statementTimeoutMs: 0, lockRetries: 1, retryDelayMs: 10 });

beforeAll(async () => {
  server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  await server.createDatabase('bouncer');
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('leader election behind PgBouncer', () => {
  it('refuses a transaction-pooling URL with a clear message and never becomes leader', async () => {
    const bouncer = await startPgBouncer({ pgPort: server.port, database: 'bouncer', password: 'partwarden-dev', poolMode: 'transaction' });
    try {
      const lease = new LeaderLease('main', dbConfig(bouncer.url), 'partwarden', silentLogger());
      expect(await lease.refresh()).toBe(false);
      expect(lease.problem).toMatch(/database "main": the URL goes through a transaction-pooling proxy \(PgBouncer pool_mode=transaction or similar\)/);
      expect(await lease.refresh()).toBe(false);
      await lease.release();
      // nothing is left holding partwarden's lock on the server
      const direct = new pg.Client(server.url('bouncer'));
      await direct.connect();
      const held = await direct.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = x'70617274'::int::oid`);
      await direct.end();
      expect(held.rows[0].n).toBe(0);
    } finally {
      await bouncer.stop();
    }
  });

  it('works through session pooling: one leader, the other replica a follower', async () => {
    const bouncer = await startPgBouncer({ pgPort: server.port, database: 'bouncer', password: 'partwarden-dev', poolMode: 'session' });
    try {
      const a = new LeaderLease('main', dbConfig(bouncer.url), 'partwarden', silentLogger());
      const b = new LeaderLease('main', dbConfig(bouncer.url), 'partwarden', silentLogger());
      expect(await a.refresh()).toBe(true);
      expect(await b.refresh()).toBe(false);
      expect(b.problem).toBeUndefined();
      await a.fence();
      await a.release();
      expect(await b.refresh()).toBe(true);
      await b.release();
    } finally {
      await bouncer.stop();
    }
  });
});
