import type pg from 'pg';
import { readKeyStats, readPlainTable, type KeyStats, type PlainTable } from '../catalog/plain-table.js';
import type { Config, RangePolicy } from '../config/types.js';
import { displayName } from '../config/qualified-name.js';
import { connect } from '../db/connect.js';
import { executeAction, type ActionOutcome } from '../executor/execute.js';
import { Journal, newId } from '../executor/journal.js';
import type { Logger } from '../log.js';
import { steps as make, type Step } from '../model/steps.js';
import type { Action } from '../planner/actions.js';
import { convertNames, type ConvertNames } from '../planner/convert-names.js';
import { planConvert, refusedPlan, type ConvertPlan } from '../planner/convert-plan.js';
import { planUndo } from '../planner/convert-undo.js';
import { keyTypeOf, type KeyType } from '../planner/keys.js';
import { analyzeSql, validateConstraintSql } from '../sql/ddl.js';
import { encodedKeyType } from './check-table.js';
import { readClock } from './db-clock.js';
import { withIndexProgress } from './convert-progress.js';

export interface ConvertRequest {
  readonly config: Config;
  readonly policy: RangePolicy;
  /** --dry-run: plan only. */
  readonly dryRun: boolean;
  readonly cutoff?: string;
  readonly historyName?: string;
  /** --undo: take back a conversion that has not swapped yet. */
  readonly undo?: boolean;
  readonly log: Logger;
}

export interface ConvertReport {
  /** 'planned' (dry run), 'converted', 'undone', 'already' (nothing left to do), 'refused', 'failed'. */
  readonly status: 'planned' | 'converted' | 'undone' | 'already' | 'refused' | 'failed';
  readonly plan?: ConvertPlan;
  readonly outcomes: readonly ActionOutcome[];
  readonly error?: string;
}

/** Steps one run may take; a conversion has six kinds, each done once (a guard against a plan that never settles). */
const MAX_STEPS = 12;

/**
 * `partwarden convert`: observe -> plan -> run the first remaining step, again and again, so each
 * step is planned from what the catalog shows right before it (a kill -9 anywhere resumes there).
 * Every step is an action of kind `convert` through the executor: journaled, lock_timeout, retries.
 */
export async function convert(req: ConvertRequest): Promise<ConvertReport> {
  const db = req.config.databases.get(req.policy.database)!;
  // statement_timeout off: an index build or a validating scan of a big table takes as long as it takes
  // (lock waits are still bounded by lock_timeout)
  const client = await connect({ ...db, statementTimeoutMs: 0 }, 'partwarden-convert');
  const log = req.log.child({ database: db.name, policy: req.policy.name });
  client.on('notice', (n) => log.debug({ severity: n.severity, notice: n.message }, 'server notice'));
  const journal = new Journal(req.config.stateSchema);
  const names = convertNames(req.policy.table.name, req.historyName);
  const outcomes: ActionOutcome[] = [];
  try {
    // one convert of a table at a time (a second one would race this one's renames)
    const locked = (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('partwarden convert ' || $1)) AS ok`, [`${req.policy.table.schema}.${req.policy.table.name}`])).rows[0]!.ok;
    if (!locked) return { status: 'refused', plan: refusedPlan(`another partwarden convert of ${displayName(req.policy.table)} is running; wait for it (or stop it: the next convert resumes its work)`), outcomes };
    if (!req.dryRun) await journal.ensure(client);
    let stats: Promise<KeyStats> | undefined;
    // the report shows the plan as it was when this run began (later ones are what remains of it)
    let first: ConvertPlan | undefined;
    for (let n = 0; n < MAX_STEPS; n++) {
      const table = await readPlainTable(client, req.policy.table, names);
      if (!table) return { status: 'refused', plan: refusedPlan(`table ${displayName(req.policy.table)} does not exist`), outcomes };
      const next = await nextStep(client, req, journal, table, names, () => (stats ??= readStats(client, req.policy, table)));
      if (next.plan?.refusals.length) return { status: 'refused', plan: next.plan, outcomes };
      first ??= next.plan;
      if (req.dryRun) return { status: next.plan?.steps.length ? 'planned' : 'already', ...(next.plan ? { plan: next.plan } : {}), outcomes };
      const step = next.step;
      if (!step) return { status: outcomes.length > 0 ? (req.undo ? 'undone' : 'converted') : 'already', ...(first ? { plan: first } : {}), outcomes };
      log.info({ step: step.name, statements: step.sql.length }, `convert ${displayName(req.policy.table)}: ${step.name}`);
      const run = () => executeAction(
        { client, db, journal, runId: newId(), parent: req.policy.table, log, database: db.name, retry: { attempts: db.lockRetries, baseDelayMs: db.retryDelayMs } },
        actionOf(req.policy, step, next.plan?.boundSql ?? ''),
      );
      const outcome = step.name === 'convert-index' ? await withIndexProgress(db, client, log, run) : await run();
      outcomes.push(outcome);
      if (outcome.status !== 'done') return { status: 'failed', ...(first ? { plan: first } : {}), outcomes, ...(outcome.error ? { error: outcome.error } : {}) };
    }
    return { status: 'failed', outcomes, error: `the conversion did not settle after ${MAX_STEPS} steps` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What to do next: the plan (with its first step) for a plain table, the finish step of a swapped one, or nothing. */
async function nextStep(
  client: pg.Client, req: ConvertRequest, journal: Journal, table: PlainTable, names: ConvertNames, stats: () => Promise<KeyStats>,
): Promise<{ plan?: ConvertPlan; step?: Step }> {
  const { policy } = req;
  if (req.undo) {
    const key = keyTypeFor(policy, table);
    const plan = planUndo(policy.table, table, names, 'keyType' in key ? { column: policy.range.column, type: key.keyType } : undefined);
    return { plan, ...(plan.steps[0] ? { step: plan.steps[0] } : {}) };
  }
  if (table.relkind === 'p') {
    if (!(await journal.convertFinishPending(client, policy.name, policy.table))) return {};
    const finish = make.convertFinish([...table.incoming.filter((f) => !f.validated).map((f) => validateConstraintSql(f.table, f.name)), analyzeSql([policy.table])]);
    return { step: finish };
  }
  const key = keyTypeFor(policy, table);
  if ('problem' in key) return { plan: refusedPlan(key.problem) };
  const clock = await readClock(client, { source: 'database', requestedMs: Date.now(), processClock: () => Date.now(), toleranceMs: Infinity });
  const plan = planConvert({
    policy, table, keyType: key.keyType, stats: await stats(), nowMs: clock.nowMs, names, ...(req.cutoff !== undefined ? { cutoff: req.cutoff } : {}),
  });
  return { plan, ...(plan.steps[0] ? { step: plan.steps[0] } : {}) };
}

/** The key's type as the planner knows it, or why it cannot be planned. */
function keyTypeFor(policy: RangePolicy, table: PlainTable): { keyType: KeyType } | { problem: string } {
  const column = table.columns.find((c) => c.name === policy.range.column);
  if (!column) return { problem: `${displayName(policy.table)} has no column "${policy.range.column}" (the policy's range.column)` };
  const type = column.baseType ?? column.type;
  let problem: string | undefined;
  const k = encodedKeyType(keyTypeOf(type), type, policy, (e) => (problem = e));
  if (problem) return { problem: `column ${column.name} is ${column.type}: ${problem}` };
  return k ? { keyType: k } : { problem: `column ${column.name} is ${column.type}, which convert cannot partition by range (time or integer keys)` };
}

function readStats(client: pg.Client, policy: RangePolicy, table: PlainTable): Promise<KeyStats> {
  const column = table.columns.find((c) => c.name === policy.range.column);
  if (!column) return Promise.resolve({ lo: null, hi: null, nulls: false });
  return readKeyStats(client, policy.table, column.name, (column.baseType ?? column.type) === 'uuid');
}

/** One convert step as an executor action (journaled as action `convert` on the table itself). */
function actionOf(policy: RangePolicy, step: Step, boundSql: string): Action {
  return { kind: 'convert', policy: policy.name, partition: policy.table, boundSql, bounds: '', reason: `convert ${displayName(policy.table)}: ${step.name}`, steps: [step], sql: step.sql };
}
