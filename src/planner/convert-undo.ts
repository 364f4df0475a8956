import type { PlainTable } from '../catalog/plain-table.js';
import { displayName } from '../config/qualified-name.js';
import type { PartitionRef } from '../model/refs.js';
import { steps as make } from '../model/steps.js';
import { dropConstraintSql } from '../sql/ddl.js';
import { dropEmptyTableSql, dropIndexConcurrentlySql } from '../sql/convert-ddl.js';
import { BOUND_CHECK, type ConvertNames } from './convert-names.js';
import type { ConvertPlan } from './convert-plan.js';

/**
 * `convert --undo` of a conversion that has not swapped yet: the CHECK goes first (from then on the
 * application may write any key again), then the new parent (only if it holds no row: it is in the
 * same statement as the proof) and the widened indexes. The table is then exactly as it was.
 */
export function planUndo(ref: PartitionRef, t: PlainTable, names: ConvertNames): ConvertPlan {
  if (t.relkind === 'p') {
    return {
      refusals: [`${displayName(ref)} was converted already (it is partitioned); undoing a finished conversion is not supported yet: its historical partition ${names.history} is the old table, which DETACH PARTITION gives back as a plain table once the rows written since are copied into it`],
      warnings: [], summary: [], steps: [],
    };
  }
  const sql = [
    ...(t.checks.some((c) => c.name === BOUND_CHECK) ? [dropConstraintSql(ref, BOUND_CHECK)] : []),
    ...(t.tempParent ? [dropEmptyTableSql({ schema: ref.schema, name: t.tempParent.name })] : []),
    ...t.indexes.filter((x) => x.name.endsWith('_pw_wide')).map((x) => dropIndexConcurrentlySql({ schema: ref.schema, name: x.name })),
  ];
  return {
    refusals: [], warnings: [],
    summary: sql.length > 0 ? [`undo: ${displayName(ref)} goes back to how it was before convert began`] : [],
    steps: sql.length > 0 ? [make.convertUndo(sql)] : [],
  };
}
