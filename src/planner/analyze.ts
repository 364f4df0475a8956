import type { ParentAnalysis } from '../catalog/types.js';
import type { Policy } from '../config/types.js';
import { program, steps } from '../model/steps.js';
import { analyzeSql } from '../sql/ddl.js';
import type { Action, PolicyPlan } from './actions.js';

/** Actions that add or remove a partition of the parent. */
const CHANGES: ReadonlySet<Action['kind']> = new Set(['create', 'relocate', 'attach', 'detach', 'drop', 'archive']);

/**
 * analyze: parent. Autovacuum never analyzes a partitioned table, so its statistics (used for
 * plans that join or aggregate across partitions) only move when someone runs ANALYZE: here,
 * after partitions were added or removed (in this plan, or since the last ANALYZE), at most every
 * analyzeMinInterval. The ANALYZE comes last, after the changes it is for. Pure.
 */
export function withParentAnalyze(plan: PolicyPlan, policy: Policy, seen: ParentAnalysis | undefined, nowMs: number): PolicyPlan {
  if (!policy.analyze.parent || !seen) return plan;
  const changesNow = plan.actions.some((a) => CHANGES.has(a.kind));
  const changedSince = seen.changedAtMs !== null && (seen.analyzedAtMs === null || seen.changedAtMs > seen.analyzedAtMs);
  if (!changesNow && !changedSince) return plan;
  if (seen.analyzedAtMs !== null && nowMs - seen.analyzedAtMs < policy.analyze.minIntervalMs) return plan;
  const action: Action = {
    kind: 'analyze', policy: policy.name, partition: policy.table, boundSql: '', bounds: '',
    reason: `analyze: parent — partitions were ${changesNow ? 'added or removed by this run' : 'added or removed since the last ANALYZE'}`,
    ...program([steps.analyze(analyzeSql([policy.table]))]),
  };
  return { ...plan, actions: [...plan.actions, action] };
}
