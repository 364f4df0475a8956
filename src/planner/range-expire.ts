import { program, steps } from '../model/steps.js';
import { dropSql } from '../sql/ddl.js';
import { formatCalendarInterval } from '../time/duration.js';
import { citusDetachNote, detachConcurrently } from './citus.js';
import { removalAction, removalBlocker } from './common.js';
import { hiveKey } from '../model/archive-keys.js';
import type { Policy } from '../config/types.js';
import { displayKey } from './keys.js';
import { expiredByAge, expiredByCount, type FinitePartition } from './range-retention.js';
import { fmtRange, type Existing, type RangeState } from './range-state.js';
import type { RangeWindow } from './range-window.js';

/**
 * Retention: finite, attached partitions past the horizon (keep: by age from the database's
 * clock; keepPartitions: by partitions holding rows) are detached, dropped or archived, oldest
 * first; the removal guard limits them afterwards. An expired partition left pending detach is
 * dropped or archived once finalized. `finalized`: partitions this plan finalizes first.
 */
export function planRetention(s: RangeState, w: RangeWindow, finalized: ReadonlySet<string>): { expiredAttached: number; needsOccupancy: boolean } {
  const retention = s.policy.retention;
  if (!retention) return { expiredAttached: 0, needsOccupancy: false };
  const candidates = s.existing.filter((e): e is FinitePartition => e.range.from !== null && e.range.to !== null && !finalized.has(e.part.name));
  let expired: FinitePartition[] = [];
  let needsOccupancy = false;
  if (w.cutoff !== undefined) expired = expiredByAge(candidates, w.cutoff);
  else if (retention.keepPartitions !== undefined) ({ expired, needsOccupancy } = expiredByCount(candidates, w.cur, retention.keepPartitions, s.inp.occupancy));
  const concurrently = detachConcurrently(s.inp.serverVersionNum, s.inp.table, s.defaultPart !== undefined);
  expired.sort((x, y) => (x.range.from < y.range.from ? -1 : 1));
  const why = (w.cutoff !== undefined ? `expired: upper bound <= now - ${formatCalendarInterval(retention.keep!)}` : `expired: older than the newest ${retention.keepPartitions} partitions holding rows`) + citusDetachNote(s.inp.table);
  for (const e of expired) {
    const blocked = removalBlocker(s.policy, s.inp.table, e.part.name, retention.action);
    if (blocked) s.problems.push(blocked);
    else s.actions.push(removalAction(s.policy, e.part, retention.action, concurrently, fmtRange(e.range, s.show), retention.action === 'archive' ? why + publishedNote(s.policy, e.part.boundExpr) : why, s.archiveSteps));
  }
  if (retention.action !== 'detach') for (const e of s.existing) if (e.part.detachPending) afterFinalize(s, w, e);
  return { expiredAttached: expired.length, needsOccupancy };
}

/** An expired partition pending detach: dropped or archived once the plan's finalize completed it. */
function afterFinalize(s: RangeState, w: RangeWindow, e: Existing): void {
  if (w.cutoff === undefined || e.range.to === null || e.range.to > w.cutoff) return;
  const ref = { schema: e.part.schema, name: e.part.name };
  const base = { policy: s.policy.name, partition: ref, bounds: fmtRange(e.range, s.show) };
  if (s.policy.retention?.action === 'drop') s.actions.push({ ...base, kind: 'drop', boundSql: '', reason: 'expired; dropped once finalized', ...program([steps.drop([dropSql(ref)])]) });
  else s.actions.push({ ...base, kind: 'archive', boundSql: e.part.boundExpr, reason: `expired; archived once finalized${publishedNote(s.policy, e.part.boundExpr)}`, ...program(s.archiveSteps(ref, false, false)), resume: true });
}

/**
 * An integer policy's DEFAULT holding a key beyond the premake horizon: reported (key_outlier),
 * never acted on — DEFAULT rows do not move the current point.
 */
export function reportKeyOutlier(s: RangeState, w: RangeWindow): void {
  const { inp, defaultPart } = s;
  if (s.policy.range.interval.kind !== 'step' || !defaultPart || inp.defaultMaxKey == null || inp.defaultMaxKey < w.hi) return;
  const newest = s.existing.reduce<Existing | undefined>((m, e) => (e.range.to !== null && (!m || m.range.to === null || e.range.to > m.range.to) ? e : m), undefined);
  const where = newest ? `beyond the newest partition ${newest.part.name} (upper bound ${s.show(newest.range.to, 'to')})` : 'with no partition below it';
  const inPartitions = inp.maxKey === null ? 'no row in the partitions' : `max in the partitions ${displayKey(inp.maxKey, inp.keyType)}`;
  s.problems.push({
    policy: s.policy.name, rule: 'key_outlier', partition: defaultPart.name, blocking: false,
    message: `DEFAULT partition ${defaultPart.name} holds ${s.policy.range.column} = ${displayKey(inp.defaultMaxKey, inp.keyType)}, ${where}: ` +
      `DEFAULT rows never move the current point (${inPartitions}), so no partition is created for it; move or delete the row, or create a partition for its range by hand`,
  });
}

/** layout: hive — where the verified file will be published (under the storage URL), for the plan's reader. */
function publishedNote(policy: Policy, boundSql: string): string {
  const archive = policy.retention?.archive;
  if (archive?.layout !== 'hive') return '';
  try {
    return `; published as ${hiveKey(policy.database, policy.table, archive.hiveColumn!, boundSql)}`;
  } catch (err) {
    return `; ${(err as Error).message}`;
  }
}
