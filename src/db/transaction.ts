import type pg from 'pg';

/** Runs statements in one transaction under `lock_timeout` (each statement its own query); rolls back on any error. */
export async function inTransaction<T>(client: pg.Client, lockTimeoutMs: number, body: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.round(lockTimeoutMs)}`);
    const value = await body();
    await client.query('COMMIT');
    return value;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
