import type { Policy } from '../config/types.js';
import type { Action, PolicyPlan, Problem, ViolationRule } from '../planner/actions.js';
import { parseHashBound, parseListBound } from '../planner/list-hash-bounds.js';

/** One rule broken by one policy (a partition when it is about one). */
export interface Violation {
  readonly rule: ViolationRule;
  readonly message: string;
  readonly partition?: string;
}

/** What a probe's plan showed (see probes.ts). */
export interface ProbeResult {
  readonly name: string;
  /** The built-in probe on the current interval of a range policy. */
  readonly builtin: boolean;
  readonly query: string;
  readonly maxPartitionsScanned: number;
  /** Leaf partitions of the table left in the plan after plan-time and initial pruning; null when the probe failed. */
  readonly scanned: number | null;
  readonly planningSeconds?: number;
  readonly error?: string;
}

/** Everything the rules look at for one policy, gathered in one cycle. */
export interface HealthInput {
  readonly policy: Policy;
  /** The plan as if applied now: what is missing, expired, pending (computed even on followers). */
  readonly plan: PolicyPlan;
  readonly probes: readonly ProbeResult[];
  /** Set when partition pruning is switched off for the database or a role (the setting that does it). */
  readonly pruningDisabled?: string;
  /** Partitions whose last archive attempt failed. */
  readonly archiveFailures: readonly { readonly partition: string; readonly error: string }[];
}

/** A Citus distributed table's shards of its attached partitions together (partitions x shard_count); undefined elsewhere. */
export function citusShards(plan: PolicyPlan): number | undefined {
  return plan.citus?.kind === 'distributed' ? (plan.health?.partitions ?? 0) * plan.citus.shardCount : undefined;
}

type Rule = (input: HealthInput) => Violation[];

const fromProblems = (rule: ViolationRule) => (i: HealthInput): Violation[] =>
  i.plan.problems.filter((p: Problem) => p.rule === rule).map((p) => ({ rule, message: p.message, ...(p.partition ? { partition: p.partition } : {}) }));

const s = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Actions that add a missing partition (create, or attach of one a crashed run created). */
const adds = (a: Action) => a.kind === 'create' || a.kind === 'relocate' || a.kind === 'attach';

/**
 * The violation rules of SPEC §4, each a pure function of one cycle's observations. A rule that
 * does not apply to a policy's strategy returns nothing (its series stays 0).
 */
export const RULES: Readonly<Record<ViolationRule, Rule>> = {
  future_partitions_low: (i) => {
    const r = i.plan.health?.range;
    if (i.policy.strategy !== 'range' || !r || r.missingAhead === 0) return [];
    return [{ rule: 'future_partitions_low', message: `${s(r.futurePartitions, 'partition')} ahead of now, premake is ${i.policy.range.premake}: ${s(r.missingAhead, 'interval')} up to the horizon not covered` }];
  },
  expired_attached: (i) => {
    const r = i.plan.health?.range;
    if (!r || r.expiredAttached === 0) return [];
    return [{ rule: 'expired_attached', message: `${s(r.expiredAttached, 'partition')} past retention still attached` }];
  },
  default_rows: fromProblems('default_rows'),
  coverage_gap: (i) => {
    const r = i.plan.health?.range;
    const gaps: Violation[] = r && r.gapsBehind > 0 ? [{ rule: 'coverage_gap', message: `${s(r.gapsBehind, 'interval')} between the oldest partition and now not covered: rows there go to DEFAULT or fail` }] : [];
    return [...gaps, ...fromProblems('coverage_gap')(i)];
  },
  hash_remainder_missing: (i) =>
    i.plan.actions
      .filter((a) => adds(a) && parseHashBound(a.boundSql) !== undefined)
      .map((a) => ({ rule: 'hash_remainder_missing' as const, partition: a.partition.name, message: `${a.parent ? `${a.parent.name}: ` : ''}${a.bounds} has no partition: inserts that hash to it fail` })),
  hash_modulus_mismatch: fromProblems('hash_modulus_mismatch'),
  list_partition_missing: (i) => [
    ...i.plan.actions
      .filter((a) => adds(a) && parseListBound(a.boundSql) !== undefined)
      .map((a) => ({ rule: 'list_partition_missing' as const, partition: a.partition.name, message: `declared partition ${a.partition.name} ${a.bounds} does not exist yet` })),
    ...fromProblems('list_partition_missing')(i),
  ],
  list_partition_undeclared: (i) => [
    ...(i.policy.strategy === 'list'
      ? i.plan.actions
          .filter((a) => (a.kind === 'detach' || a.kind === 'drop' || (a.kind === 'archive' && !a.resume)) && !a.parent)
          .map((a) => ({ rule: 'list_partition_undeclared' as const, partition: a.partition.name, message: `partition ${a.partition.name} ${a.bounds} is attached but no longer declared (onRemoved: ${i.policy.strategy === 'list' ? i.policy.list.onRemoved : ''})` }))
      : []),
    ...fromProblems('list_partition_undeclared')(i),
  ],
  too_many_partitions: (i) => {
    const max = i.policy.health.maxPartitions;
    const n = i.plan.health?.partitions ?? 0;
    return max !== undefined && n > max ? [{ rule: 'too_many_partitions', message: `${s(n, 'partition')} attached, more than health.maxPartitions (${max}): planning time grows with every partition` }] : [];
  },
  too_many_shards: (i) => {
    const n = citusShards(i.plan);
    const max = i.policy.health.maxShards;
    return n !== undefined && n > max
      ? [{ rule: 'too_many_shards', message: `${s(i.plan.health?.partitions ?? 0, 'partition')} x ${i.plan.citus!.shardCount} shards = ${n} shards, more than health.maxShards (${max}): every shard costs the coordinator and the workers memory and planning time (fewer partitions, a longer interval, or a lower shard_count)` }]
      : [];
  },
  probe_not_pruned: (i) => [
    ...(i.pruningDisabled ? [{ rule: 'probe_not_pruned' as const, message: `partition pruning is off (${i.pruningDisabled}): every query scans every partition` }] : []),
    ...i.probes
      .filter((p) => p.scanned !== null && p.scanned > p.maxPartitionsScanned)
      .map((p) => ({ rule: 'probe_not_pruned' as const, message: `probe ${p.name} scans ${s(p.scanned!, 'partition')}, at most ${p.maxPartitionsScanned} allowed` })),
  ],
  detached_pending_archive: (i) =>
    i.plan.actions
      .filter((a) => a.kind === 'archive' && a.resume)
      .map((a) => ({ rule: 'detached_pending_archive' as const, partition: a.partition.name, message: `${a.partition.name} is detached and not archived yet` })),
  archive_failed: (i) => i.archiveFailures.map((f) => ({ rule: 'archive_failed' as const, partition: f.partition, message: `archiving ${f.partition} failed: ${f.error}` })),
  policy_table_mismatch: fromProblems('policy_table_mismatch'),
  key_outlier: fromProblems('key_outlier'),
  retention_guard: fromProblems('retention_guard'),
  managed_elsewhere: fromProblems('managed_elsewhere'),
  partition_drift: fromProblems('partition_drift'),
};

export const ALL_RULES = Object.keys(RULES) as readonly ViolationRule[];

/** Every rule, in SPEC order. */
export function evaluate(input: HealthInput): Violation[] {
  return ALL_RULES.flatMap((rule) => RULES[rule](input));
}
