import type { ObservedPartition } from '../catalog/types.js';
import type { RangePolicy } from '../config/types.js';
import { defaultNaming, renderName, type NameParts } from '../model/naming.js';
import { attachSql, rangeBoundSql, rangePredicateSql } from '../sql/ddl.js';
import { createChildSql, createPartitionedChildSql, tableShape } from './dress.js';
import { toWall } from '../time/tz.js';
import type { PartitionRef } from './actions.js';
import { uncoveredCells } from './bounds.js';
import { planHashChildren, planListChildren } from './children.js';
import { createAction, defaultGuardFor } from './common.js';
import { relocateProgram, rowMove } from './relocate.js';
import { INT_LIMITS, isInstantKey, keyToMs, type KeyType } from './keys.js';
import type { RangeState } from './range-state.js';
import type { RangeWindow } from './range-window.js';

/** Most partitions one reconcile creates for a policy; guards against a startFrom decades back. */
export const MAX_CREATES_PER_RUN = 2000;

const rangeKey = (from: bigint, to: bigint) => `${from}:${to}`;

/**
 * Creates what the window's cells lack (exactly the uncovered part of each cell: off-grid
 * partitions are adopted, never overlapped). Returns the upper bound of the newest partition
 * after the plan.
 */
export function planCreates(s: RangeState, w: RangeWindow): bigint | undefined {
  const { policy } = s;
  const keyType = s.inp.keyType;
  const intMax = policy.range.interval.kind === 'step' ? INT_LIMITS[keyType as 'smallint' | 'integer' | 'bigint'].max : undefined;
  let coverageEnd = s.existing.reduce<bigint | undefined>((m, e) => (e.range.to !== null && (m === undefined || e.range.to > m) ? e.range.to : m), undefined);
  const unoccupied = uncoveredCells(s.occupied);
  let creates = 0;
  for (const [a, b] of w.cells) {
    for (const [from, to] of unoccupied(a, b)) {
      if (intMax !== undefined && to - 1n > intMax) {
        s.problem('coverage_gap', `cannot create [${s.show(from, 'from')}, ${s.show(to, 'to')}): beyond the maximum of ${keyType}`);
        continue;
      }
      if (++creates > MAX_CREATES_PER_RUN) {
        s.problem('coverage_gap', `more than ${MAX_CREATES_PER_RUN} partitions are missing; creating the first ${MAX_CREATES_PER_RUN} this run`);
        return coverageEnd;
      }
      if (planOneCreate(s, w, from, to) && (coverageEnd === undefined || to > coverageEnd)) coverageEnd = to;
    }
  }
  return coverageEnd;
}

/** One missing range: a create (guarded next to a non-empty DEFAULT), a relocation out of DEFAULT, or a problem. True when planned. */
function planOneCreate(s: RangeState, w: RangeWindow, from: bigint, to: bigint): boolean {
  const { policy, parent, inp } = s;
  const naming = policy.range.naming ?? defaultNaming(policy.range.interval.kind === 'step' ? 'step' : policy.range.interval.interval.unit);
  const name = renderName(naming, nameParts(policy, inp.keyType, from, to));
  const bounds = `[${s.show(from, 'from')}, ${s.show(to, 'to')})`;
  if (!name) {
    s.problem('naming', `naming "${naming}" cannot produce a name of at most 63 bytes for ${bounds}`);
    return false;
  }
  if (s.usedNames.has(name)) {
    s.problem('naming', `name "${name}" for ${bounds} is already taken by another partition; choose a naming template with finer tokens`, name);
    return false;
  }
  s.usedNames.add(name);
  const ref = { schema: parent.schema, name };
  const creates = createSqlFor(s, ref);
  if (!creates) return false;
  const boundSql = rangeBoundSql(s.lit(from), s.lit(to));
  const base = { policy: policy.name, partition: ref, boundSql, bounds };
  const def = s.defaultPart;
  const hasRows = def ? inp.defaultRows.get(rangeKey(from, to)) : false;
  if (def && hasRows === undefined) s.needsDefaultCheck.push({ from, to });
  if (def && hasRows === true) {
    if (!policy.default.relocate) {
      s.problems.push({ policy: policy.name, rule: 'default_rows', partition: name, blocking: true, message: `DEFAULT partition ${def.name} holds rows in ${bounds}; ${name} cannot be created until they move (set default.relocate: true to let partwarden move them)` });
      return true;
    }
    const defRef = { schema: def.schema, name: def.name };
    const move = rowMove(inp.table, parent, ref, defRef, rangePredicateSql(policy.range.column, s.lit(from), s.lit(to)), policy.default.relocateBatchRows);
    s.actions.push({
      ...base, kind: 'relocate', reason: `missing; DEFAULT holds rows of this range, ${move.how}`,
      ...relocateProgram(move, creates, attachSql(parent, ref, boundSql), [ref, defRef]), defaultPartition: defRef, moveBatchSql: move.moveSql,
    });
    return true;
  }
  const why = to <= w.curCell ? 'missing (backfill)' : from <= w.cur && w.cur < to ? 'missing (current)' : 'premake';
  const guard = defaultGuardFor(inp.table, inp.defaultCount, ref, rangePredicateSql(policy.range.column, s.lit(from), s.lit(to)));
  s.actions.push(createAction(base, why, creates, attachSql(parent, ref, boundSql), guard));
  return true;
}

/** Plans the sub-partitions of one child (hash remainders or declared list values). */
export function subChildren(s: RangeState, child: PartitionRef, partitions: readonly ObservedPartition[]) {
  const sp = s.policy.subpartition!;
  const common = { policy: s.policy.name, parent: child, partitions, usedNames: s.usedNames };
  return sp.strategy === 'hash'
    ? planHashChildren({ ...common, naming: '{table}_h{remainder}', modulus: sp.modulus })
    : planListChildren({ ...common, naming: '{table}_{key}', declared: s.inp.subDeclared ?? [] });
}

/** CREATE statements of a new child: one table, or a partitioned table and all its sub-partitions. */
function createSqlFor(s: RangeState, ref: PartitionRef): string[] | undefined {
  const sp = s.policy.subpartition;
  if (!sp) return createChildSql(ref, s.parent, tableShape(s.inp.table, s.policy.template));
  const plan = subChildren(s, ref, []);
  if (plan.problems.length > 0) {
    s.problems.push(...plan.problems);
    return undefined;
  }
  return createPartitionedChildSql(ref, s.parent, sp, plan.missing, tableShape(s.inp.table, s.policy.template));
}

/** The tokens of a partition's name: its start (and end) as the interval shows it, in the policy's time zone. */
export function nameParts(policy: RangePolicy, keyType: KeyType, from: bigint, to: bigint): NameParts {
  const base = { schema: policy.table.schema, table: policy.table.name };
  if (policy.range.interval.kind === 'step') {
    const n = (k: bigint) => (k < 0n ? `m${-k}` : k.toString());
    return { ...base, start: n(from), end: n(to) };
  }
  const wall = (k: bigint) => (isInstantKey(keyType) ? toWall(keyToMs(k), policy.range.timezone) : keyToMs(k));
  const p = (x: number, w = 2) => String(x).padStart(w, '0');
  const compact = (k: bigint) => {
    const d = new Date(wall(k));
    const day = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
    return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? day : `${day}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
  };
  const d = new Date(wall(from));
  return {
    ...base,
    YYYY: p(d.getUTCFullYear(), 4),
    MM: p(d.getUTCMonth() + 1),
    DD: p(d.getUTCDate()),
    HH: p(d.getUTCHours()),
    Q: String(Math.floor(d.getUTCMonth() / 3) + 1),
    start: compact(from),
    end: compact(to),
  };
}
