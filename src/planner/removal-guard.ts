import type { ObservedTable } from '../catalog/types.js';
import type { Policy } from '../config/types.js';
import type { Action, DeferredRemoval, PolicyPlan } from './actions.js';
import { DEFAULT_MAX_PER_RUN } from '../config/policy-schema.js';
import { holdsRows, type Occupancy } from './range-retention.js';

export interface RemovalGuardInputs {
  readonly policy: Policy;
  readonly table: ObservedTable;
  /** Which attached partitions hold rows (read when the plan removes any). */
  readonly occupancy: Occupancy | undefined;
  /** Why this run's clock cannot be trusted to remove data (a fixed time far from the database's clock). */
  readonly clockDoubt?: string;
  /** `apply --allow-mass-removal`: the DBA confirms this run's removals. */
  readonly allowMassRemoval: boolean;
}

/** A removal of a partition that is attached now (not the resumption of earlier work on a detached table). */
export function isNewRemoval(a: Action, table: ObservedTable): boolean {
  if (a.parent) return false;
  if (a.kind !== 'detach' && a.kind !== 'drop' && !(a.kind === 'archive' && !a.resume)) return false;
  return table.partitions.some((p) => p.schema === a.partition.schema && p.name === a.partition.name && !p.detachPending);
}

/**
 * The blast-radius guard, applied to every plan after the planner (range and list alike), so no
 * computed value alone decides what leaves a table. Independent of how the removals were chosen:
 * - refused (a blocking retention_guard problem, no removal at all this run) when the run's clock
 *   is not the database's, when fewer than keepPartitions partitions holding rows would remain, or
 *   when more than half of the partitions holding rows would go, unless confirmed
 *   (`apply --allow-mass-removal`, `retention.allowMassRemoval`);
 * - otherwise at most retention.maxPerRun removals run, oldest first; the rest are `deferred`.
 */
export function guardRemovals(plan: PolicyPlan, g: RemovalGuardInputs): PolicyPlan {
  const removals = plan.actions.filter((a) => isNewRemoval(a, g.table));
  if (removals.length === 0) return plan;
  const retention = g.policy.retention;
  const confirmed = g.allowMassRemoval || retention?.allowMassRemoval === true;
  const attached = g.table.partitions.filter((p) => !p.isDefault && !p.detachPending);
  const holders = attached.filter((p) => holdsRows(g.occupancy, p)).length;
  const removedHolders = removals.filter((a) => holdsRows(g.occupancy, a.partition)).length;
  const keep = retention?.keepPartitions;
  const reasons: string[] = [];
  if (g.clockDoubt) reasons.push(g.clockDoubt);
  if (keep !== undefined && holders - removedHolders < keep) reasons.push(`only ${holders - removedHolders} partition(s) holding rows would remain, fewer than keepPartitions (${keep})`);
  if (removedHolders * 2 > holders) reasons.push(`${removedHolders} of the ${holders} partition(s) holding rows would be removed (more than half)`);
  if (reasons.length > 0 && !confirmed) {
    const refused = new Set(removals);
    return {
      ...plan,
      actions: plan.actions.filter((a) => !refused.has(a)),
      problems: [...plan.problems, {
        policy: plan.policy, rule: 'retention_guard', blocking: true,
        message: `refused to remove ${removals.length} partition(s) (${removals.map((a) => a.partition.name).slice(0, 5).join(', ')}${removals.length > 5 ? ', ...' : ''}): ${reasons.join('; ')}. ` +
          'Nothing was removed. If this is intended, confirm with apply --allow-mass-removal (or retention.allowMassRemoval: true for the daemon)',
      }],
    };
  }
  const limit = retention?.maxPerRun ?? DEFAULT_MAX_PER_RUN;
  if (removals.length <= limit) return plan;
  const later = new Set(removals.slice(limit));
  const deferred: DeferredRemoval[] = [...later].map((a) => ({ kind: a.kind, partition: a.partition.name, bounds: a.bounds, reason: a.reason }));
  return { ...plan, actions: plan.actions.filter((a) => !later.has(a)), deferred };
}
