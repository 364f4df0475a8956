import { program, steps } from '../model/steps.js';
import { setAccessMethodSql } from '../sql/ddl.js';
import { formatCalendarInterval } from '../time/duration.js';
import { leavingPartitions } from './common.js';
import { fmtRange, type RangeState } from './range-state.js';

/**
 * retention.afterAge: attached, finite partitions whose upper bound <= now - age (the database's
 * clock), not already on the access method and not leaving in this plan, are rewritten with it,
 * oldest first, at most maxPerRun per run: one ALTER TABLE ... SET ACCESS METHOD per partition, in
 * its own transaction under lock_timeout (a kill -9 rolls it back; the next run plans it again
 * from the catalog). The rewrite holds ACCESS EXCLUSIVE on that partition only: queries that
 * prune it and writes to the others go on. PostgreSQL 15+ (the statement is new there).
 */
export function planTiering(s: RangeState): void {
  const t = s.policy.tiering;
  if (!t) return;
  if (s.inp.serverVersionNum < 150000) {
    s.problem('policy_table_mismatch', `retention.afterAge needs PostgreSQL 15 or later (ALTER TABLE ... SET ACCESS METHOD); this server is ${Math.floor(s.inp.serverVersionNum / 10000)}`);
    return;
  }
  const cutoff = s.grid.minus(s.inp.nowMs, t.age);
  const leaving = leavingPartitions(s.actions);
  const due = s.existing
    .filter((e) => e.range.from !== null && e.range.to !== null && e.range.to <= cutoff)
    .filter((e) => !e.part.isPartitioned && !e.part.detachPending && !leaving.has(e.part.name) && (e.part.accessMethod ?? 'heap') !== t.accessMethod)
    .sort((x, y) => (x.range.from! < y.range.from! ? -1 : 1));
  const why = `older than ${formatCalendarInterval(t.age)}: rewritten as ${t.accessMethod} (ACCESS EXCLUSIVE on this partition while it is rewritten, bounded by lockTimeout to start; the parent and the other partitions are not locked)`;
  for (const [i, e] of due.slice(0, t.maxPerRun).entries()) {
    const ref = { schema: e.part.schema, name: e.part.name };
    const waiting = i === 0 && due.length > t.maxPerRun ? `; ${due.length - t.maxPerRun} more wait for the next runs (retention.maxPerRun)` : '';
    s.actions.push({
      kind: 'tier', policy: s.policy.name, partition: ref, boundSql: e.part.boundExpr, bounds: fmtRange(e.range, s.show), relid: e.part.oid, accessMethod: t.accessMethod,
      reason: why + waiting, ...program([steps.setAccessMethod(setAccessMethodSql(ref, t.accessMethod))]),
    });
  }
}
