import type pg from 'pg';
import type { DatabaseConfig } from '../config/types.js';
import { connect } from '../db/connect.js';
import type { Logger } from '../log.js';

/** What pg_stat_progress_create_index says about the session building an index (PostgreSQL 12+). */
const INDEX_PROGRESS_SQL = `SELECT phase, blocks_done::float8 AS done, blocks_total::float8 AS total, tuples_done::float8 AS tuples
  FROM pg_stat_progress_create_index WHERE pid = $1`;

/**
 * While `work` runs on `client`, logs the progress of the index it builds every `everyMs` (a
 * CREATE INDEX CONCURRENTLY of a big table takes hours: a DBA watching the logs sees it move).
 * Watches from a second session; a watcher that cannot connect only costs the progress lines.
 */
export async function withIndexProgress<T>(db: DatabaseConfig, client: pg.Client, log: Logger, work: () => Promise<T>, everyMs = 10_000): Promise<T> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  let watcher: pg.Client | undefined;
  const started = Date.now();
  const timer = setInterval(() => {
    void (async () => {
      watcher ??= await connect(db, 'partwarden-convert-progress');
      const r = (await watcher.query<{ phase: string; done: number; total: number; tuples: number }>(INDEX_PROGRESS_SQL, [pid])).rows[0];
      if (r) log.info({ phase: r.phase, percent: r.total > 0 ? Math.round((100 * r.done) / r.total) : null, tuples: r.tuples, seconds: Math.round((Date.now() - started) / 1000) }, 'convert: building index');
    })().catch(() => undefined);
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await watcher?.end().catch(() => undefined);
  }
}
