import type { OpenWork, ObservedPartition, ObservedTable } from '../catalog/types.js';
import { formatCalendarInterval } from '../time/duration.js';
import type { RangePolicy } from '../config/types.js';
import { attachSql, createLikeSql, createPartitionedLikeSql, createPartitionOfSql, dropSql, moveRowsSql, rangeBoundSql, rangePredicateSql } from '../sql/ddl.js';
import { planHashChildren, planListChildren, showValues, type CanonicalListPartition } from './children.js';
import { archiveStepsFor, createAction, defaultGuardFor, finalizeActions, finishPlan, removalAction, resumeActions, withResumed, type DefaultRowCount } from './common.js';
import { parseHashBound, parseListBound } from './list-hash-bounds.js';
import type { Action, PartitionRef, PolicyPlan, Problem } from './actions.js';
import { parseRangeBound, uncoveredCells, type ParsedRange } from './bounds.js';
import { makeGrid } from './grid.js';
import { displayKey, INT_LIMITS, keyLiteral, keyToMs, type KeyType } from './keys.js';
import { defaultNaming, renderName, type NameParts } from '../model/naming.js';
import { fromWall, toWall } from '../time/tz.js';
import { program, steps } from '../model/steps.js';
import { expiredByAge, expiredByCount, type FinitePartition, type Occupancy } from './range-retention.js';

export interface RangeInputs {
  readonly policy: RangePolicy;
  readonly table: ObservedTable;
  readonly keyType: KeyType;
  readonly nowMs: number;
  /**
   * Integer keys: max(key) of the rows below the newest partition's upper bound (null when there
   * is none): rows in DEFAULT above every partition never move the current point.
   */
  readonly maxKey: bigint | null;
  /** Integer keys: max(key) in the DEFAULT partition (null when empty or absent), to report outliers. */
  readonly defaultMaxKey?: bigint | null;
  /** Which attached partitions hold rows (keepPartitions needs it); see needsOccupancy. */
  readonly occupancy?: Occupancy;
  readonly serverVersionNum: number;
  readonly openWork: readonly OpenWork[];
  /** Answers "does DEFAULT hold rows in [from, to)?" for ranges asked before (key `from:to`). */
  readonly defaultRows: ReadonlyMap<string, boolean>;
  readonly defaultCount?: DefaultRowCount;
  /** subpartition strategy list: the declared values in canonical form. */
  readonly subDeclared?: readonly CanonicalListPartition[];
}

export interface RangePlan extends PolicyPlan {
  /** Ranges to create that DEFAULT must be checked for; plan again with the answers. */
  readonly needsDefaultCheck: ReadonlyArray<{ readonly from: bigint; readonly to: bigint }>;
  /** keepPartitions must know which partitions hold rows: read the occupancy and plan again. */
  readonly needsOccupancy: boolean;
}

/** Most partitions one reconcile creates for a policy; guards against a startFrom decades back. */
export const MAX_CREATES_PER_RUN = 2000;

const rangeKey = (from: bigint, to: bigint) => `${from}:${to}`;

interface Existing {
  readonly part: ObservedPartition;
  readonly range: ParsedRange;
}

/**
 * Plans one range policy: finalize interrupted detaches, resume half-done work from the journal,
 * create missing partitions up to the premake horizon (adopting any existing partition by its
 * bounds), and expire partitions past retention. Pure: the clock and the catalog are inputs.
 */
export function planRange(inp: RangeInputs): RangePlan {
  const { policy, table, keyType } = inp;
  const problems: Problem[] = [];
  const actions: Action[] = [];
  const needsDefaultCheck: Array<{ from: bigint; to: bigint }> = [];
  const parent: PartitionRef = policy.table;
  const grid = makeGrid(policy.range, keyType);
  const lit = (k: bigint) => keyLiteral(k, keyType);
  const show = (k: bigint | null, side: 'from' | 'to') => (k === null ? (side === 'from' ? 'MINVALUE' : 'MAXVALUE') : displayKey(k, keyType));
  const problem = (rule: Problem['rule'], message: string, partition?: string) =>
    problems.push({ policy: policy.name, rule, message, ...(partition ? { partition } : {}) });

  const defaultPart = table.partitions.find((p) => p.isDefault);
  const existing: Existing[] = [];
  for (const part of table.partitions) {
    if (part.isDefault) continue;
    const range = parseRangeBound(part.boundExpr, keyType);
    if (!range) {
      problem('unmanaged_partition', `bounds "${part.boundExpr}" are not a range partwarden can read; left alone`, part.name);
      continue;
    }
    if (range.from === null || range.to === null) {
      problem('unmanaged_partition', `bounds [${show(range.from, 'from')}, ${show(range.to, 'to')}) are not finite; reported, never touched`, part.name);
    }
    existing.push({ part, range });
  }
  const occupied: ParsedRange[] = existing.map((e) => e.range);
  const usedNames = new Set(table.partitions.flatMap((p) => [p.name, ...(p.sub?.partitions.map((s) => s.name) ?? [])]));
  const archiveSteps = archiveStepsFor(table, parent, policy.retention?.archive);

  const showBound = (b: string) => {
    const r = parseRangeBound(b, keyType);
    return r ? fmtRange(r, show) : b === 'DEFAULT' ? 'DEFAULT' : subBounds(b);
  };

  // 1. Interrupted DETACH ... CONCURRENTLY: must be finalized before any other detach can run.
  actions.push(...finalizeActions(policy.name, parent, parent, existing.map((e) => e.part), (p) => showBound(p.boundExpr)));
  const finalized = new Set(actions.map((a) => a.partition.name));

  // 2. Resume multi-step work that a crash interrupted (journal + catalog agree it is half done).
  actions.push(
    ...resumeActions({
      policy, table, openWork: inp.openWork, showBound, archiveSteps,
      predicateFor: (b) => {
        const r = parseRangeBound(b, keyType);
        return r?.from == null || r.to == null ? undefined : rangePredicateSql(policy.range.column, lit(r.from), lit(r.to));
      },
    }),
  );
  for (const w of inp.openWork) {
    if (!w.standalone) continue;
    usedNames.add(w.name);
    const range = w.parent.schema === parent.schema && w.parent.name === parent.name ? parseRangeBound(w.boundSql, keyType) : undefined;
    if (range) occupied.push(range);
  }

  // 3. Creation window: from the retention horizon (or startFrom / the oldest partition / now) to premake ahead.
  const interval = policy.range.interval;
  const isInt = interval.kind === 'step';
  const cur = isInt ? (inp.maxKey ?? (typeof policy.range.startFrom === 'bigint' ? policy.range.startFrom : 0n)) : grid.nowKey(inp.nowMs);
  const curCell = grid.floor(cur);
  let hi = curCell;
  for (let i = 0; i <= policy.range.premake; i++) hi = grid.next(hi);
  const intMax = isInt ? INT_LIMITS[keyType as 'smallint' | 'integer' | 'bigint'].max : undefined;

  const finiteFroms = existing.map((e) => e.range.from).filter((f): f is bigint => f !== null);
  let lo: bigint;
  if (policy.range.startFrom !== undefined) lo = grid.floor(grid.start(policy.range.startFrom));
  else if (finiteFroms.length > 0) lo = grid.floor(finiteFroms.reduce((a, b) => (a < b ? a : b)));
  else lo = curCell;
  if (lo > curCell) lo = curCell;
  const keep = policy.retention?.keep;
  const cutoff = keep ? grid.minus(inp.nowMs, keep) : undefined;
  if (cutoff !== undefined && grid.floor(cutoff) > lo) lo = grid.floor(cutoff);

  // The grid's cells from lo to hi, computed once (time-zone arithmetic is not free).
  const cells: Array<[bigint, bigint]> = [];
  for (let a = lo; a < hi; ) {
    const b = grid.next(a);
    cells.push([a, b]);
    a = b;
  }

  // Health as attached now: cells nothing attached covers, behind and ahead of the current one.
  const unattached = uncoveredCells(existing.map((e) => e.range));
  let missingAhead = 0;
  let gapsBehind = 0;
  for (const [a, b] of cells) {
    if (unattached(a, b).length === 0) continue;
    if (a >= curCell) missingAhead++;
    else gapsBehind++;
  }

  const naming = policy.range.naming ?? defaultNaming(isInt ? 'step' : interval.interval.unit);
  let creates = 0;
  let coverageEnd: bigint | undefined = existing.reduce<bigint | undefined>((m, e) => (e.range.to !== null && (m === undefined || e.range.to > m) ? e.range.to : m), undefined);
  const unoccupied = uncoveredCells(occupied);
  for (const [a, b] of cells) {
    for (const [from, to] of unoccupied(a, b)) {
      if (intMax !== undefined && to - 1n > intMax) {
        problem('coverage_gap', `cannot create [${show(from, 'from')}, ${show(to, 'to')}): beyond the maximum of ${keyType}`);
        continue;
      }
      if (++creates > MAX_CREATES_PER_RUN) {
        problem('coverage_gap', `more than ${MAX_CREATES_PER_RUN} partitions are missing; creating the first ${MAX_CREATES_PER_RUN} this run`);
        break;
      }
      const name = renderName(naming, nameParts(policy, keyType, from, to));
      const bounds = `[${show(from, 'from')}, ${show(to, 'to')})`;
      if (!name) {
        problem('naming', `naming "${naming}" cannot produce a name of at most 63 bytes for ${bounds}`);
        continue;
      }
      if (usedNames.has(name)) {
        problem('naming', `name "${name}" for ${bounds} is already taken by another partition; choose a naming template with finer tokens`, name);
        continue;
      }
      usedNames.add(name);
      const ref = { schema: parent.schema, name };
      const subs = createSqlFor(ref);
      if (!subs) continue;
      const boundSql = rangeBoundSql(lit(from), lit(to));
      const base = { policy: policy.name, partition: ref, boundSql, bounds };
      if (coverageEnd === undefined || to > coverageEnd) coverageEnd = to;
      if (defaultPart) {
        const hasRows = inp.defaultRows.get(rangeKey(from, to));
        if (hasRows === undefined) needsDefaultCheck.push({ from, to });
        if (hasRows === true) {
          if (!policy.default.relocate) {
            problems.push({ policy: policy.name, rule: 'default_rows', partition: name, blocking: true, message: `DEFAULT partition ${defaultPart.name} holds rows in ${bounds}; ${name} cannot be created until they move (set default.relocate: true to let partwarden move them)` });
            continue;
          }
          const defRef = { schema: defaultPart.schema, name: defaultPart.name };
          const cols = table.columns.filter((c) => !c.generated).map((c) => c.name);
          const moveBatchSql = moveRowsSql(defRef, ref, policy.range.column, lit(from), lit(to), cols, policy.default.relocateBatchRows);
          actions.push({ ...base, kind: 'relocate', reason: `missing; DEFAULT holds rows of this range, moved in batches of ${policy.default.relocateBatchRows}`, createSql: subs, ...program([steps.createTable(subs), steps.moveRows(moveBatchSql), steps.drainAndAttach(moveBatchSql, attachSql(parent, ref, boundSql))]), defaultPartition: defRef, moveBatchSql });
          continue;
        }
      }
      const why = to <= curCell ? 'missing (backfill)' : from <= cur && cur < to ? 'missing (current)' : 'premake';
      const guard = defaultGuardFor(table, inp.defaultCount, ref, rangePredicateSql(policy.range.column, lit(from), lit(to)));
      actions.push(createAction(base, why, subs, attachSql(parent, ref, boundSql), guard));
    }
    if (creates > MAX_CREATES_PER_RUN) break;
  }

  // 4. Retention: expire finite, attached partitions past the horizon.
  const retention = policy.retention;
  let expiredAttached = 0;
  let needsOccupancy = false;
  if (retention) {
    const candidates = existing.filter((e): e is FinitePartition => e.range.from !== null && e.range.to !== null && !finalized.has(e.part.name));
    let expired: FinitePartition[] = [];
    if (cutoff !== undefined) expired = expiredByAge(candidates, cutoff);
    else if (retention.keepPartitions !== undefined) ({ expired, needsOccupancy } = expiredByCount(candidates, cur, retention.keepPartitions, inp.occupancy));
    const concurrently = inp.serverVersionNum >= 140000 && !defaultPart;
    expired.sort((x, y) => (x.range.from < y.range.from ? -1 : 1));
    const why = cutoff !== undefined ? `expired: upper bound <= now - ${formatCalendarInterval(keep!)}` : `expired: older than the newest ${retention.keepPartitions} partitions holding rows`;
    expiredAttached = expired.length;
    for (const e of expired) actions.push(removalAction(policy, e.part, retention.action, concurrently, fmtRange(e.range, show), why, archiveSteps));
    for (const e of existing.filter((x) => x.part.detachPending && retention.action !== 'detach')) {
      const ref = { schema: e.part.schema, name: e.part.name };
      const isExpired = cutoff !== undefined ? e.range.to !== null && e.range.to <= cutoff : false;
      if (!isExpired) continue;
      if (retention.action === 'drop') actions.push({ kind: 'drop', policy: policy.name, partition: ref, boundSql: '', bounds: fmtRange(e.range, show), reason: 'expired; dropped once finalized', ...program([steps.drop([dropSql(ref)])]) });
      else actions.push({ kind: 'archive', policy: policy.name, partition: ref, boundSql: e.part.boundExpr, bounds: fmtRange(e.range, show), reason: 'expired; archived once finalized', ...program(archiveSteps(ref, false, false)), resume: true });
    }
  }
  if (isInt && defaultPart && inp.defaultMaxKey != null && inp.defaultMaxKey >= hi) {
    const newestPart = existing.reduce<Existing | undefined>((m, e) => (e.range.to !== null && (!m || m.range.to === null || e.range.to > m.range.to) ? e : m), undefined);
    const where = newestPart ? `beyond the newest partition ${newestPart.part.name} (upper bound ${show(newestPart.range.to, 'to')})` : 'with no partition below it';
    problems.push({
      policy: policy.name, rule: 'key_outlier', partition: defaultPart.name, blocking: false,
      message: `DEFAULT partition ${defaultPart.name} holds ${policy.range.column} = ${displayKey(inp.defaultMaxKey, keyType)}, ${where}: ` +
        `DEFAULT rows never move the current point (${inp.maxKey === null ? 'no row in the partitions' : `max in the partitions ${displayKey(inp.maxKey, keyType)}`}), so no partition is created for it; ` +
        'move or delete the row, or create a partition for its range by hand',
    });
  }

  // 5. Sub-partitioned children that exist: every sub-partition must exist too (repaired, low-lock).
  const sp = policy.subpartition;
  if (sp) {
    const leaving = new Set(actions.filter((a) => a.kind !== 'create' && a.kind !== 'attach' && a.kind !== 'relocate').map((a) => a.partition.name));
    for (const e of existing) {
      const sub = e.part.sub;
      if (!sub || leaving.has(e.part.name)) continue;
      const child = { schema: e.part.schema, name: e.part.name };
      if (sub.strategy !== sp.strategy || sub.column !== sp.column) {
        problem('policy_table_mismatch', `partition ${e.part.name} is partitioned by ${String(sub.strategy).toUpperCase()} (${sub.column ?? 'expression'}), the policy's subpartition says ${sp.strategy.toUpperCase()} (${sp.column}); its sub-partitions are left alone`, e.part.name);
        continue;
      }
      const plan = subChildren(child, withResumed(sub.partitions, inp.openWork, child));
      problems.push(...plan.problems);
      for (const m of plan.missing) {
        const createSql = [createLikeSql(m.ref, parent)];
        actions.push({
          kind: 'create', policy: policy.name, partition: m.ref, boundSql: m.boundSql, bounds: `${e.part.name} ${m.bounds}`, parent: child,
          reason: sp.strategy === 'hash' ? 'missing sub-partition: inserts that hash to it fail until it exists' : 'declared sub-partition, missing',
          createSql, ...program([steps.createTable(createSql), steps.attach([attachSql(child, m.ref, m.boundSql)])]),
        });
      }
    }
  }

  // 6. The DEFAULT partition, last: new partitions attach first, without a DEFAULT to scan.
  const finite = existing.filter((e) => e.range.from !== null && e.range.to !== null);
  const oldest = finite.reduce<bigint | undefined>((m, e) => (m === undefined || e.range.from! < m ? e.range.from! : m), undefined);
  const newest = finite.reduce<bigint | undefined>((m, e) => (m === undefined || e.range.to! > m ? e.range.to! : m), undefined);
  const rangeHealth = {
    futurePartitions: existing.filter((e) => e.range.from !== null && e.range.from > cur).length,
    missingAhead, gapsBehind, expiredAttached,
    ...(oldest !== undefined ? { oldestBound: displayKey(oldest, keyType) } : {}),
    ...(newest !== undefined ? { newestBound: displayKey(newest, keyType) } : {}),
    ...(newest !== undefined && !isInt ? { coverageEndMs: keyType === 'timestamptz' ? keyToMs(newest) : fromWall(keyToMs(newest), policy.range.timezone) } : {}),
  };
  const finished = finishPlan(policy, table, usedNames, actions, problems, inp.defaultCount);
  return {
    ...finished,
    health: { ...finished.health!, range: rangeHealth },
    coverageEnd: coverageEnd === undefined ? undefined : displayKey(coverageEnd, keyType),
    needsDefaultCheck,
    needsOccupancy,
  };

  /** Plans the sub-partitions of one child (hash remainders or declared list values). */
  function subChildren(child: PartitionRef, partitions: readonly ObservedPartition[]) {
    const s = policy.subpartition!;
    const common = { policy: policy.name, parent: child, partitions, usedNames };
    return s.strategy === 'hash'
      ? planHashChildren({ ...common, naming: '{table}_h{remainder}', modulus: s.modulus })
      : planListChildren({ ...common, naming: '{table}_{key}', declared: inp.subDeclared ?? [] });
  }

  /** CREATE statements of a new child: one table, or a partitioned table and all its sub-partitions. */
  function createSqlFor(ref: PartitionRef): string[] | undefined {
    const s = policy.subpartition;
    if (!s) return [createLikeSql(ref, parent)];
    const plan = subChildren(ref, []);
    if (plan.problems.length > 0) {
      problems.push(...plan.problems);
      return undefined;
    }
    return [createPartitionedLikeSql(ref, parent, s.strategy, s.column), ...plan.missing.map((m) => createPartitionOfSql(m.ref, ref, m.boundSql))];
  }

}

/** Human-readable hash/list bounds of a sub-partition. */
function subBounds(b: string): string {
  const h = parseHashBound(b);
  if (h) return `remainder ${h.remainder} of ${h.modulus}`;
  const l = parseListBound(b);
  return l ? showValues(l) : b;
}

function fmtRange(r: ParsedRange, show: (k: bigint | null, side: 'from' | 'to') => string): string {
  return `[${show(r.from, 'from')}, ${show(r.to, 'to')})`;
}

function nameParts(policy: RangePolicy, keyType: KeyType, from: bigint, to: bigint): NameParts {
  const base = { schema: policy.table.schema, table: policy.table.name };
  if (policy.range.interval.kind === 'step') {
    const n = (k: bigint) => (k < 0n ? `m${-k}` : k.toString());
    return { ...base, start: n(from), end: n(to) };
  }
  const wall = (k: bigint) => (keyType === 'timestamptz' ? toWall(keyToMs(k), policy.range.timezone) : keyToMs(k));
  const compact = (k: bigint) => {
    const d = new Date(wall(k));
    const p = (x: number, w = 2) => String(x).padStart(w, '0');
    const day = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
    return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? day : `${day}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
  };
  const d = new Date(wall(from));
  const p = (x: number, w = 2) => String(x).padStart(w, '0');
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
