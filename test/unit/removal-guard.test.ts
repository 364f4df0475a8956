import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObservedPartition, ObservedTable } from '../../src/catalog/types.js';
import type { RangePolicy, RetentionSpec } from '../../src/config/types.js';
import type { Action, PolicyPlan } from '../../src/planner/actions.js';
import { planRange } from '../../src/planner/range.js';
import { expiredByCount, type FinitePartition } from '../../src/planner/range-retention.js';
import { guardRemovals } from '../../src/planner/removal-guard.js';

const part = (i: number, extra: Partial<ObservedPartition> = {}): ObservedPartition => ({
  oid: 100 + i, schema: 'public', name: `p${i}`, boundExpr: `FOR VALUES FROM ('${i * 10}') TO ('${(i + 1) * 10}')`, isDefault: false, detachPending: false, isPartitioned: false, estimatedRows: 0, ...extra,
});
const finite = (i: number): FinitePartition => ({ part: part(i), range: { from: BigInt(i * 10), to: BigInt((i + 1) * 10) } });
const table = (partitions: ObservedPartition[]): ObservedTable => ({
  exists: true, oid: 1, relkind: 'p', strategy: 'range', keyColumns: [{ name: 'id', type: 'integer' }], columns: [{ name: 'id', type: 'integer', generated: false }],
  partitions, canManage: true, canCreateInSchema: true, referencedBy: [],
});
const retention = (o: Partial<RetentionSpec> = {}): RetentionSpec => ({ action: 'drop', maxPerRun: 10, allowMassRemoval: false, ...o });
const policy = (r: RetentionSpec): RangePolicy => ({
  name: 'ids', origin: { file: 'p.yaml', line: 1, col: 1 }, database: 'main', table: { schema: 'public', name: 'ids' }, strategy: 'range',
  range: { column: 'id', interval: { kind: 'step', step: 10n }, premake: 1, timezone: 'UTC' },
  default: { create: false, maxRows: 0, relocate: false, relocateBatchRows: 100 }, retention: r, health: { probes: [], maxShards: 10000 }, analyze: { parent: false, minIntervalMs: 86_400_000 }, drift: 'repair' as const,
});
const drop = (i: number): Action => ({ kind: 'drop', policy: 'ids', partition: { schema: 'public', name: `p${i}` }, boundSql: '', bounds: `[${i * 10}, ${(i + 1) * 10})`, reason: 'expired', steps: [], sql: [] });
const planOf = (actions: Action[]): PolicyPlan => ({ policy: 'ids', database: 'main', table: 'public.ids', actions, problems: [] });
const occupied = (n: number, empty: number[] = []) => new Map(Array.from({ length: n }, (_, i) => [`public.p${i}`, !empty.includes(i)]));

describe('keepPartitions counts partitions that hold rows', () => {
  it('keeps the newest N holding rows; empty gaps between them stay, empty ones behind go', () => {
    const parts = [0, 1, 2, 3, 4].map(finite);
    const r = expiredByCount(parts, 45n, 2, new Map([['public.p0', true], ['public.p1', false], ['public.p2', true], ['public.p3', false], ['public.p4', true]]));
    expect(r.expired.map((e) => e.part.name).sort()).toEqual(['p0', 'p1']);
  });
  it('fewer than N partitions holding rows: nothing expires, however many partitions there are', () => {
    const parts = Array.from({ length: 40 }, (_, i) => finite(i));
    expect(expiredByCount(parts, 395n, 3, new Map(parts.map((p, i) => [`public.${p.part.name}`, i === 39 || i === 2]))).expired).toEqual([]);
  });
  it('asks for occupancy when more than N partitions are past or current, and assumes rows until it has it', () => {
    const parts = [0, 1, 2].map(finite);
    expect(expiredByCount(parts, 25n, 2, undefined)).toMatchObject({ needsOccupancy: true });
    expect(expiredByCount(parts, 25n, 3, undefined)).toEqual({ expired: [], needsOccupancy: false });
  });
  it('property: never expires a partition newer than the Nth newest holding rows, nor any ahead of the current point', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), fc.nat(30), (rows, keep, curIdx) => {
      const parts = rows.map((_, i) => finite(i));
      const cur = BigInt(Math.min(curIdx, rows.length - 1) * 10 + 5);
      const { expired } = expiredByCount(parts, cur, keep, new Map(rows.map((r, i) => [`public.p${i}`, r])));
      const pastHolders = rows.map((r, i) => ({ r, i })).filter((x) => x.r && BigInt(x.i * 10) <= cur).map((x) => x.i).sort((a, b) => b - a);
      const cutoff = pastHolders.length >= keep ? pastHolders[keep - 1]! : -1;
      for (const e of expired) {
        const i = Number(e.range.from / 10n);
        expect(i).toBeLessThan(cutoff);
        expect(e.range.from <= cur).toBe(true);
      }
    }));
  });
  it('the planner keeps data behind empty partitions made ahead (the stray-row aftermath)', () => {
    // p0..p2 hold rows, p3..p9 are empty and ahead of max(key) = 25: nothing expires with keepPartitions 3
    const parts = Array.from({ length: 10 }, (_, i) => part(i));
    const r = planRange({ policy: policy(retention({ keepPartitions: 3 })), table: table(parts), keyType: 'integer', nowMs: 0, maxKey: 25n, serverVersionNum: 180000, openWork: [], defaultRows: new Map(), occupancy: occupied(10, [3, 4, 5, 6, 7, 8, 9]) });
    expect(r.actions.filter((a) => a.kind === 'drop')).toEqual([]);
  });
});

describe('the retention guard', () => {
  const parts = Array.from({ length: 6 }, (_, i) => part(i));
  const guard = (plan: PolicyPlan, o: { r?: RetentionSpec; occupancy?: Map<string, boolean>; clockDoubt?: string; allow?: boolean } = {}) =>
    guardRemovals(plan, { policy: policy(o.r ?? retention()), table: table(parts), occupancy: o.occupancy ?? occupied(6), allowMassRemoval: o.allow ?? false, ...(o.clockDoubt ? { clockDoubt: o.clockDoubt } : {}) });

  it('lets up to half of the partitions holding rows go, refuses more, and names the numbers', () => {
    expect(guard(planOf([drop(0), drop(1), drop(2)])).actions).toHaveLength(3);
    const refused = guard(planOf([drop(0), drop(1), drop(2), drop(3)]));
    expect(refused.actions).toEqual([]);
    expect(refused.problems).toEqual([expect.objectContaining({ rule: 'retention_guard', blocking: true })]);
    expect(refused.problems[0]!.message).toContain('4 of the 6 partition(s) holding rows would be removed (more than half)');
  });
  it('empty partitions do not count either way', () => {
    // 4 removals, but only one of them holds rows (of 3 holders)
    expect(guard(planOf([drop(0), drop(1), drop(2), drop(3)]), { occupancy: occupied(6, [0, 1, 2]) }).actions).toHaveLength(4);
  });
  it('refuses to go below keepPartitions partitions holding rows', () => {
    const r = guard(planOf([drop(0), drop(1)]), { r: retention({ keepPartitions: 5 }) });
    expect(r.actions).toEqual([]);
    expect(r.problems[0]!.message).toContain('only 4 partition(s) holding rows would remain, fewer than keepPartitions (5)');
  });
  it('refuses any removal at a time far from the database clock, until confirmed', () => {
    const doubt = "this run's time 2027-12-01T00:00:00.000Z (--at / PARTWARDEN_NOW) is 365 days ahead of the database's clock";
    expect(guard(planOf([drop(0)]), { clockDoubt: doubt }).problems[0]!.message).toContain(doubt);
    expect(guard(planOf([drop(0)]), { clockDoubt: doubt, allow: true }).actions).toHaveLength(1);
    expect(guard(planOf([drop(0), drop(1), drop(2), drop(3)]), { r: retention({ allowMassRemoval: true }) }).actions).toHaveLength(4);
  });
  it('maxPerRun: the oldest go first, the rest are deferred and listed', () => {
    const r = guard(planOf([drop(0), drop(1), drop(2)]), { r: retention({ maxPerRun: 2 }) });
    expect(r.actions.map((a) => a.partition.name)).toEqual(['p0', 'p1']);
    expect(r.deferred).toEqual([{ kind: 'drop', partition: 'p2', bounds: '[20, 30)', reason: 'expired' }]);
  });
  it('work resumed on tables already detached is neither counted nor limited', () => {
    const resumed: Action = { kind: 'archive', policy: 'ids', partition: { schema: 'public', name: 'gone' }, boundSql: '', bounds: '', reason: 'resume', steps: [], sql: [], resume: true };
    const r = guard(planOf([resumed, drop(0)]), { r: retention({ maxPerRun: 1 }), clockDoubt: 'far' });
    expect(r.actions).toEqual([resumed]);
  });
});
