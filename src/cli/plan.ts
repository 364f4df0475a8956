import { reconcile } from '../reconcile/reconcile.js';
import { clockFor, parseAt, parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';
import { planJson, renderPlanText } from './render-plan.js';

/** `partwarden plan [--at TIME] [--policy NAME] [--output text|json]` — changes nothing. */
export async function planCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'output', 'at']);
  const nowMs = parseAt(opts.at, io.now());
  const { config, policies } = loadForCommand(opts);
  const reports = await reconcile({ config, policies, nowMs, clock: clockFor(opts.at, io), processClock: io.wallClock, execute: false, log: io.log });
  const at = new Date(reports[0]?.clock?.nowMs ?? nowMs).toISOString();
  io.out(opts.output === 'json' ? JSON.stringify(planJson(reports, at), null, 2) : renderPlanText(reports, at));
  return reports.some((r) => r.error) ? EXIT.FAILURE : EXIT.OK;
}
