import { displayName } from '../config/qualified-name.js';
import type { StepName } from '../model/steps.js';
import type { ConvertPlan } from '../planner/convert-plan.js';
import { convert, type ConvertReport } from '../reconcile/convert.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';

/** What each step locks, for the DBA reading `--dry-run`. */
const LOCKS: Readonly<Partial<Record<StepName, string>>> = {
  'convert-index': 'writes go on (SHARE UPDATE EXCLUSIVE); waits for older transactions',
  'convert-parent': 'one transaction; only the new, empty table and the tables its foreign keys reference are locked, briefly',
  'convert-check': 'ACCESS EXCLUSIVE on the table for an instant (no scan), under lock_timeout',
  'convert-validate': 'scans the table while writes go on (SHARE UPDATE EXCLUSIVE)',
  'convert-swap': 'one transaction under lock_timeout, catalog changes only: the table is locked for milliseconds once every lock is held',
  'convert-finish': 'validates re-pointed foreign keys and analyzes while writes go on (SHARE UPDATE EXCLUSIVE)',
  'convert-undo': 'drops the CHECK (an instant ACCESS EXCLUSIVE), the new parent if it holds no row, the widened indexes (CONCURRENTLY)',
};

/**
 * `partwarden convert --policy NAME [--dry-run] [--cutoff KEY] [--history-name NAME] [--undo]`: turns
 * the policy's plain table into a partitioned one whose first partition is the old table itself
 * (--undo: takes back a conversion that has not swapped yet).
 */
export async function convertCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'dry-run', 'cutoff', 'history-name', 'undo']);
  if (!opts.policy) throw new UsageError('convert needs --policy NAME (the policy whose table to convert)');
  const { config, policies } = loadForCommand(opts);
  const policy = policies[0]!;
  if (policy.strategy !== 'range') throw new UsageError(`policy ${policy.name} is a ${policy.strategy} policy; convert makes range-partitioned tables (strategy: range)`);
  const dryRun = opts['dry-run'] === true;
  const undo = opts.undo === true;
  const report = await convert({
    config, policy, dryRun, undo, log: io.log,
    ...(opts.cutoff !== undefined ? { cutoff: opts.cutoff } : {}), ...(opts['history-name'] !== undefined ? { historyName: opts['history-name'] } : {}),
  });
  const name = displayName(policy.table);
  for (const line of describe(report, name, dryRun, undo)) io.out(line);
  for (const r of report.plan?.refusals ?? []) io.err(`refused: ${r}`);
  if (report.status === 'failed') io.err(`convert ${name} stopped: ${report.error ?? 'a step failed'}; nothing is half-changed, and the next partwarden convert resumes from here`);
  return report.status === 'refused' || report.status === 'failed' ? EXIT.FAILURE : EXIT.OK;
}

function describe(report: ConvertReport, name: string, dryRun: boolean, undo: boolean): string[] {
  if (report.status === 'already') return [undo ? `${name}: no conversion under way; nothing to undo` : `${name} is partitioned; nothing to convert`];
  const plan = report.plan;
  const out = plan && plan.refusals.length === 0 ? [`convert ${name}:`, ...plan.summary.map((s) => `  ${s}`), ...plan.warnings.map((w) => `  warning: ${w}`)] : [];
  if (dryRun && plan) return [...out, '', ...renderSteps(plan), '', 'dry run: nothing was changed'];
  for (const o of report.outcomes) out.push(`${o.status} ${o.action.steps[0]?.name ?? o.action.kind} (${o.durationMs} ms)`);
  if (report.status === 'converted') out.push(`converted ${name}: it is partitioned now; partwarden apply manages it from here`);
  if (report.status === 'undone') out.push(`undone: ${name} is the plain table it was, and convert's work objects are gone`);
  return out;
}

/** Every statement of the remaining steps, in order, as it runs. */
export function renderSteps(plan: ConvertPlan): string[] {
  return plan.steps.flatMap((s, i) => [
    `-- step ${i + 1}: ${s.name}: ${LOCKS[s.name] ?? ''}`,
    ...(s.inTransaction ? ['BEGIN;'] : []),
    ...s.sql.map((x) => `${x};`),
    ...(s.inTransaction ? ['COMMIT;'] : []),
  ]);
}
