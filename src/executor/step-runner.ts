import type pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/types.js';
import { scrubSecrets } from '../db/connect.js';
import { sqlstateOf } from '../db/sqlstate.js';
import type { StepName } from '../model/steps.js';
import type { Action, PartitionRef } from '../planner/actions.js';
import { failpoint, pausepoint } from '../testing/faults.js';
import { FENCED_PREFIX, type Journal, type StepResult } from './journal.js';
import { LockRetriesExhaustedError } from '../db/retry.js';

/** Steps that remove a partition from its table or a table from the database: fenced. */
const DESTRUCTIVE: ReadonlySet<StepName> = new Set<StepName>(['detach', 'drop']);

/** The fence refused (this replica lost leadership); journaled with FENCED_PREFIX. */
export class FencedError extends Error {
  constructor(cause: unknown) {
    super(`${FENCED_PREFIX}${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A step that failed: its name in the message, the original error as `cause`. */
export class StepFailed extends Error {
  constructor(message: string, readonly sqlstate?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What a step's work reports back; `finished`: it wrote its journal result itself (in its own transaction). */
export interface StepWork<T> {
  readonly value: T;
  readonly attempts: number;
  readonly relid?: number;
  readonly rows?: number;
  readonly rowsExact?: boolean;
  readonly finished?: boolean;
}

export type StepRun<T> = (finishInTransaction: (r: StepResult) => Promise<void>) => Promise<StepWork<T>>;

export interface StepContext {
  readonly client: pg.Client;
  readonly db: DatabaseConfig;
  readonly journal: Journal;
  readonly runId: string;
  readonly actionId: string;
  readonly action: Action;
  /** The policy's table (the action's parent unless it names one). */
  readonly parent: PartitionRef;
  readonly log: Logger;
  readonly fence?: () => Promise<void>;
}

export interface StepOptions {
  readonly final: boolean;
  readonly relid?: number;
  readonly storageKey?: string;
}

/**
 * Runs one step: fenced when destructive, journaled before and after (a crash point on each side
 * for the kill -9 tests), and turned into a StepFailed naming the step on failure (secrets scrubbed).
 */
export async function runStep<T>(c: StepContext, name: StepName, sql: string, o: StepOptions, run: StepRun<T>): Promise<T> {
  if (DESTRUCTIVE.has(name)) {
    await pausepoint(`before:${name}`);
    await c.fence?.();
  }
  const { action, client, journal } = c;
  const id = await journal.start(client, {
    actionId: c.actionId, runId: c.runId, policy: action.policy, parent: action.parent ?? c.parent, partition: action.partition,
    relid: o.relid, action: action.kind, step: name, final: o.final, boundSql: action.boundSql, sql, bounds: action.bounds, reason: action.reason, storageKey: o.storageKey,
  });
  const t0 = Date.now();
  try {
    const r = await run((result) => journal.finish(client, id, result));
    failpoint(`before-journal:${name}`);
    if (!r.finished) await journal.finish(client, id, { status: 'done', attempts: r.attempts, relid: r.relid, rows: r.rows, ...(r.rowsExact === false ? { rowsExact: false } : {}) });
    failpoint(`after:${name}`);
    c.log.debug({ step: name, ms: Date.now() - t0, attempts: r.attempts }, 'step done');
    return r.value;
  } catch (err) {
    const sqlstate = err instanceof LockRetriesExhaustedError ? err.sqlstate : sqlstateOf(err);
    const attempts = err instanceof LockRetriesExhaustedError ? err.attempts : 1;
    const message = scrubSecrets(err instanceof Error ? err.message : String(err), c.db);
    await journal.finish(client, id, { status: 'failed', attempts, sqlstate, error: message }).catch(() => undefined);
    throw new StepFailed(`${name}: ${message}`, sqlstate, { cause: err });
  }
}
