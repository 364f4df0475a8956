import { reconcile } from '../reconcile/reconcile.js';
import { clockFor, parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';
import { isBlocking, planJson, renderApplyText, renderPlanText } from './render-plan.js';

/** `partwarden apply [--policy NAME] [--dry-run]` — one reconcile, then exit (CronJob use). */
export async function applyCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'dry-run', 'output', 'allow-mass-removal']);
  const { config, policies } = loadForCommand(opts);
  const nowMs = io.now();
  const dryRun = opts['dry-run'] === true;
  const reports = await reconcile({
    config, policies, nowMs, clock: clockFor(undefined, io), processClock: io.wallClock, execute: !dryRun, log: io.log,
    allowMassRemoval: opts['allow-mass-removal'] === true,
  });
  const at = new Date(reports[0]?.clock?.nowMs ?? nowMs).toISOString();
  const outcomes = reports.flatMap((r) => r.outcomes);
  if (opts.output === 'json') io.out(JSON.stringify({ dryRun, ...(planJson(reports, at, outcomes) as object) }, null, 2));
  else if (dryRun) io.out(`${renderPlanText(reports, at)}\n\ndry run: nothing was changed`);
  else io.out(renderApplyText(reports));
  const incomplete =
    reports.some((r) => r.error) ||
    outcomes.some((o) => o.status !== 'done') ||
    reports.some((r) => r.plans.some((p) => p.problems.some(isBlocking)));
  return incomplete ? EXIT.FAILURE : EXIT.OK;
}
