import type pg from 'pg';
import type { Logger } from 'pino';
import { displayName } from '../config/qualified-name.js';
import type { ArchiveSpec, DatabaseConfig } from '../config/types.js';
import { archivePartition } from '../archive/archive-partition.js';
import type { Storage } from '../archive/storage.js';
import { scrubSecrets } from '../db/connect.js';
import { quoteQualified } from '../db/quote.js';
import { SQLSTATE, sqlstateOf } from '../db/sqlstate.js';
import type { Action, DefaultGuard, PartitionRef } from '../planner/actions.js';
import { failpoint, pausepoint } from '../testing/faults.js';
import { progressLogger } from '../progress.js';
import { dropSql, finalizeSql } from '../sql/ddl.js';
import { lockTableSql } from '../sql/copy.js';
import { FENCED_PREFIX, Journal, newId, type StepResult } from './journal.js';
import { inTransaction, LockRetriesExhaustedError, withLockRetries, type RetryPolicy } from './retry.js';

export interface ActionOutcome {
  readonly action: Action;
  readonly status: 'done' | 'failed' | 'skipped';
  readonly error?: string;
  readonly sqlstate?: string;
  readonly durationMs: number;
  /** Archive actions: what the manifest records. */
  readonly archived?: { readonly rows: number; readonly bytes: number };
}

export interface ExecContext {
  readonly client: pg.Client;
  readonly db: DatabaseConfig;
  readonly journal: Journal;
  readonly runId: string;
  readonly parent: PartitionRef;
  readonly log: Logger;
  readonly retry: RetryPolicy;
  /** Present when the config has storage; the probe runs once, on the first archive. */
  readonly archive?: ArchiveRuntime;
  /** The database's name in the config (archive keys start with it). */
  readonly database: string;
  /** The policy's archive settings, for archive actions. */
  readonly archiveSpec?: ArchiveSpec;
  /** Leader fencing: throws when this process lost the right to change the database. Called before destructive steps. */
  readonly fence?: () => Promise<void>;
}

export interface ArchiveRuntime {
  readonly storage: Storage;
  /** Resolves when the storage answered its startup probe (memoized per reconcile). */
  ready(): Promise<void>;
}

/** Steps that remove a partition from its table or a table from the database. */
const DESTRUCTIVE_STEPS: ReadonlySet<string> = new Set(['detach', 'drop']);

/** The fence refused (this replica lost leadership); journaled with FENCED_PREFIX. */
class FencedError extends Error {
  constructor(cause: unknown) {
    super(`${FENCED_PREFIX}${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A step that failed: its name in the message, the original error as `cause`. */
class StepFailed extends Error {
  constructor(message: string, readonly sqlstate?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** OID of a relation by name (null when it does not exist). */
async function relid(client: pg.Client, t: PartitionRef): Promise<number | null> {
  const r = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::int8 AS oid', [quoteQualified(t.schema, t.name)]);
  return r.rows[0]!.oid === null ? null : Number(r.rows[0]!.oid);
}

/** A table's OID and whether it is a partition now, by name (oid null when it does not exist). */
async function tableState(client: pg.Client, name: string): Promise<{ oid: number | null; attached: boolean }> {
  const r = await client.query<{ oid: string | null; attached: boolean | null }>('SELECT c.oid::int8 AS oid, c.relispartition AS attached FROM pg_class c WHERE c.oid = to_regclass($1)', [name]);
  const row = r.rows[0];
  return { oid: row?.oid ? Number(row.oid) : null, attached: row?.attached === true };
}

/** Rows counted exactly at removal up to this many; above it the planner's estimate is journaled (rows_exact false). */
const REMOVAL_COUNT_LIMIT = 1_000_000;

/** A partition's rows for the audit trail: exact up to REMOVAL_COUNT_LIMIT, else reltuples. */
async function countRows(client: pg.Client, t: PartitionRef): Promise<{ rows: number; rowsExact: boolean }> {
  const name = quoteQualified(t.schema, t.name);
  const r = await client.query<{ n: string; est: number }>(
    `SELECT (SELECT count(*) FROM (SELECT 1 FROM ${name} LIMIT ${REMOVAL_COUNT_LIMIT + 1}) s)::int8 AS n, (SELECT reltuples FROM pg_class WHERE oid = $1::regclass)::float8 AS est`,
    [name],
  );
  const n = Number(r.rows[0]!.n);
  return n <= REMOVAL_COUNT_LIMIT ? { rows: n, rowsExact: true } : { rows: Math.max(n, Math.round(r.rows[0]!.est)), rowsExact: false };
}

async function isDetachPending(client: pg.Client, child: PartitionRef): Promise<boolean> {
  const r = await client.query<{ pending: boolean }>(
    'SELECT i.inhdetachpending AS pending FROM pg_inherits i WHERE i.inhrelid = to_regclass($1)',
    [quoteQualified(child.schema, child.name)],
  );
  return r.rows[0]?.pending === true;
}

/**
 * Runs one planned action, step by step, each step journaled before and after. A failure stops
 * the action where it is; what was done is in the journal and the catalog, and the next run's
 * plan picks it up from there.
 */
export async function executeAction(given: ExecContext, action: Action): Promise<ActionOutcome> {
  const outerFence = given.fence;
  const ctx: ExecContext = outerFence ? { ...given, fence: () => outerFence().catch((err: unknown) => Promise.reject(new FencedError(err))) } : given;
  const started = Date.now();
  const actionId = ('actionId' in action && action.actionId) || newId();
  const log = ctx.log.child({ policy: action.policy, partition: action.partition.name, action: action.kind });
  const { client, journal } = ctx;

  type StepRun<T> = (finishInTransaction: (r: StepResult) => Promise<void>) => Promise<{ value: T; attempts: number; relid?: number; rows?: number; rowsExact?: boolean; finished?: boolean }>;
  const step = async <T>(name: string, sql: string, final: boolean, run: StepRun<T>, relidHint?: number, storageKey?: string): Promise<T> => {
    // fencing: a replica that lost leadership must not detach or drop anything
    if (DESTRUCTIVE_STEPS.has(name)) {
      await pausepoint(`before:${name}`);
      await ctx.fence?.();
    }
    const id = await journal.start(client, {
      actionId, runId: ctx.runId, policy: action.policy, parent: action.parent ?? ctx.parent, partition: action.partition,
      relid: relidHint, action: action.kind, step: name, final, boundSql: action.boundSql, sql, bounds: action.bounds, reason: action.reason, storageKey,
    });
    const t0 = Date.now();
    try {
      const r = await run((result) => journal.finish(client, id, result));
      failpoint(`before-journal:${name}`);
      const result: StepResult = { status: 'done', attempts: r.attempts, relid: r.relid, rows: r.rows, ...(r.rowsExact === false ? { rowsExact: false } : {}) };
      if (!r.finished) await journal.finish(client, id, result);
      failpoint(`after:${name}`);
      log.debug({ step: name, ms: Date.now() - t0, attempts: r.attempts }, 'step done');
      return r.value;
    } catch (err) {
      const sqlstate = err instanceof LockRetriesExhaustedError ? err.sqlstate : sqlstateOf(err);
      const attempts = err instanceof LockRetriesExhaustedError ? err.attempts : 1;
      const message = scrubSecrets(err instanceof Error ? err.message : String(err), ctx.db);
      await journal.finish(client, id, { status: 'failed', attempts, sqlstate, error: message }).catch(() => undefined);
      throw new StepFailed(`${name}: ${message}`, sqlstate, { cause: err });
    }
  };
  const retried = (sql: string) => withLockRetries(ctx.retry, () => client.query(sql));
  /**
   * CREATE TABLE and its journal entry commit together, so a crash can never leave a table
   * partwarden made without the record that lets the next run attach it.
   */
  const createTable = async (creates: readonly string[], finish: (r: StepResult) => Promise<void>) => {
    const r = await withLockRetries(ctx.retry, (attempt) =>
      inTransaction(client, ctx.db.lockTimeoutMs, async () => {
        // a sub-partitioned child comes with all its sub-partitions, or not at all
        for (const create of creates) await client.query(create);
        const oid = (await relid(client, action.partition)) ?? undefined;
        await finish({ status: 'done', attempts: attempt, relid: oid });
        return oid;
      }),
    );
    return { value: r.value, attempts: r.attempts, relid: r.value, finished: true };
  };
  /** Moves the rows still in DEFAULT and attaches, in one transaction: nothing can be left behind. */
  const moveRestAndAttach = (moveSql: string, attachStatement: string) =>
    withLockRetries(ctx.retry, () =>
      inTransaction(client, ctx.db.lockTimeoutMs, async () => {
        while (((await client.query(moveSql)).rowCount ?? 0) > 0);
        return client.query(attachStatement);
      }),
    );

  /**
   * ATTACH next to a DEFAULT partition without scanning it: the DEFAULT gets a CHECK excluding the
   * new rows (NOT VALID: brief lock, no scan), VALIDATE scans it while writes go on, and ATTACH
   * plus the constraint's DROP commit together. Rows of the range that reached DEFAULT before the
   * constraint fail VALIDATE: the constraint is removed and the action fails, and the next run
   * sees the rows (relocation or a default_rows violation).
   */
  const guardedAttach = async (guard: DefaultGuard, attach: string, relidHint?: number) => {
    const def = displayName(guard.defaultPartition);
    if (guard.addSql) {
      const add = guard.addSql;
      await step('guard-default', add, false, async () => {
        try {
          return await retried(add);
        } catch (err) {
          if (sqlstateOf(err) !== SQLSTATE.DUPLICATE_OBJECT) throw err; // already there: an earlier attempt added it
          return { value: null, attempts: 1 };
        }
      }, relidHint);
    }
    await step('validate-guard', guard.validateSql, false, async () => {
      try {
        return await retried(guard.validateSql);
      } catch (err) {
        if (sqlstateOf(err) !== SQLSTATE.CHECK_VIOLATION) throw err;
        await retried(guard.dropSql);
        const dropped = relidHint !== undefined && (await discardEmptyUnattached(action.partition, relidHint));
        throw new StepFailed(
          `DEFAULT partition ${def} received rows of ${action.bounds} before ${displayName(action.partition)} was attached; guard removed` +
            `${dropped ? ' and the empty new table dropped' : ''}: the next run moves them (default.relocate: true) or reports them (default_rows)`,
          SQLSTATE.CHECK_VIOLATION,
        );
      }
    }, relidHint);
    await step('attach', `${attach};\n${guard.dropSql}`, true, () =>
      withLockRetries(ctx.retry, () =>
        inTransaction(client, ctx.db.lockTimeoutMs, async () => {
          const r = await client.query(attach);
          await client.query(guard.dropSql);
          return r;
        }),
      ),
    relidHint);
  };
  /**
   * Drops a table this action created and never attached, if it is still that table, still not a
   * partition and still empty: the next run plans its range afresh. Anything else is left alone.
   */
  const discardEmptyUnattached = async (t: PartitionRef, oid: number): Promise<boolean> => {
    const name = quoteQualified(t.schema, t.name);
    const r = await withLockRetries(ctx.retry, () =>
      inTransaction(client, ctx.db.lockTimeoutMs, async () => {
        const now = await tableState(client, name);
        if (now.oid !== oid || now.attached) return false;
        await client.query(lockTableSql(t, 'ACCESS EXCLUSIVE'));
        if ((await client.query(`SELECT 1 FROM ${name} LIMIT 1`)).rowCount !== 0) return false;
        await client.query(dropSql(t));
        return true;
      }),
    ).catch(() => ({ value: false }));
    return r.value;
  };
  const attachStatementOf = (a: Action) => (a.kind === 'create' || a.kind === 'attach') && a.defaultGuard ? a.sql[a.sql.length - 2]! : a.sql[a.sql.length - 1]!;

  let archived: ActionOutcome['archived'];
  try {
    switch (action.kind) {
      case 'create': {
        const attach = attachStatementOf(action);
        const oid = await step('create-table', action.createSql.join(';\n'), false, (finish) => createTable(action.createSql, finish));
        if (action.defaultGuard) await guardedAttach(action.defaultGuard, attach, oid);
        else await step('attach', attach, true, () => retried(attach));
        break;
      }
      case 'cleanup': {
        await step('drop-guard', action.sql[0]!, true, () => retried(action.sql[0]!));
        break;
      }
      case 'relocate': {
        const attach = action.sql[action.sql.length - 1]!;
        await step('create-table', action.createSql.join(';\n'), false, (finish) => createTable(action.createSql, finish));
        // Batches commit one by one; rows in flight sit in the not-yet-attached table (never lost).
        const progress = progressLogger(log, 'moving rows out of DEFAULT');
        let movedTotal = 0;
        for (;;) {
          const moved = await step('move-rows', action.moveBatchSql, false, async () => {
            const r = await withLockRetries(ctx.retry, () => inTransaction(client, ctx.db.lockTimeoutMs, () => client.query(action.moveBatchSql)));
            return { value: r.value.rowCount ?? 0, attempts: r.attempts, rows: r.value.rowCount ?? 0 };
          });
          if (moved === 0) break;
          progress((movedTotal += moved), 'rows');
        }
        // Last rows and ATTACH in one transaction: rows inserted meanwhile cannot be left behind.
        await step('attach', attach, true, () => moveRestAndAttach(action.moveBatchSql, attach));
        break;
      }
      case 'attach': {
        const attach = attachStatementOf(action);
        const move = action.moveBatchSql;
        if (action.defaultGuard) await guardedAttach(action.defaultGuard, attach, action.relid);
        else await step('attach', attach, true, () => (move ? moveRestAndAttach(move, attach) : retried(attach)), action.relid);
        break;
      }
      case 'finalize': {
        await step('finalize', action.sql[0]!, true, () => retried(action.sql[0]!));
        break;
      }
      case 'detach': {
        await detachStep(action, false);
        break;
      }
      case 'archive': {
        const runtime = ctx.archive;
        const spec = ctx.archiveSpec;
        if (!runtime || !spec) throw new StepFailed('retention.action archive needs a storage: section in the config');
        const backoff = await journal.archiveBackoff(client, action.policy, action.partition);
        if (backoff) {
          log.warn({ retryAfter: backoff.retryAfter, failures: backoff.failures }, 'archive backing off after failures');
          return { action, status: 'skipped', error: `backing off after ${backoff.failures} failed attempt(s); next attempt after ${backoff.retryAfter}`, durationMs: 0 };
        }
        // Storage first: when S3 is down nothing is detached, and the rest of the plan goes on.
        await runtime.ready();
        let oid = action.relid ?? (await relid(client, action.partition));
        if (!action.resume) oid = await detachStep(action, false);
        if (oid === null) throw new StepFailed(`${displayName(action.partition)} does not exist`);
        const manifest = await archivePartition({
          client, db: ctx.db, storage: runtime.storage, policy: action.policy, database: ctx.database, parent: ctx.parent,
          table: action.partition, relid: oid, boundSql: action.boundSql, spec,
          step: (name, sql, final, run, storageKey) => step(name, sql, final, run, oid ?? undefined, storageKey),
          unfinishedUploads: () => journal.unfinishedUploads(client, action.policy, action.partition),
          inLockedTransaction: (body) => withLockRetries(ctx.retry, () => inTransaction(client, ctx.db.lockTimeoutMs, body)),
          ...(ctx.fence ? { fence: ctx.fence } : {}),
          onProgress: ((report) => (bytes: number) => report(bytes, 'bytes'))(progressLogger(log, 'archive export in progress')),
        });
        archived = { rows: manifest.rows, bytes: manifest.bytes };
        break;
      }
      case 'drop': {
        const dropStatement = action.sql[action.sql.length - 1]!;
        let expected = action.relid ?? (await relid(client, action.partition));
        if (action.sql.length === 2) expected = await detachStep(action, false);
        await step('drop', dropStatement, true, async () => {
          const r = await withLockRetries(ctx.retry, () =>
            inTransaction(client, ctx.db.lockTimeoutMs, async () => {
              // Fence: drop only the very table that was detached, and only if it is not attached.
              const name = quoteQualified(action.partition.schema, action.partition.name);
              const now = await tableState(client, name);
              if (now.oid === null) return 'gone';
              if (expected !== null && now.oid !== expected) throw new StepFailed(`${name} is not the table partwarden detached (OID ${now.oid}, expected ${expected}); not dropping it`);
              if (now.attached) throw new StepFailed(`${name} is attached to a partitioned table again; not dropping it`);
              const count = await countRows(client, action.partition);
              await client.query(dropStatement);
              return { dropped: true, ...count };
            }),
          );
          const v = r.value;
          return { value: v, attempts: r.attempts, relid: expected ?? undefined, ...(v === 'gone' ? {} : { rows: v.rows, rowsExact: v.rowsExact }) };
        }, expected ?? undefined);
        break;
      }
    }
    const durationMs = Date.now() - started;
    log.info({ ms: durationMs, bounds: action.bounds }, `${action.kind} ${displayName(action.partition)}`);
    return { action, status: 'done', durationMs, ...(archived ? { archived } : {}) };
  } catch (err) {
    const durationMs = Date.now() - started;
    const message = err instanceof Error ? err.message : String(err);
    const sqlstate = err instanceof StepFailed ? err.sqlstate : sqlstateOf(err);
    log.error({ ms: durationMs, sqlstate, err: message }, `${action.kind} ${displayName(action.partition)} failed`);
    return { action, status: 'failed', error: message, sqlstate, durationMs };
  }

  /**
   * DETACH, concurrently when planned. If a concurrent detach fails after its first phase, the
   * partition is left "pending detach" (pg_inherits.inhdetachpending): that is read from the
   * catalog (not guessed from the error code) and completed with FINALIZE.
   */
  async function detachStep(a: Action, final: boolean): Promise<number | null> {
    const statement = a.sql[0]!;
    const oid = await relid(client, a.partition);
    await step('detach', statement, final || a.kind === 'detach', async () => {
      // the audit trail: how many rows left the parent with this partition
      const count = await countRows(client, a.partition);
      try {
        const r = await retried(statement);
        return { ...r, relid: oid ?? undefined, ...count };
      } catch (err) {
        if (!a.concurrently || !(await isDetachPending(client, a.partition))) throw err;
        ctx.log.warn({ policy: a.policy, partition: a.partition.name }, 'concurrent detach interrupted; finalizing');
        const r = await retried(finalizeSql(ctx.parent, a.partition));
        return { ...r, relid: oid ?? undefined, ...count };
      }
    }, oid ?? undefined);
    return oid;
  }
}
