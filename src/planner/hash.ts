import type { ObservedTable, OpenWork } from '../catalog/types.js';
import type { HashPolicy } from '../config/types.js';
import { attachSql } from '../sql/ddl.js';
import { createChildSql, tableShape } from './dress.js';
import type { Action, PolicyPlan, Problem } from './actions.js';
import { planHashChildren } from './children.js';
import { archiveStepsFor, finalizeActions, finishPlan, hashSkew, healthOf, resumeActions, withResumed } from './common.js';
import { program, steps } from '../model/steps.js';
import { parseHashBound } from './list-hash-bounds.js';

export interface HashInputs {
  readonly policy: HashPolicy;
  readonly table: ObservedTable;
  readonly openWork: readonly OpenWork[];
}

const showBound = (boundSql: string) => {
  const b = parseHashBound(boundSql);
  return b ? `remainder ${b.remainder} of ${b.modulus}` : boundSql;
};

/**
 * Plans one HASH policy: every remainder 0..modulus-1 must exist — a missing one makes every
 * insert that hashes to it fail, an outage partwarden prevents. Partitions of another modulus
 * are reported (hash_modulus_mismatch) and never touched. Pure.
 */
export function planHash(inp: HashInputs): PolicyPlan {
  const { policy, table } = inp;
  const parent = policy.table;
  const problems: Problem[] = [];
  const usedNames = new Set([...table.partitions.map((p) => p.name), ...inp.openWork.map((w) => w.name)]);
  const actions: Action[] = [
    ...finalizeActions(policy.name, parent, parent, table.partitions, (p) => showBound(p.boundExpr)),
    ...resumeActions({ policy, table, openWork: inp.openWork, showBound, predicateFor: () => undefined, archiveSteps: archiveStepsFor(table, parent, undefined) }),
  ];
  const children = planHashChildren({ policy: policy.name, parent, partitions: withResumed(table.partitions, inp.openWork, parent), naming: policy.hash.naming, usedNames, modulus: policy.hash.modulus });
  problems.push(...children.problems);
  for (const m of children.missing) {
    const createSql = createChildSql(m.ref, parent, tableShape(table, policy.template));
    actions.push({
      kind: 'create', policy: policy.name, partition: m.ref, boundSql: m.boundSql, bounds: m.bounds,
      reason: 'missing remainder: inserts that hash to it fail until it exists', createSql, ...program([steps.createTable(createSql), steps.attach([attachSql(parent, m.ref, m.boundSql)])]),
    });
  }
  const current = table.partitions.filter((p) => parseHashBound(p.boundExpr)?.modulus === policy.hash.modulus);
  // hash tables have no DEFAULT: finishPlan adds nothing but the health figures
  return { ...finishPlan(policy, table, usedNames, actions, problems, undefined), health: healthOf(table, undefined, hashSkew(current)) };
}
