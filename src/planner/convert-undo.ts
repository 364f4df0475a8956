import type { PlainTable } from '../catalog/plain-table.js';
import { displayName } from '../config/qualified-name.js';
import type { PartitionRef } from '../model/refs.js';
import { steps as make } from '../model/steps.js';
import { dropConstraintSql } from '../sql/ddl.js';
import { dropEmptyTableSql, dropIndexConcurrentlySql } from '../sql/convert-ddl.js';
import { BOUND_CHECK, type ConvertNames } from './convert-names.js';
import { refusedPlan, type ConvertPlan } from './convert-plan.js';
import { isWidenedTwin } from './convert-inputs.js';
import { planUnswap, undoFinish } from './convert-unswap.js';
import type { KeyType } from './keys.js';

/**
 * `convert --undo`. After the swap: planner/convert-unswap.ts. Before it (a conversion under way): the CHECK goes first (from then on the
 * application may write any key again), then the new parent (only if it holds no row: it is in the
 * same statement as the proof) and the widened indexes. The table is then exactly as it was.
 */
export function planUndo(ref: PartitionRef, t: PlainTable, names: ConvertNames, key: { column: string; type: KeyType } | undefined): ConvertPlan {
  if (t.relkind === 'p') {
    if (!key) return refusedPlan(`the key column of ${displayName(ref)} cannot be read`);
    const u = planUnswap(ref, t, names, key);
    return { refusals: u.refusals, warnings: [], summary: u.steps.length > 0 ? [`undo: ${displayName(ref)} becomes the plain table ${names.history} was, with every row written since the swap`] : [], steps: u.steps };
  }
  const sql = [
    ...(t.checks.some((c) => c.name === BOUND_CHECK) ? [dropConstraintSql(ref, BOUND_CHECK)] : []),
    ...(t.tempParent ? [dropEmptyTableSql({ schema: ref.schema, name: t.tempParent.name })] : []),
    ...t.indexes.filter(isWidenedTwin).map((x) => dropIndexConcurrentlySql({ schema: ref.schema, name: x.name })),
  ];
  if (sql.length === 0) return { refusals: [], warnings: [], summary: [], steps: undoFinish(ref, t) };
  return { refusals: [], warnings: [], summary: [`undo: ${displayName(ref)} goes back to how it was before convert began`], steps: [make.convertUndo(sql)] };
}
