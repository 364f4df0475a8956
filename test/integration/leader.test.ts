import { describe, expect, it } from 'vitest';
import { LeaderLease } from '../../src/daemon/leader.js';
import { silentLogger } from '../../src/log.js';
import { useDatabase } from '../helpers/db.js';

const db = useDatabase();
const dbConfig = () => ({ name: 'main', url: db.url, lockTimeoutMs: 1000, statementTimeoutMs: 0, lockRetries: 1, retryDelayMs: 10 });

describe('leader lease', () => {
  it('a killed lock session ends leadership at once, and the first error is what is reported', async () => {
    const changes: boolean[] = [];
    const lease = new LeaderLease('main', dbConfig(), 'partwarden', silentLogger(), (leader) => changes.push(leader));
    expect(await lease.refresh()).toBe(true);
    expect(changes).toEqual([true]);
    await db.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'partwarden-leader' AND datname = current_database()`);
    for (let i = 0; i < 50 && lease.isLeader; i++) await new Promise((r) => setTimeout(r, 20));
    // no refresh needed: the connection's own error ended it, and the gauge was told
    expect(lease.isLeader).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(lease.problem).toMatch(/lock connection error: terminating connection due to administrator command/);
    await lease.fence().then(() => { throw new Error('fence passed'); }, (err: Error) => expect(err.name).toBe('LeaderLostError'));
    // and it comes back on the next refresh
    expect(await lease.refresh()).toBe(true);
    expect(lease.problem).toBeUndefined();
    await lease.release();
  });
});
