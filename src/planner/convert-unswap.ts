import type { PlainTable } from '../catalog/plain-table.js';
import { displayName } from '../config/qualified-name.js';
import type { PartitionRef } from '../model/refs.js';
import { steps as make, type Step } from '../model/steps.js';
import { commentSql, detachSql, dropConstraintSql, dropSql, validateConstraintSql, analyzeSql } from '../sql/ddl.js';
import {
  addForeignKeyNotValidSql, addIdentitySql, carrySequenceSql, clearCommentSql, constraintUsingIndexSql, copyRowsSql, createIndexConcurrentlySql, dropIndexConcurrentlySql,
  dropIndexSql, lockTablesSql, publicationTableSql, renameIndexSql, renameSequenceSql, renameTableSql, replaceViewSql, rowsArrivedSql, sequenceOwnedBySql, triggerStateSql,
  withinBoundsSql,
} from '../sql/convert-ddl.js';
import { parseRangeBound } from './bounds.js';
import { alongside, identityColumns, optional } from './convert-inputs.js';
import { fitName, UNDO_MARKER, type ConvertNames, type UndoRecord } from './convert-names.js';
import { keyLiteral, type KeyType } from './keys.js';

/**
 * `convert --undo` of a finished conversion: the historical partition becomes the plain table
 * again, with the rows written since the swap (they are copied into it, in the same transaction
 * that proves they all arrived before the partitioned table is dropped), its narrow unique keys
 * (built again CONCURRENTLY first), its identity, triggers, views, foreign keys and publications.
 */
export function planUnswap(ref: PartitionRef, t: PlainTable, names: ConvertNames, key: { column: string; type: KeyType }): { refusals: string[]; steps: Step[] } {
  const h = t.partitions.find((p) => p.name === names.history);
  const record = h?.comment?.startsWith(UNDO_MARKER) ? (JSON.parse(h.comment.slice(UNDO_MARKER.length)) as UndoRecord) : undefined;
  const bound = h ? parseRangeBound(h.bound, key.type) : undefined;
  if (!h || !record || bound?.from == null || bound.to == null) {
    return { refusals: [`${displayName(ref)} has no historical partition ${names.history} with convert's undo record: it was not converted by partwarden convert (or by an older version); nothing to undo`], steps: [] };
  }
  const history: PartitionRef = { schema: ref.schema, name: h.name };
  const rebuild = record.widened.filter((w) => !h.indexes.includes(names.narrow(w.index)));
  const steps: Step[] = [];
  if (rebuild.length > 0) {
    steps.push(make.convertIndex(rebuild.flatMap((w) => [dropIndexConcurrentlySql({ schema: ref.schema, name: names.narrow(w.index) }), createIndexConcurrentlySql(names.narrow(w.index), history, w.columns)])));
  }
  const inside = withinBoundsSql(key.column, keyLiteral(bound.from, key.type), keyLiteral(bound.to, key.type));
  steps.push(make.convertUnswap(unswapStatements(ref, t, names, record, history, inside, h.indexes)));
  return { refusals: [], steps };
}

function unswapStatements(ref: PartitionRef, t: PlainTable, names: ConvertNames, record: UndoRecord, history: PartitionRef, inside: string, h: readonly string[]): string[] {
  const at = (name: string): PartitionRef => ({ schema: ref.schema, name });
  const old = at(names.oldParent);
  const columns = t.columns.filter((c) => c.generated === '').map((c) => c.name);
  const identity = identityColumns(t);
  const undoSeq = (seq: PartitionRef): PartitionRef => ({ schema: seq.schema, name: fitName(seq.name, '_pw_undo') });
  const widened = new Map(record.widened.map((w) => [w.index, w]));
  return [
    lockTablesSql([ref, ...alongside(t)]),
    // foreign keys into the table go first: DETACH would otherwise check every referencing row
    ...t.incoming.map((f) => dropConstraintSql(f.table, f.name)),
    detachSql(ref, history, false),
    // the rows written since the swap, into the old table (which no longer has a partition bound)
    copyRowsSql(ref, history, columns),
    rowsArrivedSql(ref, history, inside),
    ...t.indexes.map((x) => renameIndexSql(at(x.name), fitName(x.name, '_pw_old'))),
    renameTableSql(ref, old.name),
    renameTableSql(history, ref.name),
    ...t.indexes.flatMap((x) => {
      const w = widened.get(x.name);
      const mine = at(names.historyIndex(x.name));
      if (!h.includes(mine.name)) return []; // made on the partitioned table later: the old table keeps its copy under the name it got
      if (!w) return [renameIndexSql(mine, x.name)];
      if (w.constraint) return [dropConstraintSql(ref, mine.name), constraintUsingIndexSql(ref, w.constraint, w.primary, names.narrow(w.index), w.deferrable, w.deferred)];
      return [dropIndexSql(mine), renameIndexSql(at(names.narrow(w.index)), w.index)];
    }),
    ...identity.flatMap((c) => [
      addIdentitySql(ref, c.name, c.identity === 'a', undoSeq(c.sequence!)),
      carrySequenceSql(ref, c.name, c.sequence!),
    ]),
    ...t.columns.filter((c) => c.identity === '' && c.sequence).map((c) => sequenceOwnedBySql(c.sequence!, ref, c.name)),
    t.comment !== null ? commentSql(ref, t.comment) : clearCommentSql(ref),
    ...t.triggers.flatMap((g) => [g.def, ...optional(triggerStateSql(ref, g.name, g.enabled))]),
    ...t.views.filter((v) => v.kind === 'v').map((v) => replaceViewSql(v.ref, v.options, v.def)),
    ...t.incoming.map((f) => addForeignKeyNotValidSql(f.table, f.name, f.def)),
    ...t.publications.map((p) => publicationTableSql(p.name, 'ADD', ref)),
    dropSql(old),
    ...identity.map((c) => renameSequenceSql(undoSeq(c.sequence!), c.sequence!.name)),
  ];
}


/** After an undo: the foreign keys it re-pointed at the plain table are validated (writes go on). */
export function undoFinish(ref: PartitionRef, t: PlainTable): Step[] {
  const pending = t.incoming.filter((f) => !f.validated);
  return pending.length > 0 ? [make.convertFinish([...pending.map((f) => validateConstraintSql(f.table, f.name)), analyzeSql([ref])])] : [];
}
