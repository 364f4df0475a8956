import { renderStatusText, statusJson } from '../reconcile/status-report.js';
import { reconcile } from '../reconcile/reconcile.js';
import { clockFor, parseAt, parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';

/**
 * `partwarden status [--policy NAME] [--output text|json]` — health of every policy, read-only.
 * Exit 0 healthy, 2 violations, 1 error (a database unreachable): usable as a Nagios-style check.
 */
export async function statusCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'output', 'at']);
  const nowMs = parseAt(opts.at, io.now());
  const { config, policies } = loadForCommand(opts);
  const reports = await reconcile({ config, policies, nowMs, clock: clockFor(opts.at, io), processClock: io.wallClock, execute: false, health: true, log: io.log });
  const doc = statusJson(reports, new Date(reports[0]?.clock?.nowMs ?? nowMs).toISOString());
  io.out(opts.output === 'json' ? JSON.stringify(doc, null, 2) : renderStatusText(doc));
  if (reports.some((r) => r.error)) return EXIT.FAILURE;
  return doc.policies.some((p) => !p.healthy) ? EXIT.VIOLATIONS : EXIT.OK;
}
