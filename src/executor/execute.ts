import type pg from 'pg';
import type { Logger } from 'pino';
import { displayName } from '../config/qualified-name.js';
import type { ArchiveSpec, DatabaseConfig } from '../config/types.js';
import { archivePartition } from '../archive/archive-partition.js';
import type { Storage } from '../archive/storage.js';
import { sqlstateOf } from '../db/sqlstate.js';
import type { Action, PartitionRef } from '../planner/actions.js';
import { progressLogger } from '../progress.js';
import { relid } from '../db/relations.js';
import { HANDLERS, type ActionRun } from './handlers.js';
import { Journal, newId } from './journal.js';
import { inTransaction, withLockRetries, type RetryPolicy } from '../db/retry.js';
import { FencedError, runStep, StepFailed } from './step-runner.js';

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

/**
 * Runs one planned action: a small interpreter of its steps (model/steps.ts), each journaled
 * before and after. The archive pipeline is the one hook that runs several steps (export, verify,
 * manifest, drop) itself. A failure stops the action where it is; what was done is in the journal
 * and the catalog, and the next run's plan picks it up from there.
 */
export async function executeAction(ctx: ExecContext, action: Action): Promise<ActionOutcome> {
  const started = Date.now();
  const log = ctx.log.child({ policy: action.policy, partition: action.partition.name, action: action.kind });
  const outer = ctx.fence;
  const run: ActionRun = {
    client: ctx.client, db: ctx.db, journal: ctx.journal, runId: ctx.runId, action, parent: ctx.parent, log, retry: ctx.retry, oid: undefined,
    actionId: ('actionId' in action && action.actionId) || newId(),
    ...(outer ? { fence: () => outer().catch((err: unknown) => Promise.reject(new FencedError(err))) } : {}),
  };
  let archived: ActionOutcome['archived'];
  try {
    if (action.kind === 'archive') {
      const skipped = await archivePreflight(ctx, action, log);
      if (skipped) return { action, status: 'skipped', error: skipped, durationMs: 0 };
    }
    const last = action.steps.length - 1;
    for (const [i, step] of action.steps.entries()) {
      if (step.name === 'export' || step.name === 'verify' || step.name === 'manifest') {
        archived = await runArchive(ctx, run, action);
        break;
      }
      await HANDLERS[step.name](run, step, i === last);
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
}

/**
 * Before an archive detaches anything: storage must be configured and answer its probe (when S3
 * is down nothing is detached, and the rest of the plan goes on), and a partition whose recent
 * attempts failed at the store waits (backoff). Returns why the action is skipped, if it is.
 */
async function archivePreflight(ctx: ExecContext, action: Action, log: Logger): Promise<string | undefined> {
  if (!ctx.archive || !ctx.archiveSpec) throw new StepFailed('retention.action archive needs a storage: section in the config');
  const backoff = await ctx.journal.archiveBackoff(ctx.client, action.policy, action.partition);
  if (backoff) {
    log.warn({ retryAfter: backoff.retryAfter, failures: backoff.failures }, 'archive backing off after failures');
    return `backing off after ${backoff.failures} failed attempt(s); next attempt after ${backoff.retryAfter}`;
  }
  await ctx.archive.ready();
  return undefined;
}

/** The archive pipeline hook: export, verify, manifest, and the proven drop (archive/archive-partition.ts). */
async function runArchive(ctx: ExecContext, run: ActionRun, action: Action): Promise<ActionOutcome['archived']> {
  const oid = run.oid ?? ('relid' in action ? action.relid : undefined) ?? (await relid(ctx.client, action.partition)) ?? undefined;
  if (oid === undefined) throw new StepFailed(`${displayName(action.partition)} does not exist`);
  const manifest = await archivePartition({
    client: ctx.client, db: ctx.db, storage: ctx.archive!.storage, policy: action.policy, database: ctx.database, parent: ctx.parent,
    table: action.partition, relid: oid, boundSql: action.boundSql, spec: ctx.archiveSpec!,
    step: (name, sql, final, work, storageKey) => runStep(run, name, sql, { final, relid: oid, ...(storageKey ? { storageKey } : {}) }, work),
    unfinishedUploads: () => ctx.journal.unfinishedUploads(ctx.client, action.policy, action.partition),
    inLockedTransaction: (body) => withLockRetries(ctx.retry, () => inTransaction(ctx.client, ctx.db.lockTimeoutMs, body)),
    ...(run.fence ? { fence: run.fence } : {}),
    onProgress: ((report) => (bytes: number) => report(bytes, 'bytes'))(progressLogger(run.log, 'archive export in progress')),
  });
  return { rows: manifest.rows, bytes: manifest.bytes };
}
