import type pg from 'pg';
import { displayName } from '../config/qualified-name.js';
import type { PolicyPlan } from '../planner/actions.js';
import type { CanonicalListPartition } from '../planner/children.js';
import { planHash } from '../planner/hash.js';
import { planList } from '../planner/list.js';
import { listPredicateSql, valueSetKey } from '../planner/list-hash-bounds.js';
import { planRange, type RangeInputs } from '../planner/range.js';
import { guardRemovals, isNewRemoval } from '../planner/removal-guard.js';
import { withParentAnalyze } from '../planner/analyze.js';
import { occupancyKey } from '../planner/range-retention.js';
import type { PartitionRef } from '../planner/actions.js';
import { canonicalListValues, defaultMatches, defaultRowsIn, partitionsHoldingRows, type PolicyObservation } from './observe.js';

/**
 * Plans one observed policy. The planners are pure; what they need from the database beyond the
 * catalog (DEFAULT rows of the ranges or values about to be created, the DEFAULT's row count,
 * declared list values in canonical form) is fetched here, only when needed.
 */
export async function planPolicy(client: pg.Client, o: PolicyObservation, serverVersionNum: number, nowMs: number, removal: RemovalOptions = { allowMassRemoval: false }): Promise<PolicyPlan> {
  // keepPartitions planning may have read every partition's occupancy already: the guard reuses it
  const read: { occupancy?: Map<string, boolean> } = {};
  const plan = withElsewhere(await planUnguarded(client, o, serverVersionNum, nowMs, read), o);
  const removed = plan.actions.filter((a) => isNewRemoval(a, o.table)).map((a) => a.partition);
  if (removed.length === 0) return withParentAnalyze(plan, o.policy, o.parentAnalysis, nowMs);
  const occupancy = read.occupancy ?? (await guardOccupancy(client, o, removed));
  return withParentAnalyze(guardRemovals(plan, { policy: o.policy, table: o.table, occupancy, ...removal }), o.policy, o.parentAnalysis, nowMs);
}

/** A table another tool still manages: said in the plan (managed_elsewhere, informational). */
function withElsewhere(plan: PolicyPlan, o: PolicyObservation): PolicyPlan {
  if (!o.managedElsewhere) return plan;
  return { ...plan, problems: [...plan.problems, { policy: o.policy.name, rule: 'managed_elsewhere', blocking: false, message: o.managedElsewhere }] };
}

/** Partitions whose occupancy the guard reads per query once it knows the removed ones'. */
const OCCUPANCY_BATCH = 50;

/**
 * What the retention guard needs to know, and no more: which removed partitions hold rows, and
 * enough of the others (newest names first) to show that at least as many holders stay as go and
 * at least keepPartitions stay. Partitions not read count as holding rows (holdsRows), which can
 * only confirm a verdict already proven; when the proof does not come, every partition is read,
 * so a refusal always names exact numbers. Typically one small query instead of one EXISTS per
 * partition of the table.
 */
async function guardOccupancy(client: pg.Client, o: PolicyObservation, removed: readonly PartitionRef[]): Promise<Map<string, boolean>> {
  const removedKeys = new Set(removed.map(occupancyKey));
  const others = attachedPartitions(o).filter((p) => !removedKeys.has(occupancyKey(p))).reverse();
  const keep = o.policy.retention?.keepPartitions ?? 0;
  let cursor = Math.min(others.length, removed.length + keep + 2);
  const occupancy = await partitionsHoldingRows(client, [...removed, ...others.slice(0, cursor)]);
  const holdersIn = (list: readonly PartitionRef[]) => list.filter((p) => occupancy.get(occupancyKey(p)) === true).length;
  const need = Math.max(holdersIn(removed), keep);
  while (holdersIn(others.slice(0, cursor)) < need && cursor < others.length) {
    const next = others.slice(cursor, cursor + OCCUPANCY_BATCH);
    for (const [k, v] of await partitionsHoldingRows(client, next)) occupancy.set(k, v);
    cursor += next.length;
  }
  return occupancy;
}

/** What the run says about removals: its clock's trust and the DBA's confirmation. */
export interface RemovalOptions {
  /** Set when the run's "now" is not the database's clock (and far from it): why removals wait. */
  readonly clockDoubt?: string;
  /** apply --allow-mass-removal */
  readonly allowMassRemoval: boolean;
}

const attachedPartitions = (o: PolicyObservation) => o.table.partitions.filter((p) => !p.isDefault && !p.detachPending);

async function planUnguarded(client: pg.Client, o: PolicyObservation, serverVersionNum: number, nowMs: number, read: { occupancy?: Map<string, boolean> }): Promise<PolicyPlan> {
  const { policy, table, check } = o;
  const mismatch = (messages: readonly string[]): PolicyPlan => ({
    policy: policy.name, database: policy.database, table: displayName(policy.table), actions: [],
    problems: messages.map((message) => ({ policy: policy.name, rule: 'policy_table_mismatch' as const, message })),
  });
  if (check.errors.length > 0) return mismatch(check.errors);
  const defaultPart = table.partitions.find((p) => p.isDefault);
  const defaultCount = o.defaultCount;

  if (policy.strategy === 'hash') return planHash({ policy, table, openWork: o.openWork });

  if (policy.strategy === 'list') {
    const canon = await canonicalListValues(client, check.keyColumnType!, policy.list.partitions);
    if ('error' in canon) return mismatch([canon.error]);
    const inputs = { policy, table, declared: canon.partitions, serverVersionNum, openWork: o.openWork, defaultRows: new Map<string, boolean>(), defaultCount };
    let plan = planList(inputs);
    if (defaultPart && plan.needsDefaultCheck.length > 0) {
      const hits = await defaultMatches(client, defaultPart, plan.needsDefaultCheck.map((v) => listPredicateSql(policy.list.column, v)));
      plan = planList({ ...inputs, defaultRows: new Map(plan.needsDefaultCheck.map((v, i) => [valueSetKey(v), hits[i]!])) });
    }
    return plan;
  }

  if (!check.keyType) return mismatch(['the partition key type could not be read']);
  let subDeclared: CanonicalListPartition[] | undefined;
  if (policy.subpartition?.strategy === 'list') {
    const canon = await canonicalListValues(client, check.subColumnType!, policy.subpartition.partitions);
    if ('error' in canon) return mismatch([`subpartition: ${canon.error}`]);
    subDeclared = canon.partitions;
  }
  let inputs: RangeInputs = {
    policy, table, keyType: check.keyType, nowMs, maxKey: o.maxKey, defaultMaxKey: o.defaultMaxKey, serverVersionNum, openWork: o.openWork,
    defaultRows: new Map<string, boolean>(), defaultCount, subDeclared,
  };
  let plan = planRange(inputs);
  if (plan.needsOccupancy) {
    read.occupancy = await partitionsHoldingRows(client, attachedPartitions(o));
    inputs = { ...inputs, occupancy: read.occupancy };
    plan = planRange(inputs);
  }
  if (defaultPart && plan.needsDefaultCheck.length > 0) {
    const answers = await defaultRowsIn(client, defaultPart, policy.range.column, check.keyType, plan.needsDefaultCheck);
    plan = planRange({ ...inputs, defaultRows: answers });
  }
  return plan;
}
