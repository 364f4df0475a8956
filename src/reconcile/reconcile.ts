import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, DatabaseConfig, Policy } from '../config/types.js';
import { connect, serverVersionNum } from '../db/connect.js';
import { executeAction, type ActionOutcome, type ArchiveRuntime } from '../executor/execute.js';
import { openStorage } from '../archive/open-storage.js';
import { Journal, newId } from '../executor/journal.js';
import type { PolicyPlan } from '../planner/actions.js';
import type { Logger } from '../log.js';
import { collectHealth, type PolicyStatus } from './assess-health.js';
import { observe, type PolicyObservation } from './observe.js';
import { planPolicy, type RemovalOptions } from './plan-policy.js';
import { DEFAULT_CLOCK_TOLERANCE_MS, describeSkew, readClock, type ClockReading, type ClockSource } from './db-clock.js';

export interface ReconcileRequest {
  readonly config: Config;
  readonly policies: readonly Policy[];
  /** The requested instant (clock 'fixed'/'simulated'), or the process clock's reading (clock 'database'). */
  readonly nowMs: number;
  /** Where "now" comes from (default 'database': the server's clock decides retention and premake). */
  readonly clock?: ClockSource;
  /** Reads the process clock, to measure its skew against the database's (default: Date.now). */
  readonly processClock?: () => number;
  /** apply --allow-mass-removal: confirms removals the retention guard refuses. */
  readonly allowMassRemoval?: boolean;
  /** false: observe and plan only (plan, apply --dry-run). */
  readonly execute: boolean;
  readonly log: Logger;
  /** Also evaluate the health rules (after the actions ran): status, the daemon. */
  readonly health?: boolean;
  /** Databases whose actions may run (leader election); others are planned and assessed only. Default: all. */
  readonly mayExecute?: (database: string) => boolean;
  /** Checked between actions: once aborted, no further action starts (shutdown). */
  readonly signal?: AbortSignal;
  /** Called right before a destructive step (detach, drop); throws when this process may no longer change the database. */
  readonly fence?: (database: string) => Promise<void>;
}

export interface DatabaseReport {
  readonly database: string;
  readonly plans: readonly PolicyPlan[];
  readonly outcomes: readonly ActionOutcome[];
  /** Set when the database could not be reached or read at all. */
  readonly error?: string;
  /** With `health: true`: each policy's state after this reconcile, violations included. */
  readonly health?: readonly PolicyStatus[];
  /** Whether actions were executed (false on a follower or a dry run). */
  readonly executed?: boolean;
  /** The clocks of this reconcile: the instant planned at, the database's, their skew. */
  readonly clock?: ClockReading;
}

/** One reconcile of every given policy: observe -> plan -> (execute). */
export async function reconcile(req: ReconcileRequest): Promise<DatabaseReport[]> {
  const byDb = new Map<string, Policy[]>();
  for (const p of req.policies) {
    const list = byDb.get(p.database) ?? [];
    list.push(p);
    byDb.set(p.database, list);
  }
  const reports: DatabaseReport[] = [];
  for (const [database, policies] of byDb) reports.push(await reconcileDatabase(req, database, policies));
  return reports;
}

/** Waits `ms`, or less when `signal` aborts (shutdown does not wait for a pause). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
}

/** Orphaned multipart uploads older than this are aborted (crashed runs; a bucket lifecycle rule is the backstop). */
const STALE_UPLOAD_MS = 24 * 3600_000;

/**
 * Storage for archive actions, probed once, on first use (nothing is detached while it is down);
 * the same first use sweeps multipart uploads that crashed runs left under the prefix.
 */
function archiveRuntime(config: Config, log: Logger): ArchiveRuntime | undefined {
  if (!config.storage) return undefined;
  const storage = openStorage(config.storage);
  let probe: Promise<void> | undefined;
  const ready = async () => {
    await storage.probe();
    const aborted = await storage.abortStaleUploads('', STALE_UPLOAD_MS).catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, 'could not sweep stale multipart uploads');
      return 0;
    });
    if (aborted > 0) log.info({ aborted, storage: storage.location }, 'aborted stale multipart uploads');
  };
  return { storage, ready: () => (probe ??= ready()) };
}

/** The database's clock (or the requested instant) for this reconcile; a warning when the process's clock is far from it. */
async function clockOf(client: pg.Client, req: ReconcileRequest, log: Logger): Promise<ClockReading> {
  const toleranceMs = req.config.clockSkewToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
  const clock = await readClock(client, { source: req.clock ?? 'database', requestedMs: req.nowMs, processClock: req.processClock ?? (() => Date.now()), toleranceMs });
  if (Math.abs(clock.skewSeconds) * 1000 > toleranceMs) {
    log.warn({ skewSeconds: clock.skewSeconds }, `this process's clock is ${describeSkew(clock.skewSeconds)} the database's: the database's clock decides premake and retention`);
  }
  return clock;
}

/** One database's reconcile: its session, clock and settings, shared by the steps below. */
interface DatabaseRun {
  readonly req: ReconcileRequest;
  readonly database: string;
  readonly db: DatabaseConfig;
  readonly client: pg.Client;
  readonly log: Logger;
  readonly journal: Journal;
  readonly version: number;
  readonly nowMs: number;
  readonly removal: RemovalOptions;
  readonly runId: string;
  readonly archive: ArchiveRuntime | undefined;
  /** Actions started so far (actionPause waits between them). */
  ran: number;
}

async function reconcileDatabase(req: ReconcileRequest, database: string, policies: Policy[]): Promise<DatabaseReport> {
  const db = req.config.databases.get(database)!;
  const log = req.log.child({ database });
  let client;
  try {
    client = await connect(db);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log.error({ err: error }, 'database unreachable');
    return { database, plans: [], outcomes: [], error };
  }
  // What the server says while we work (e.g. "... is implied by existing constraints" when
  // client_min_messages is debug1): debug level, for DBAs reviewing what a DDL did.
  client.on('notice', (n) => log.debug({ severity: n.severity, notice: n.message }, 'server notice'));
  // declared outside the try: a reconcile that fails part-way still reports what it did
  const plans: PolicyPlan[] = [];
  const outcomes: ActionOutcome[] = [];
  let clock: ClockReading | undefined;
  const executed = req.execute && (req.mayExecute?.(database) ?? true);
  try {
    const journal = new Journal(req.config.stateSchema);
    if (executed) await journal.ensure(client);
    const version = await serverVersionNum(client);
    clock = await clockOf(client, req, log);
    const removal = { allowMassRemoval: req.allowMassRemoval === true, ...(clock.doubt ? { clockDoubt: clock.doubt } : {}) };
    const run: DatabaseRun = { req, database, db, client, log, journal, version, nowMs: clock.nowMs, removal, runId: newId(), archive: archiveRuntime(req.config, log), ran: 0 };
    const observed = await observe(client, policies, journal, req.config.file);
    for (const o of observed) {
      const plan = await planPolicy(client, o, version, run.nowMs, removal);
      plans.push(plan);
      if (executed) outcomes.push(...(await executePlan(run, o.policy, plan)));
    }
    if (!req.health) return { database, plans, outcomes, executed, clock };
    const health = await assessAfter(run, policies, { observed, plans }, outcomes);
    return { database, plans, outcomes, health, executed, clock };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log.error({ err: error, actionsRun: outcomes.length }, 'reconcile failed');
    return { database, plans, outcomes, error, executed, ...(clock ? { clock } : {}) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs one plan's actions in order. An action on a partition whose earlier action failed is
 * skipped, and so is everything once shutdown began; actionPause leaves room for the application
 * between actions (CPU, WAL, relcache rebuilds).
 */
async function executePlan(run: DatabaseRun, policy: Policy, plan: PolicyPlan): Promise<ActionOutcome[]> {
  const { req, db } = run;
  const outcomes: ActionOutcome[] = [];
  const failed = new Set<string>();
  const pauseMs = db.actionPauseMs ?? 0;
  const fence = req.fence ? () => req.fence!(run.database) : undefined;
  for (const action of plan.actions) {
    const key = `${action.partition.schema}.${action.partition.name}`;
    const skipReason = () => (req.signal?.aborted ? 'shutting down' : failed.has(key) ? 'an earlier action on this partition failed' : undefined);
    if (pauseMs > 0 && run.ran > 0 && !skipReason()) await pause(pauseMs, req.signal);
    const skipped = skipReason();
    if (skipped) {
      outcomes.push({ action, status: 'skipped', error: skipped, durationMs: 0 });
      continue;
    }
    run.ran++;
    const outcome = await executeAction(
      {
        client: run.client, db, journal: run.journal, runId: run.runId, parent: policy.table, log: run.log, database: run.database, archive: run.archive, fence,
        archiveSpec: policy.retention?.archive, retry: { attempts: db.lockRetries, baseDelayMs: db.retryDelayMs },
      },
      action,
    );
    if (outcome.status === 'failed') failed.add(key);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** Health describes the tables as they are now: after actions ran, observe and plan again, then evaluate the rules. */
async function assessAfter(run: DatabaseRun, policies: readonly Policy[], before: { observed: PolicyObservation[]; plans: readonly PolicyPlan[] }, outcomes: readonly ActionOutcome[]) {
  let current = before;
  if (outcomes.some((x) => x.status === 'done')) {
    const again = await observe(run.client, policies, run.journal, run.req.config.file);
    const plans: PolicyPlan[] = [];
    for (const o of again) plans.push(await planPolicy(run.client, o, run.version, run.nowMs, run.removal));
    current = { observed: again, plans };
  }
  return collectHealth(run.client, run.journal, current.observed, current.plans, run.nowMs);
}
