import type { KeyStats, PlainColumn, PlainIndex, PlainTable } from '../catalog/plain-table.js';
import type { PartitionRef } from '../model/refs.js';
import type { RangePolicy } from '../config/types.js';
import { WIDE_SUFFIX, type ConvertNames } from './convert-names.js';
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
  return t.indexes.filter((x) => x.unique && x.contype !== 'x' && !x.columns.includes(key) && !isWidenedTwin(x));
}

/** The old table's indexes the new parent gets a counterpart of: valid ones, not convert's own widened twins. */
export const carriedIndexes = (t: PlainTable): PlainIndex[] => t.indexes.filter((x) => x.valid && !isWidenedTwin(x) && x.contype !== 'x');

/** One of convert's own widened twins (`<index>_pw_wide`). */
export const isWidenedTwin = (x: PlainIndex): boolean => x.name.endsWith(WIDE_SUFFIX);

/** Identity columns with their sequence (carried by the swap and the undo). */
export const identityColumns = (t: PlainTable): PlainColumn[] => t.columns.filter((c) => c.identity !== '' && c.sequence);

/** What the swap (and the undo) change besides the table, each once: referencing tables and dependent views. */
export function alongside(t: PlainTable): PartitionRef[] {
  return [...new Map([...t.incoming.map((f) => f.table), ...t.views.map((v) => v.ref)].map((r) => [`${r.schema}.${r.name}`, r])).values()];
}

/** A statement that may not be needed, as a list of zero or one. */
export const optional = (s: string | undefined): string[] => (s === undefined ? [] : [s]);
