import type pg from 'pg';
import { displayName } from '../config/qualified-name.js';
import { quoteQualified } from '../db/quote.js';
import { onCitus } from '../db/connect.js';
import { SQLSTATE, sqlstateOf } from '../db/sqlstate.js';
import type { PartitionRef } from '../model/refs.js';
import type { Step, StepName } from '../model/steps.js';
import { progressLogger } from '../progress.js';
import { failpoint } from '../testing/faults.js';
import { lockTableSql } from '../sql/copy.js';
import { anyRowSql } from '../sql/catalog.js';
import { dropSql, finalizeSql } from '../sql/ddl.js';
import { countRows, isDetachPending, relid, tableState } from '../db/relations.js';
import type { RetryPolicy } from '../db/retry.js';
import { inTransaction, withLockRetries } from '../db/retry.js';
import { runStep, StepFailed, type StepContext, type StepWork } from './step-runner.js';

/** What one action's steps share: the session, the retry policy, and the table they act on. */
export interface ActionRun extends StepContext {
  readonly retry: RetryPolicy;
  /** The OID of the table this action created or detached (set by create-table and detach). */
  oid: number | undefined;
}

/** One step kind's behaviour: `final` says whether it is the action's last step (journal). */
export type StepHandler = (r: ActionRun, step: Step, final: boolean) => Promise<void>;

/** The single statement of a one-statement step. */
function only(step: Step): string {
  const [statement, ...more] = step.sql;
  if (statement === undefined || more.length > 0) throw new Error(`step ${step.name} expects one statement, has ${step.sql.length}`);
  return statement;
}

/** One statement, retried; on a Citus coordinator in a transaction of its own, so that its SET LOCAL lock_timeout also bounds the workers' lock waits. */
const retried = (r: ActionRun, sql: string): Promise<StepWork<pg.QueryResult>> =>
  withLockRetries(r.retry, () => (onCitus(r.client) ? inTransaction(r.client, r.db.lockTimeoutMs, () => r.client.query(sql)) : r.client.query(sql)));
const inTx = <T>(r: ActionRun, body: () => Promise<T>) => withLockRetries(r.retry, () => inTransaction(r.client, r.db.lockTimeoutMs, body));

/**
 * CREATE TABLE and its journal entry commit together, so a crash can never leave a table
 * partwarden made without the record that lets the next run attach it; a sub-partitioned child
 * comes with all its sub-partitions, or not at all.
 */
const createTable: StepHandler = async (r, step, final) => {
  r.oid = await runStep(r, 'create-table', step.sql.join(';\n'), { final }, async (finish) => {
    const w = await withLockRetries(r.retry, (attempt) =>
      inTransaction(r.client, r.db.lockTimeoutMs, async () => {
        for (const statement of step.sql) await r.client.query(statement);
        const oid = (await relid(r.client, r.action.partition)) ?? undefined;
        await finish({ status: 'done', attempts: attempt, relid: oid });
        return oid;
      }),
    );
    return { value: w.value, attempts: w.attempts, relid: w.value, finished: true };
  });
};

/** ADD CONSTRAINT ... NOT VALID on DEFAULT; already there means an earlier attempt added it. */
const guardDefault: StepHandler = (r, step, final) =>
  runStep(r, 'guard-default', only(step), { final, relid: r.oid }, async () => {
    try {
      return await retried(r, only(step));
    } catch (err) {
      if (sqlstateOf(err) !== SQLSTATE.DUPLICATE_OBJECT) throw err;
      return { value: null, attempts: 1 };
    }
  }).then(() => undefined);

/**
 * VALIDATE scans DEFAULT while writes go on. Rows of the new range that reached DEFAULT before the
 * guard make it fail: the guard is removed, the empty new table dropped, and the next run sees
 * the rows (relocation or a default_rows violation).
 */
const validateGuard: StepHandler = (r, step, final) =>
  runStep(r, 'validate-guard', only(step), { final, relid: r.oid ?? relidOf(r) }, async () => {
    try {
      return await retried(r, only(step));
    } catch (err) {
      if (sqlstateOf(err) !== SQLSTATE.CHECK_VIOLATION) throw err;
      const guard = 'defaultGuard' in r.action ? r.action.defaultGuard : undefined;
      if (guard) await retried(r, guard.dropSql);
      const oid = r.oid ?? relidOf(r);
      const dropped = oid !== undefined && (await discardEmptyUnattached(r, r.action.partition, oid));
      throw new StepFailed(
        `DEFAULT partition ${guard ? displayName(guard.defaultPartition) : 'DEFAULT'} received rows of ${r.action.bounds} before ${displayName(r.action.partition)} was attached; guard removed` +
          `${dropped ? ' and the empty new table dropped' : ''}: the next run moves them (default.relocate: true) or reports them (default_rows)`,
        SQLSTATE.CHECK_VIOLATION,
      );
    }
  }).then(() => undefined);

const relidOf = (r: ActionRun): number | undefined => ('relid' in r.action ? r.action.relid : undefined);

/**
 * Drops a table this action created and never attached, if it is still that table, still not a
 * partition and still empty: the next run plans its range afresh. Anything else is left alone.
 */
async function discardEmptyUnattached(r: ActionRun, t: PartitionRef, oid: number): Promise<boolean> {
  const w = await inTx(r, async () => {
    const now = await tableState(r.client, t);
    if (now.oid !== oid || now.attached) return false;
    await r.client.query(lockTableSql(t, 'ACCESS EXCLUSIVE'));
    if ((await r.client.query(anyRowSql(t))).rowCount !== 0) return false;
    await r.client.query(dropSql(t));
    return true;
  }).catch(() => ({ value: false }));
  return w.value;
}

/** One batch at a time, each its own journaled step; rows in flight sit in the not-yet-attached table (never lost). */
const moveRows: StepHandler = async (r, step) => {
  const progress = progressLogger(r.log, 'moving rows out of DEFAULT');
  let total = 0;
  for (;;) {
    const moved = await runStep(r, 'move-rows', only(step), { final: false, relid: r.oid }, async () => {
      const w = await inTx(r, () => r.client.query(only(step)));
      return { value: w.value.rowCount ?? 0, attempts: w.attempts, rows: w.value.rowCount ?? 0 };
    });
    if (moved === 0) return;
    progress((total += moved), 'rows');
  }
};

/**
 * ATTACH (SHARE UPDATE EXCLUSIVE on the parent): alone, or in one transaction with the guard's DROP
 * CONSTRAINT, or after the last rows moved out of DEFAULT (`drain`: repeated until none moves).
 */
const attach: StepHandler = (r, step, final) =>
  runStep(r, 'attach', step.sql.join(';\n'), { final, relid: r.oid ?? relidOf(r) }, async (): Promise<StepWork<unknown>> => {
    if (!step.inTransaction) return retried(r, only(step));
    return inTx(r, async () => {
      for (const [i, statement] of step.sql.entries()) {
        if (i === step.drain) while (((await r.client.query(statement)).rowCount ?? 0) > 0);
        else await r.client.query(statement);
      }
    });
  }).then(() => undefined);

/**
 * DETACH, concurrently when planned, journaling the rows that leave the parent. If a concurrent
 * detach fails after its first phase, the partition is left "pending detach"
 * (pg_inherits.inhdetachpending): that is read from the catalog (not guessed from the error) and
 * completed with FINALIZE.
 */
const detach: StepHandler = async (r, step, final) => {
  const statement = only(step);
  const oid = await relid(r.client, r.action.partition);
  r.oid = oid ?? undefined;
  await runStep(r, 'detach', statement, { final, relid: r.oid }, async () => {
    const count = await countRows(r.client, r.action.partition);
    try {
      return { ...(await retried(r, statement)), relid: r.oid, ...count };
    } catch (err) {
      if (r.action.concurrently !== true || !(await isDetachPending(r.client, r.action.partition))) throw err;
      r.log.warn({ policy: r.action.policy, partition: r.action.partition.name }, 'concurrent detach interrupted; finalizing');
      return { ...(await retried(r, finalizeSql(r.parent, r.action.partition))), relid: r.oid, ...count };
    }
  });
};

/** DROP of a detached table, fenced by OID: only the very table that was detached, and only if it is not attached again. */
const drop: StepHandler = async (r, step, final) => {
  const statement = only(step);
  const expected = r.oid ?? relidOf(r) ?? (await relid(r.client, r.action.partition)) ?? undefined;
  await runStep(r, 'drop', statement, { final, relid: expected }, async () => {
    const w = await inTx(r, async () => {
      const name = quoteQualified(r.action.partition.schema, r.action.partition.name);
      const now = await tableState(r.client, r.action.partition);
      if (now.oid === null) return undefined;
      if (expected !== undefined && now.oid !== expected) throw new StepFailed(`${name} is not the table partwarden detached (OID ${now.oid}, expected ${expected}); not dropping it`);
      if (now.attached) throw new StepFailed(`${name} is attached to a partitioned table again; not dropping it`);
      const count = await countRows(r.client, r.action.partition);
      await r.client.query(statement);
      return count;
    });
    return { value: true, attempts: w.attempts, relid: expected, ...(w.value ? { rows: w.value.rows, rowsExact: w.value.rowsExact } : {}) };
  });
};

/**
 * convert-index: pairs of DROP INDEX CONCURRENTLY IF EXISTS + CREATE UNIQUE INDEX CONCURRENTLY. A
 * CREATE that failed (a lock not granted, a kill) leaves an INVALID index: the pair is retried
 * whole, so it is dropped before it is built again. Writes go on meanwhile (SHARE UPDATE EXCLUSIVE).
 */
const convertIndex: StepHandler = (r, step, final) =>
  runStep(r, 'convert-index', step.sql.join(';\n'), { final }, async () => {
    let attempts = 0;
    for (let i = 0; i + 1 < step.sql.length; i += 2) {
      const w = await withLockRetries(r.retry, async () => {
        await r.client.query(step.sql[i]!);
        await r.client.query(step.sql[i + 1]!);
      });
      attempts = Math.max(attempts, w.attempts);
    }
    return { value: undefined, attempts: Math.max(1, attempts) };
  });

/**
 * Statements that each take their lock under lock_timeout, retried one by one, outside a
 * transaction (finalize, drop-guard, ANALYZE: SHARE UPDATE EXCLUSIVE waits for no writer, the
 * convert steps that scan or validate while writes go on).
 */
const eachRetried = (name: StepName, relidFor: (r: ActionRun) => number | undefined = relidOf): StepHandler => (r, step, final) =>
  runStep(r, name, step.sql.join(';\n'), { final, relid: relidFor(r) }, async () => {
    let attempts = 1;
    for (const statement of step.sql) attempts = Math.max(attempts, (await retried(r, statement)).attempts);
    return { value: undefined, attempts };
  });

/** Statements in one transaction under lock_timeout, retried whole when a lock is not granted (a drift repair, convert's parent, swap, unswap). */
const oneTransaction = (name: StepName): StepHandler => (r, step, final) =>
  runStep(r, name, step.sql.join(';\n'), { final, relid: relidOf(r) }, () =>
    inTx(r, async () => {
      for (const statement of step.sql) await r.client.query(statement);
      failpoint(`mid:${name}`); // a kill -9 before COMMIT: PostgreSQL rolls all of it back
    }),
  ).then(() => undefined);

/** The handler of every step kind the executor runs itself (the archive pipeline runs export .. drop of archives). */
export const HANDLERS: Readonly<Record<Exclude<StepName, 'export' | 'verify' | 'manifest'>, StepHandler>> = {
  'create-table': createTable,
  'guard-default': guardDefault,
  'validate-guard': validateGuard,
  'move-rows': moveRows,
  attach,
  detach,
  finalize: eachRetried('finalize'),
  drop,
  'drop-guard': eachRetried('drop-guard'),
  analyze: eachRetried('analyze', (r) => r.oid),
  'set-access-method': oneTransaction('set-access-method'),
  repair: oneTransaction('repair'),
  'convert-index': convertIndex,
  'convert-parent': oneTransaction('convert-parent'),
  'convert-check': eachRetried('convert-check'),
  'convert-validate': eachRetried('convert-validate'),
  'convert-swap': oneTransaction('convert-swap'),
  'convert-finish': eachRetried('convert-finish'),
  'convert-undo': eachRetried('convert-undo'),
  'convert-unswap': oneTransaction('convert-unswap'),
};
