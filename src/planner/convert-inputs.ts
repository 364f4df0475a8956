import type { KeyStats, PlainIndex, PlainTable } from '../catalog/plain-table.js';
import type { RangePolicy } from '../config/types.js';
import type { ConvertNames } from './convert-names.js';
import type { KeyType } from './keys.js';

/** What the convert planner works from: the policy, what the catalog shows, the database's clock. */
export interface ConvertInputs {
  readonly policy: RangePolicy;
  readonly table: PlainTable;
  readonly keyType: KeyType;
  readonly stats: KeyStats;
  /** The database's clock. */
  readonly nowMs: number;
  readonly names: ConvertNames;
  /** --cutoff: the first key of the new partitions (a boundary of the policy's grid). */
  readonly cutoff?: string;
}

/** The unique indexes of the old table that lack the key: each gets a widened twin (key appended). */
export function indexesToWiden(t: PlainTable, key: string): PlainIndex[] {
  return t.indexes.filter((x) => x.unique && x.contype !== 'x' && !x.columns.includes(key) && !x.name.endsWith('_pw_wide'));
}

/** The old table's indexes the new parent gets a counterpart of: valid ones, not convert's own widened twins. */
export const carriedIndexes = (t: PlainTable): PlainIndex[] => t.indexes.filter((x) => x.valid && !x.name.endsWith('_pw_wide') && x.contype !== 'x');
