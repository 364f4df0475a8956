import { rangePredicateSql } from '../sql/ddl.js';
import { fromWall } from '../time/tz.js';
import { parseRangeBound } from './bounds.js';
import { finalizeActions, finishPlan, resumeActions } from './common.js';
import type { RangeHealth } from './actions.js';
import { displayKey, isInstantKey, keyToMs } from './keys.js';
import { planCreates } from './range-create.js';
import { planRetention, reportKeyOutlier } from './range-expire.js';
import { rangeState, type RangePlan, type RangeInputs, type RangeState } from './range-state.js';
import { planSubpartitionRepairs } from './range-subparts.js';
import { planTiering } from './range-tier.js';
import { attachedGaps, creationWindow, type RangeWindow } from './range-window.js';

export type { RangeInputs, RangePlan } from './range-state.js';
export { MAX_CREATES_PER_RUN } from './range-create.js';

/**
 * Plans one range policy, phase by phase over one explicit state: finalize interrupted detaches,
 * resume half-done work from the journal, create missing partitions up to the premake horizon
 * (adopting any existing partition by its bounds), expire partitions past retention, convert old
 * ones to another access method (retention.afterAge), repair
 * sub-partitions, and create the DEFAULT last. Pure: the clock and the catalog are inputs.
 */
export function planRange(inp: RangeInputs): RangePlan {
  const s = rangeState(inp);
  const finalized = planFinalizeAndResume(s);
  const w = creationWindow(s);
  const gaps = attachedGaps(s, w);
  const coverageEnd = planCreates(s, w);
  const { expiredAttached, needsOccupancy } = planRetention(s, w, finalized);
  planTiering(s);
  reportKeyOutlier(s, w);
  planSubpartitionRepairs(s);
  // the DEFAULT partition comes last (finishPlan): new partitions attach first, without a DEFAULT to scan
  const finished = finishPlan(s.policy, inp.table, s.usedNames, s.actions, s.problems, inp.defaultCount);
  return {
    ...finished,
    health: { ...finished.health!, range: rangeHealth(s, w, { ...gaps, expiredAttached }) },
    coverageEnd: coverageEnd === undefined ? undefined : displayKey(coverageEnd, inp.keyType),
    needsDefaultCheck: s.needsDefaultCheck,
    needsOccupancy,
  };
}

/**
 * Interrupted DETACH ... CONCURRENTLY first (no other detach can run on the parent meanwhile),
 * then multi-step work a crash interrupted (journal and catalog agree it is half done): tables a
 * crashed run created count as present. Returns the partitions being finalized.
 */
function planFinalizeAndResume(s: RangeState): Set<string> {
  const { policy, parent, inp } = s;
  s.actions.push(...finalizeActions(policy.name, parent, parent, s.existing.map((e) => e.part), (p) => s.showBound(p.boundExpr)));
  const finalized = new Set(s.actions.map((a) => a.partition.name));
  const predicateFor = (b: string) => {
    const r = parseRangeBound(b, inp.keyType);
    return r?.from == null || r.to == null ? undefined : rangePredicateSql(policy.range.column, s.lit(r.from), s.lit(r.to));
  };
  s.actions.push(...resumeActions({ policy, table: inp.table, openWork: inp.openWork, showBound: s.showBound, archiveSteps: s.archiveSteps, predicateFor }));
  for (const work of inp.openWork) {
    if (!work.standalone) continue;
    s.usedNames.add(work.name);
    const range = work.parent.schema === parent.schema && work.parent.name === parent.name ? parseRangeBound(work.boundSql, inp.keyType) : undefined;
    if (range) s.occupied.push(range);
  }
  return finalized;
}

/** The range figures of the plan's health, as attached now (before this plan's actions). */
function rangeHealth(s: RangeState, w: RangeWindow, counts: { missingAhead: number; gapsBehind: number; expiredAttached: number }): RangeHealth {
  const { keyType } = s.inp;
  const finite = s.existing.filter((e) => e.range.from !== null && e.range.to !== null);
  const oldest = finite.reduce<bigint | undefined>((m, e) => (m === undefined || e.range.from! < m ? e.range.from! : m), undefined);
  const newest = finite.reduce<bigint | undefined>((m, e) => (m === undefined || e.range.to! > m ? e.range.to! : m), undefined);
  const isInt = s.policy.range.interval.kind === 'step';
  return {
    futurePartitions: s.existing.filter((e) => e.range.from !== null && e.range.from > w.cur).length,
    ...counts,
    ...(oldest !== undefined ? { oldestBound: displayKey(oldest, keyType) } : {}),
    ...(newest !== undefined ? { newestBound: displayKey(newest, keyType) } : {}),
    ...(newest !== undefined && !isInt ? { coverageEndMs: isInstantKey(keyType) ? keyToMs(newest) : fromWall(keyToMs(newest), s.policy.range.timezone) } : {}),
  };
}
