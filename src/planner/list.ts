import type { ObservedTable, OpenWork } from '../catalog/types.js';
import type { ListPolicy } from '../config/types.js';
import { attachSql } from '../sql/ddl.js';
import { createChildSql, tableShape } from './dress.js';
import type { Action, PolicyPlan, Problem } from './actions.js';
import { planListChildren, showValues, type CanonicalListPartition } from './children.js';
import {
  archiveStepsFor, createAction, defaultGuardFor, finalizeActions, finishPlan, removalAction, removalBlocker, resumeActions, withResumed, type DefaultRowCount,
} from './common.js';
import { citusDetachNote, detachConcurrently } from './citus.js';
import { relocateProgram, rowMove } from './relocate.js';
import { listPredicateSql, parseListBound, valueSetKey, type CanonicalValue } from './list-hash-bounds.js';

export interface ListInputs {
  readonly policy: ListPolicy;
  readonly table: ObservedTable;
  /** The declared partitions with values in the column type's canonical text (see observe). */
  readonly declared: readonly CanonicalListPartition[];
  readonly serverVersionNum: number;
  readonly openWork: readonly OpenWork[];
  /** "Does DEFAULT hold rows of these values?" keyed by valueSetKey, for sets asked before. */
  readonly defaultRows: ReadonlyMap<string, boolean>;
  readonly defaultCount?: DefaultRowCount;
}

export interface ListPlan extends PolicyPlan {
  /** Value sets to check DEFAULT for; plan again with the answers. */
  readonly needsDefaultCheck: ReadonlyArray<readonly CanonicalValue[]>;
}

const showBound = (boundSql: string) => {
  const v = parseListBound(boundSql);
  return v ? showValues(v) : boundSql;
};

/**
 * Plans one LIST policy: finalize interrupted detaches, resume half-done work, create every
 * declared partition that is missing (relocating its rows out of DEFAULT when allowed), apply
 * onRemoved to attached partitions no longer declared, create the DEFAULT when asked. Pure.
 */
export function planList(inp: ListInputs): ListPlan {
  const { policy, table } = inp;
  const parent = policy.table;
  const problems: Problem[] = [];
  const needsDefaultCheck: CanonicalValue[][] = [];
  const defaultPart = table.partitions.find((p) => p.isDefault);
  const archiveSteps = archiveStepsFor(table, parent, policy.retention?.archive);
  const usedNames = new Set(table.partitions.map((p) => p.name));

  const actions: Action[] = [
    ...finalizeActions(policy.name, parent, parent, table.partitions, (p) => showBound(p.boundExpr)),
    ...resumeActions({
      policy, table, openWork: inp.openWork, showBound, archiveSteps,
      predicateFor: (b) => {
        const v = parseListBound(b);
        return v ? listPredicateSql(policy.list.column, v) : undefined;
      },
    }),
  ];
  for (const w of inp.openWork) usedNames.add(w.name);

  const children = planListChildren({ policy: policy.name, parent, partitions: withResumed(table.partitions, inp.openWork, parent), naming: policy.list.naming, usedNames, declared: inp.declared });
  problems.push(...children.problems);
  for (const m of children.missing) {
    const values = m.values!;
    const base = { policy: policy.name, partition: m.ref, boundSql: m.boundSql, bounds: m.bounds };
    const createSql = createChildSql(m.ref, parent, tableShape(table, policy.template));
    if (defaultPart) {
      const hasRows = inp.defaultRows.get(valueSetKey(values));
      if (hasRows === undefined) needsDefaultCheck.push([...values]);
      if (hasRows === true) {
        if (!policy.default.relocate) {
          problems.push({ policy: policy.name, rule: 'default_rows', partition: m.ref.name, blocking: true, message: `DEFAULT partition ${defaultPart.name} holds rows ${m.bounds}; ${m.ref.name} cannot be created until they move (set default.relocate: true to let partwarden move them)` });
          continue;
        }
        const defRef = { schema: defaultPart.schema, name: defaultPart.name };
        const move = rowMove(table, parent, m.ref, defRef, listPredicateSql(policy.list.column, values), policy.default.relocateBatchRows);
        actions.push({ ...base, kind: 'relocate', reason: `declared; DEFAULT holds rows of these values, ${move.how}`, ...relocateProgram(move, createSql, attachSql(parent, m.ref, m.boundSql), [m.ref, defRef]), defaultPartition: defRef, moveBatchSql: move.moveSql });
        continue;
      }
    }
    const guard = defaultGuardFor(table, inp.defaultCount, m.ref, listPredicateSql(policy.list.column, values));
    actions.push(createAction(base, 'declared, missing', createSql, attachSql(parent, m.ref, m.boundSql), guard));
  }

  // Partitions whose values are no longer declared.
  const concurrently = detachConcurrently(inp.serverVersionNum, inp.table, defaultPart !== undefined);
  const pendingFinalize = new Set(actions.filter((a) => a.kind === 'finalize').map((a) => a.partition.name));
  for (const part of children.undeclared) {
    if (pendingFinalize.has(part.name)) continue;
    const bounds = showBound(part.boundExpr);
    const onRemoved = policy.list.onRemoved;
    if (onRemoved === 'keep') {
      problems.push({ policy: policy.name, rule: 'list_partition_undeclared', partition: part.name, message: `partition ${part.name} (${bounds}) is attached but its values are not declared in the policy; kept (list.onRemoved: keep)` });
      continue;
    }
    const blocked = removalBlocker(policy, table, part.name, onRemoved);
    if (blocked) problems.push({ ...blocked, rule: 'list_partition_undeclared' });
    else actions.push(removalAction(policy, part, onRemoved, concurrently, bounds, `values no longer declared (list.onRemoved: ${onRemoved})${citusDetachNote(inp.table)}`, archiveSteps));
  }

  // The DEFAULT last: new partitions attach first, without a DEFAULT to scan.
  return { ...finishPlan(policy, table, usedNames, actions, problems, inp.defaultCount), needsDefaultCheck };
}
