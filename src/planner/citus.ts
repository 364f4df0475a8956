import type { ObservedTable } from '../catalog/types.js';

/** A table in Citus' metadata (distributed, reference or Citus local): Citus intercepts its DDL. */
const inCitus = (table: ObservedTable): boolean => table.citus !== undefined && table.citus.kind !== 'none';

/**
 * Whether an expired partition is detached CONCURRENTLY: PostgreSQL 14+, no DEFAULT partition (it
 * refuses then), and not a Citus table (Citus refuses DETACH ... CONCURRENTLY and FINALIZE: a
 * plain DETACH under lock_timeout it is).
 */
export function detachConcurrently(serverVersionNum: number, table: ObservedTable, hasDefault: boolean): boolean {
  return serverVersionNum >= 140000 && !hasDefault && !inCitus(table);
}

/** Said in the reason of a removal that cannot detach concurrently because of Citus. */
export const citusDetachNote = (table: ObservedTable): string =>
  inCitus(table) ? '; plain DETACH (Citus does not support DETACH ... CONCURRENTLY): ACCESS EXCLUSIVE on the parent, bounded by lockTimeout' : '';
