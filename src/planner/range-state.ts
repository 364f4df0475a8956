import type { ObservedPartition, ObservedTable, OpenWork } from '../catalog/types.js';
import type { RangePolicy } from '../config/types.js';
import type { Action, PartitionRef, PolicyPlan, Problem } from './actions.js';
import { parseRangeBound, type ParsedRange } from './bounds.js';
import { showValues, type CanonicalListPartition } from './children.js';
import { archiveStepsFor, type ArchiveSteps, type DefaultRowCount } from './common.js';
import { makeGrid, type Grid } from './grid.js';
import { displayKey, keyLiteral, type KeyType } from './keys.js';
import { parseHashBound, parseListBound } from './list-hash-bounds.js';
import type { Occupancy } from './range-retention.js';

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

/** An attached partition with its parsed bounds (MINVALUE/MAXVALUE as null). */
export interface Existing {
  readonly part: ObservedPartition;
  readonly range: ParsedRange;
}

/**
 * What the phases of a range plan share: the inputs, what the catalog shows (parsed once), and
 * the plan being built (actions, problems, names taken, ranges occupied). Each phase reads it
 * and appends to it, in order.
 */
export interface RangeState {
  readonly inp: RangeInputs;
  readonly policy: RangePolicy;
  readonly parent: PartitionRef;
  readonly grid: Grid;
  readonly defaultPart: ObservedPartition | undefined;
  readonly existing: readonly Existing[];
  /** Existing ranges plus those of tables a crashed run created and the resume attaches. */
  readonly occupied: ParsedRange[];
  readonly usedNames: Set<string>;
  readonly archiveSteps: ArchiveSteps;
  readonly actions: Action[];
  readonly problems: Problem[];
  readonly needsDefaultCheck: Array<{ from: bigint; to: bigint }>;
  lit(k: bigint): string;
  show(k: bigint | null, side: 'from' | 'to'): string;
  problem(rule: Problem['rule'], message: string, partition?: string): void;
  /** Human-readable bounds of any bound clause (range, list, hash, DEFAULT). */
  showBound(boundSql: string): string;
}

/** Phase 0: the state, with the attached partitions parsed (unreadable or infinite ones reported, never touched). */
export function rangeState(inp: RangeInputs): RangeState {
  const { policy, table, keyType } = inp;
  const problems: Problem[] = [];
  const show = (k: bigint | null, side: 'from' | 'to') => (k === null ? (side === 'from' ? 'MINVALUE' : 'MAXVALUE') : displayKey(k, keyType));
  const problem = (rule: Problem['rule'], message: string, partition?: string) => {
    problems.push({ policy: policy.name, rule, message, ...(partition ? { partition } : {}) });
  };
  const existing: Existing[] = [];
  for (const part of table.partitions) {
    if (part.isDefault) continue;
    const range = parseRangeBound(part.boundExpr, keyType);
    if (!range) {
      problem('unmanaged_partition', `bounds "${part.boundExpr}" are not a range partwarden can read; left alone`, part.name);
      continue;
    }
    if (range.from === null || range.to === null) problem('unmanaged_partition', `bounds ${fmtRange(range, show)} are not finite; reported, never touched`, part.name);
    existing.push({ part, range });
  }
  return {
    inp, policy, parent: policy.table, grid: makeGrid(policy.range, keyType),
    defaultPart: table.partitions.find((p) => p.isDefault),
    existing,
    occupied: existing.map((e) => e.range),
    usedNames: new Set(table.partitions.flatMap((p) => [p.name, ...(p.sub?.partitions.map((s) => s.name) ?? [])])),
    archiveSteps: archiveStepsFor(table, policy.table, policy.retention?.archive),
    actions: [], problems, needsDefaultCheck: [],
    lit: (k) => keyLiteral(k, keyType),
    show, problem,
    showBound: (b) => {
      const r = parseRangeBound(b, keyType);
      return r ? fmtRange(r, show) : b === 'DEFAULT' ? 'DEFAULT' : subBounds(b);
    },
  };
}

/** `[from, to)` as people read it. */
export function fmtRange(r: ParsedRange, show: (k: bigint | null, side: 'from' | 'to') => string): string {
  return `[${show(r.from, 'from')}, ${show(r.to, 'to')})`;
}

/** Human-readable hash/list bounds of a sub-partition. */
function subBounds(b: string): string {
  const h = parseHashBound(b);
  if (h) return `remainder ${h.remainder} of ${h.modulus}`;
  const l = parseListBound(b);
  return l ? showValues(l) : b;
}
