import { describe, expect, it } from 'vitest';
import { withParentAnalyze } from '../../src/planner/analyze.js';
import type { Action, PolicyPlan } from '../../src/planner/actions.js';
import type { RangePolicy } from '../../src/config/types.js';
import { parseCalendarInterval } from '../../src/time/duration.js';

const DAY = 86_400_000;
const policy = (parent: boolean): RangePolicy => ({
  name: 'events', origin: { file: 'p.yaml', line: 1, col: 1 }, database: 'main', table: { schema: 'public', name: 'events' }, strategy: 'range',
  range: { column: 'ts', interval: { kind: 'calendar', interval: parseCalendarInterval('1 day')! }, premake: 1, timezone: 'UTC' },
  default: { create: false, maxRows: 0, relocate: false, relocateBatchRows: 100 }, health: { probes: [], maxShards: 10000 }, analyze: { parent, minIntervalMs: DAY }, drift: 'repair',
});
const create = { kind: 'create', policy: 'events', partition: { schema: 'public', name: 'events_p1' }, boundSql: '', bounds: '', reason: '', steps: [], sql: [], createSql: [] } as Action;
const plan = (actions: Action[]): PolicyPlan => ({ policy: 'events', actions, problems: [] }) as unknown as PolicyPlan;
const now = Date.UTC(2026, 11, 1);

describe('analyze: parent', () => {
  it('analyzes the parent last, after the partitions this run adds', () => {
    const p = withParentAnalyze(plan([create]), policy(true), { analyzedAtMs: now - 2 * DAY, changedAtMs: now - 2 * DAY }, now);
    expect(p.actions.map((a) => a.kind)).toEqual(['create', 'analyze']);
    expect(p.actions[1]!.sql).toEqual(['ANALYZE "public"."events"']);
  });
  it('catches up on changes made since the last ANALYZE, once the minimum interval has passed', () => {
    const seen = { analyzedAtMs: now - 2 * DAY, changedAtMs: now - DAY };
    expect(withParentAnalyze(plan([]), policy(true), seen, now).actions.map((a) => a.kind)).toEqual(['analyze']);
    expect(withParentAnalyze(plan([]), policy(true), { analyzedAtMs: now - 3_600_000, changedAtMs: now - 60_000 }, now).actions).toEqual([]);
    expect(withParentAnalyze(plan([create]), policy(true), { analyzedAtMs: now - 3_600_000, changedAtMs: null }, now).actions.map((a) => a.kind)).toEqual(['create']);
  });
  it('does nothing without changes, or without the opt-in', () => {
    expect(withParentAnalyze(plan([]), policy(true), { analyzedAtMs: now - 9 * DAY, changedAtMs: now - 10 * DAY }, now).actions).toEqual([]);
    expect(withParentAnalyze(plan([create]), policy(false), undefined, now).actions.map((a) => a.kind)).toEqual(['create']);
  });
});
