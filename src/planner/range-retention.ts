import type { ObservedPartition } from '../catalog/types.js';
import type { ParsedRange } from './bounds.js';

/** An attached partition with finite, parsed bounds. */
export interface FinitePartition {
  readonly part: ObservedPartition;
  readonly range: ParsedRange & { readonly from: bigint; readonly to: bigint };
}

/** Which partitions hold at least one row (by occupancyKey); a partition missing from the map is assumed to. */
export type Occupancy = ReadonlyMap<string, boolean>;

/** A partition's key in an Occupancy map: schema and name (partitions of one table may sit in several schemas). */
export const occupancyKey = (t: { readonly schema: string; readonly name: string }): string => `${t.schema}.${t.name}`;

export const holdsRows = (occupancy: Occupancy | undefined, t: { readonly schema: string; readonly name: string }): boolean => occupancy?.get(occupancyKey(t)) ?? true;

/**
 * retention.keepPartitions: the current partition is always kept, and the newest N partitions
 * that hold rows (the current one counts when it holds rows); everything older than the Nth of
 * them expires. Empty partitions (created ahead, or gaps) never push one with rows out, and fewer
 * than N partitions with rows means nothing expires. Future partitions (lower bound above the
 * current point) are never candidates. Without `occupancy` every partition is assumed to hold
 * rows, and `needsOccupancy` asks the caller to read it and plan again.
 */
export function expiredByCount(candidates: readonly FinitePartition[], cur: bigint, keep: number, occupancy: Occupancy | undefined): { expired: FinitePartition[]; needsOccupancy: boolean } {
  const newestFirst = candidates.filter((e) => e.range.from <= cur).sort((x, y) => (x.range.from > y.range.from ? -1 : 1));
  if (newestFirst.length <= keep) return { expired: [], needsOccupancy: false };
  let holders = 0;
  for (let i = 0; i < newestFirst.length; i++) {
    if (holdsRows(occupancy, newestFirst[i]!.part)) holders++;
    if (holders === keep) return { expired: newestFirst.slice(i + 1), needsOccupancy: occupancy === undefined };
  }
  return { expired: [], needsOccupancy: false };
}

/** retention.keep: a partition expires when its upper bound is at or before now - keep. */
export const expiredByAge = (candidates: readonly FinitePartition[], cutoff: bigint): FinitePartition[] => candidates.filter((e) => e.range.to <= cutoff);
