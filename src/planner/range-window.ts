import { uncoveredCells } from './bounds.js';
import type { RangeState } from './range-state.js';

/** The creation window of one plan: the grid's cells from the oldest kept to the premake horizon. */
export interface RangeWindow {
  /** The current point: now (time keys) or max(key) below the newest partition (integer keys). */
  readonly cur: bigint;
  readonly curCell: bigint;
  /** End of the premake horizon (exclusive). */
  readonly hi: bigint;
  /** keep: upper bounds at or before it have expired. */
  readonly cutoff: bigint | undefined;
  readonly cells: ReadonlyArray<readonly [bigint, bigint]>;
}

/**
 * From the oldest of startFrom, the oldest partition and the current one — never one that would
 * already be expired — to premake cells past the current one. Cells are computed once
 * (time-zone arithmetic is not free).
 */
export function creationWindow(s: RangeState): RangeWindow {
  const { policy, grid, inp } = s;
  const r = policy.range;
  const cur = r.interval.kind === 'step' ? (inp.maxKey ?? (typeof r.startFrom === 'bigint' ? r.startFrom : 0n)) : grid.nowKey(inp.nowMs);
  const curCell = grid.floor(cur);
  let hi = curCell;
  for (let i = 0; i <= r.premake; i++) hi = grid.next(hi);
  const finiteFroms = s.existing.map((e) => e.range.from).filter((f): f is bigint => f !== null);
  let lo: bigint;
  if (r.startFrom !== undefined) lo = grid.floor(grid.start(r.startFrom));
  else if (finiteFroms.length > 0) lo = grid.floor(finiteFroms.reduce((a, b) => (a < b ? a : b)));
  else lo = curCell;
  if (lo > curCell) lo = curCell;
  const keep = policy.retention?.keep;
  const cutoff = keep ? grid.minus(inp.nowMs, keep) : undefined;
  if (cutoff !== undefined && grid.floor(cutoff) > lo) lo = grid.floor(cutoff);
  const cells: Array<[bigint, bigint]> = [];
  for (let a = lo; a < hi; ) {
    const b = grid.next(a);
    cells.push([a, b]);
    a = b;
  }
  return { cur, curCell, hi, cutoff, cells };
}

/** Health as attached now: cells nothing attached covers, ahead of (and including) the current one, and behind it. */
export function attachedGaps(s: RangeState, w: RangeWindow): { missingAhead: number; gapsBehind: number } {
  const unattached = uncoveredCells(s.existing.map((e) => e.range));
  let missingAhead = 0;
  let gapsBehind = 0;
  for (const [a, b] of w.cells) {
    if (unattached(a, b).length === 0) continue;
    if (a >= w.curCell) missingAhead++;
    else gapsBehind++;
  }
  return { missingAhead, gapsBehind };
}
