import { program, steps } from '../model/steps.js';
import { attachSql } from '../sql/ddl.js';
import { createChildSql, tableShape } from './dress.js';
import { withResumed } from './common.js';
import { subChildren } from './range-create.js';
import type { RangeState } from './range-state.js';

/**
 * Sub-partitioned children that exist: every sub-partition must exist too, repaired with
 * `CREATE TABLE ... LIKE` + `ATTACH` to the child (SHARE UPDATE EXCLUSIVE on it). Children this
 * plan removes are left alone, and so are children partitioned otherwise than the policy says.
 */
export function planSubpartitionRepairs(s: RangeState): void {
  const sp = s.policy.subpartition;
  if (!sp) return;
  const leaving = new Set(s.actions.filter((a) => a.kind !== 'create' && a.kind !== 'attach' && a.kind !== 'relocate').map((a) => a.partition.name));
  for (const e of s.existing) {
    const sub = e.part.sub;
    if (!sub || leaving.has(e.part.name)) continue;
    const child = { schema: e.part.schema, name: e.part.name };
    if (sub.strategy !== sp.strategy || sub.column !== sp.column) {
      s.problem('policy_table_mismatch', `partition ${e.part.name} is partitioned by ${String(sub.strategy).toUpperCase()} (${sub.column ?? 'expression'}), the policy's subpartition says ${sp.strategy.toUpperCase()} (${sp.column}); its sub-partitions are left alone`, e.part.name);
      continue;
    }
    const plan = subChildren(s, child, withResumed(sub.partitions, s.inp.openWork, child));
    s.problems.push(...plan.problems);
    for (const m of plan.missing) {
      const createSql = createChildSql(m.ref, s.parent, tableShape(s.inp.table, s.policy.template));
      s.actions.push({
        kind: 'create', policy: s.policy.name, partition: m.ref, boundSql: m.boundSql, bounds: `${e.part.name} ${m.bounds}`, parent: child,
        reason: sp.strategy === 'hash' ? 'missing sub-partition: inserts that hash to it fail until it exists' : 'declared sub-partition, missing',
        createSql, ...program([steps.createTable(createSql), steps.attach([attachSql(child, m.ref, m.boundSql)])]),
      });
    }
  }
}
