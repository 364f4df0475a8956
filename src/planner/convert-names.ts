import { createHash } from 'node:crypto';
import { MAX_IDENTIFIER_BYTES } from '../model/naming.js';

/*
 * The names `partwarden convert` works with. Work names end in a fixed suffix, so a resumed run
 * (and a DBA reading the catalog) finds them again; anything longer than 63 bytes keeps a hash of
 * the full name before the suffix, so two long names never meet.
 */

/** The CHECK constraint that proves every row of the old table lies below the cutoff. */
export const BOUND_CHECK = 'partwarden_convert_bound';
/** What the new parent's comment says while it is being built (the bound the old table will get). */
export const PARENT_MARKER = 'partwarden convert: the historical partition goes ';

/** What the historical partition's comment says after the swap: the record `convert --undo` needs. */
export const UNDO_MARKER = 'partwarden convert: the old table; undo record ';

/** The unique keys the conversion widened (to build them back), as the undo record keeps them. */
export interface UndoRecord {
  readonly widened: ReadonlyArray<{ readonly index: string; readonly constraint: string | null; readonly primary: boolean; readonly columns: readonly string[]; readonly deferrable: boolean; readonly deferred: boolean }>;
}

/** The suffix of the widened twins convert builds next to a unique key that lacks the partition key. */
export const WIDE_SUFFIX = '_pw_wide';

/** `base` + `suffix` within 63 bytes: `base` shortened on a character boundary, with a hash of it. */
export function fitName(base: string, suffix: string): string {
  const full = base + suffix;
  if (Buffer.byteLength(full, 'utf8') <= MAX_IDENTIFIER_BYTES) return full;
  const hash = '_' + createHash('sha256').update(base).digest('hex').slice(0, 8);
  let head = base;
  while (Buffer.byteLength(head + hash + suffix, 'utf8') > MAX_IDENTIFIER_BYTES) head = [...head].slice(0, -1).join('');
  return head + hash + suffix;
}

export interface ConvertNames {
  /** The new partitioned table while it is built (it takes the table's name in the swap). */
  readonly tempParent: string;
  /** The old table once it is the historical partition. */
  readonly history: string;
  /** The unique index built next to one that lacks the key. */
  widened(index: string): string;
  /** The new parent's counterpart of an old index, until the swap gives it the old name. */
  parentIndex(index: string): string;
  /** An old index's name once its table is the historical partition. */
  historyIndex(index: string): string;
  /** convert --undo: a widened key's narrow original, built again on the old table. */
  narrow(index: string): string;
  /** convert --undo: the partitioned table while it is taken apart. */
  oldParent: string;
}

export function convertNames(table: string, history?: string): ConvertNames {
  const h = history ?? fitName(table, '_history');
  return {
    tempParent: fitName(table, '_pw_new'),
    history: h,
    widened: (index) => fitName(index, WIDE_SUFFIX),
    parentIndex: (index) => fitName(index, '_pw_new'),
    historyIndex: (index) => (index.startsWith(`${table}_`) ? fitName(h, index.slice(table.length)) : fitName(`${h}_${index}`, '')),
    narrow: (index) => fitName(index, '_pw_narrow'),
    oldParent: fitName(table, '_pw_old'),
  };
}
