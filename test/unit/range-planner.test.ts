import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObservedPartition, ObservedTable, OpenWork } from '../../src/catalog/types.js';
import { parseCalendarInterval } from '../../src/time/duration.js';
import type { RangePolicy, RetentionSpec } from '../../src/config/types.js';
import type { Action } from '../../src/planner/actions.js';
import type { KeyType } from '../../src/planner/keys.js';
import { planRange, type RangeInputs } from '../../src/planner/range.js';

function policy(o: { interval: string | number; premake?: number; timezone?: string; retention?: RetentionSpec; naming?: string; startFrom?: string | bigint; relocate?: boolean; table?: string }): RangePolicy {
  return {
    name: 'p',
    origin: { file: 'p.yaml', line: 1, col: 1 },
    database: 'main',
    table: { schema: 'public', name: o.table ?? 'events' },
    strategy: 'range',
    range: {
      column: 'ts',
      interval: typeof o.interval === 'number' ? { kind: 'step', step: BigInt(o.interval) } : { kind: 'calendar', interval: parseCalendarInterval(o.interval)! },
      premake: o.premake ?? 2,
      timezone: o.timezone ?? 'UTC',
      naming: o.naming,
      startFrom: o.startFrom,
    },
    default: { create: false, maxRows: 0, relocate: o.relocate ?? false, relocateBatchRows: 100 },
    retention: o.retention,
    health: { probes: [], maxShards: 10000 },
    analyze: { parent: false, minIntervalMs: 86_400_000 }, drift: 'repair' as const,
  };
}

let oid = 1000;
function part(name: string, bound: string, extra: Partial<ObservedPartition> = {}): ObservedPartition {
  return { oid: oid++, schema: 'public', name, boundExpr: bound, isDefault: bound === 'DEFAULT', detachPending: false, isPartitioned: false, estimatedRows: 0, ...extra };
}
const day = (from: string, to: string) => `FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`;

function table(partitions: ObservedPartition[]): ObservedTable {
  return {
    exists: true, oid: 1, relkind: 'p', strategy: 'range', keyColumns: [{ name: 'ts', type: 'timestamp with time zone' }],
    columns: [{ name: 'id', type: 'bigint', generated: false }, { name: 'ts', type: 'timestamp with time zone', generated: false }, { name: 'g', type: 'int', generated: true }],
    partitions, canManage: true, canCreateInSchema: true, referencedBy: [],
  };
}

function plan(p: RangePolicy, parts: ObservedPartition[], now: string, extra: Partial<RangeInputs> = {}, keyType: KeyType = 'timestamptz') {
  return planRange({ policy: p, table: table(parts), keyType, nowMs: Date.parse(now), maxKey: null, serverVersionNum: 180000, openWork: [], defaultRows: new Map(), ...extra });
}
const summary = (actions: readonly Action[]) => actions.map((a) => `${a.kind} ${a.partition.name} ${a.bounds}`);

describe('range planning: creation', () => {
  it('creates the current partition and `premake` ahead on an empty table', () => {
    const r = plan(policy({ interval: '1 day', premake: 2 }), [], '2024-03-10T15:00:00Z');
    expect(summary(r.actions)).toEqual([
      'create events_p20240310 [2024-03-10 00:00:00+00, 2024-03-11 00:00:00+00)',
      'create events_p20240311 [2024-03-11 00:00:00+00, 2024-03-12 00:00:00+00)',
      'create events_p20240312 [2024-03-12 00:00:00+00, 2024-03-13 00:00:00+00)',
    ]);
    expect(r.actions[0]!.sql).toEqual([
      'CREATE TABLE "public"."events_p20240310" (LIKE "public"."events" INCLUDING ALL EXCLUDING IDENTITY)',
      `ALTER TABLE "public"."events" ATTACH PARTITION "public"."events_p20240310" FOR VALUES FROM ('2024-03-10 00:00:00+00'::timestamptz) TO ('2024-03-11 00:00:00+00'::timestamptz)`,
    ]);
    expect(r.coverageEnd).toBe('2024-03-13 00:00:00+00');
  });

  it('is a no-op when everything exists', () => {
    const parts = [part('a', day('2024-03-10', '2024-03-11')), part('b', day('2024-03-11', '2024-03-12')), part('c', day('2024-03-12', '2024-03-13'))];
    expect(plan(policy({ interval: '1 day', premake: 2 }), parts, '2024-03-10T15:00:00Z').actions).toEqual([]);
  });

  it('adopts hand-made partitions by bounds, whatever their names', () => {
    const parts = [part('my_own_name', day('2024-03-11', '2024-03-12'))];
    const r = plan(policy({ interval: '1 day', premake: 2 }), parts, '2024-03-10T15:00:00Z');
    expect(summary(r.actions).map((s) => s.split(' ')[1])).toEqual(['events_p20240310', 'events_p20240312']);
  });

  it('fills gaps between the oldest partition and the premake horizon', () => {
    const parts = [part('a', day('2024-03-05', '2024-03-06')), part('b', day('2024-03-08', '2024-03-09'))];
    const r = plan(policy({ interval: '1 day', premake: 0 }), parts, '2024-03-09T01:00:00Z');
    expect(summary(r.actions).map((s) => s.split(' ')[1])).toEqual(['events_p20240306', 'events_p20240307', 'events_p20240309']);
    expect(r.actions[0]!.reason).toBe('missing (backfill)');
  });

  it('fits new partitions around off-grid ones without overlap', () => {
    // a hand-made partition from noon to noon covers half of two grid days
    const parts = [part('odd', `FOR VALUES FROM ('2024-03-10 12:00:00+00') TO ('2024-03-11 12:00:00+00')`)];
    const r = plan(policy({ interval: '1 day', premake: 1 }), parts, '2024-03-10T01:00:00Z');
    expect(summary(r.actions)).toEqual([
      'create events_p20240310 [2024-03-10 00:00:00+00, 2024-03-10 12:00:00+00)',
      'create events_p20240311 [2024-03-11 12:00:00+00, 2024-03-12 00:00:00+00)',
    ]);
  });

  it('reports MINVALUE/MAXVALUE and unreadable partitions and never touches them', () => {
    const parts = [part('old', `FOR VALUES FROM (MINVALUE) TO ('2024-03-01 00:00:00+00')`), part('inf', `FOR VALUES FROM ('2024-03-20 00:00:00+00') TO ('infinity')`)];
    const r = plan(policy({ interval: '1 day', premake: 1, retention: { keep: parseCalendarInterval('2 days'), action: 'drop', maxPerRun: 10, allowMassRemoval: false } }), parts, '2024-03-10T01:00:00Z');
    expect(r.problems.map((x) => `${x.rule} ${x.partition}`)).toEqual(['unmanaged_partition old', 'unmanaged_partition inf']);
    expect(r.actions.every((a) => a.partition.name !== 'old' && a.partition.name !== 'inf')).toBe(true);
  });

  it('backfills from startFrom', () => {
    const r = plan(policy({ interval: '1 month', premake: 0, startFrom: '2024-01-15' }), [], '2024-03-10T01:00:00Z');
    expect(summary(r.actions).map((s) => s.split(' ')[1])).toEqual(['events_p202401', 'events_p202402', 'events_p202403']);
  });

  it('never recreates partitions that would already be expired', () => {
    const r = plan(policy({ interval: '1 day', premake: 0, startFrom: '2024-03-01', retention: { keep: parseCalendarInterval('3 days'), action: 'drop', maxPerRun: 10, allowMassRemoval: false } }), [], '2024-03-10T12:00:00Z');
    expect(summary(r.actions).map((s) => s.split(' ')[1])).toEqual(['events_p20240307', 'events_p20240308', 'events_p20240309', 'events_p20240310']);
  });

  it('names partitions in the policy time zone, with DST-correct bounds', () => {
    const r = plan(policy({ interval: '1 day', premake: 1, timezone: 'Europe/Paris' }), [], '2025-03-30T10:00:00Z');
    expect(summary(r.actions)).toEqual([
      'create events_p20250330 [2025-03-29 23:00:00+00, 2025-03-30 22:00:00+00)',
      'create events_p20250331 [2025-03-30 22:00:00+00, 2025-03-31 22:00:00+00)',
    ]);
  });

  it('plans date and timestamp keys in wall-clock values', () => {
    const p = policy({ interval: '1 month', premake: 1, timezone: 'America/New_York' });
    // 2024-03-01 02:00 UTC is still February in New York
    const r = plan(p, [], '2024-03-01T02:00:00Z', {}, 'date');
    expect(summary(r.actions)).toEqual(['create events_p202402 [2024-02-01, 2024-03-01)', 'create events_p202403 [2024-03-01, 2024-04-01)']);
    expect(r.actions[0]!.sql[1]).toContain(`FOR VALUES FROM ('2024-02-01'::date) TO ('2024-03-01'::date)`);
  });

  it('rejects a name collision instead of creating a duplicate', () => {
    const parts = [part('events_p20240311', day('2024-03-20', '2024-03-21'))];
    const r = plan(policy({ interval: '1 day', premake: 1 }), parts, '2024-03-10T01:00:00Z');
    expect(r.problems.map((x) => x.rule)).toContain('naming');
    expect(summary(r.actions).map((s) => s.split(' ')[1])).not.toContain('events_p20240311');
  });

  it('keeps names within 63 bytes, cutting the table name on a character boundary', () => {
    const long = 'événements_très_longs_de_la_plateforme_analytique_📈📈📈📈';
    const r = plan(policy({ interval: '1 day', premake: 0, table: long }), [], '2024-03-10T01:00:00Z');
    const name = r.actions[0]!.partition.name;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name.endsWith('_p20240310')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });
});

describe('range planning: integer keys', () => {
  const ints = (parts: ObservedPartition[], maxKey: bigint | null, o: Parameters<typeof policy>[0]) =>
    planRange({ policy: policy(o), table: table(parts), keyType: 'bigint', nowMs: 0, maxKey, serverVersionNum: 180000, openWork: [], defaultRows: new Map() });
  it('counts premake ahead of max(key)', () => {
    const r = ints([part('a', `FOR VALUES FROM ('0') TO ('1000')`)], 1500n, { interval: 1000, premake: 2 });
    expect(summary(r.actions)).toEqual(['create events_p1000 [1000, 2000)', 'create events_p2000 [2000, 3000)', 'create events_p3000 [3000, 4000)']);
    expect(r.actions[0]!.sql[1]).toContain('FOR VALUES FROM (1000) TO (2000)');
  });
  it('keeps the newest N partitions with keepPartitions and never counts future ones', () => {
    const parts = [0, 1, 2, 3, 4, 5].map((i) => part(`p${i}`, `FOR VALUES FROM ('${i * 10}') TO ('${(i + 1) * 10}')`));
    // max(id) = 25: p0..p2 are past or current, p3..p5 are ahead and never count
    const r = ints(parts, 25n, { interval: 10, premake: 3, retention: { keepPartitions: 2, action: 'detach', maxPerRun: 10, allowMassRemoval: false } });
    expect(summary(r.actions).filter((s) => s.startsWith('detach'))).toEqual(['detach p0 [0, 10)']);
    const r1 = ints(parts, 25n, { interval: 10, premake: 3, retention: { keepPartitions: 1, action: 'detach', maxPerRun: 10, allowMassRemoval: false } });
    expect(summary(r1.actions).filter((s) => s.startsWith('detach'))).toEqual(['detach p0 [0, 10)', 'detach p1 [10, 20)']);
  });
  it('stops at the maximum of smallint instead of failing in PostgreSQL', () => {
    const r = planRange({ policy: policy({ interval: 10000, premake: 3 }), table: table([]), keyType: 'smallint', nowMs: 0, maxKey: 25000n, serverVersionNum: 180000, openWork: [], defaultRows: new Map() });
    expect(summary(r.actions)).toEqual(['create events_p20000 [20000, 30000)']);
    expect(r.problems.map((p) => p.rule)).toEqual(['coverage_gap', 'coverage_gap', 'coverage_gap']);
  });
});

describe('range planning: retention', () => {
  const keep = (d: string, action: RetentionSpec['action']): RetentionSpec => ({ keep: parseCalendarInterval(d), action, maxPerRun: 10, allowMassRemoval: false });
  const parts = () => [part('a', day('2024-03-01', '2024-03-02')), part('b', day('2024-03-07', '2024-03-08')), part('c', day('2024-03-10', '2024-03-11'))];

  it('expires partitions whose upper bound <= now - keep', () => {
    const r = plan(policy({ interval: '1 day', premake: 0, retention: keep('3 days', 'detach') }), parts(), '2024-03-10T12:00:00Z');
    expect(summary(r.actions.filter((a) => a.kind === 'detach'))).toEqual(['detach a [2024-03-01 00:00:00+00, 2024-03-02 00:00:00+00)']);
    expect(r.actions.find((a) => a.kind === 'detach')!.sql).toEqual(['ALTER TABLE "public"."events" DETACH PARTITION "public"."a" CONCURRENTLY']);
  });

  it('actions are programs of typed steps: what plan prints is each step\'s SQL, in order', () => {
    const progs = (r: ReturnType<typeof plan>) => r.actions.map((x) => `${x.kind} ${x.partition.name}: ${x.steps.map((st) => `${st.name}${st.inTransaction ? '(tx)' : ''}${st.destructive ? '!' : ''}`).join(' ')}`);
    const dropped = plan(policy({ interval: '1 day', premake: 0, retention: keep('3 days', 'drop') }), parts(), '2024-03-10T12:00:00Z');
    expect(progs(dropped).filter((x) => x.startsWith('drop'))).toEqual(['drop a: detach! drop!']);
    const archived = plan(policy({ interval: '1 day', premake: 0, retention: { ...keep('3 days', 'archive'), archive: { format: 'csv', compression: 'gzip', verify: 'checksum', layout: 'partition', afterArchive: 'drop' } } }), parts(), '2024-03-10T12:00:00Z');
    const a = archived.actions.find((x) => x.kind === 'archive')!;
    expect(progs(archived).filter((x) => x.startsWith('archive'))).toEqual(['archive a: detach! export(tx) verify manifest drop(tx)!']);
    // the export's exact COPY (the parent's non-generated columns), and the drop's proof: the same COPY under ACCESS EXCLUSIVE
    const copy = 'COPY "public"."a" ("id", "ts") TO STDOUT (FORMAT csv, HEADER true)';
    expect(a.sql).toEqual([
      'ALTER TABLE "public"."events" DETACH PARTITION "public"."a" CONCURRENTLY',
      'LOCK TABLE "public"."a" IN SHARE MODE', copy,
      'LOCK TABLE "public"."a" IN ACCESS EXCLUSIVE MODE', copy, 'DROP TABLE "public"."a"',
    ]);
    expect(a.sql).toEqual(a.steps.flatMap((st) => st.sql));
    const guarded = plan(policy({ interval: '1 day', premake: 0 }), [part('d', 'DEFAULT', { isDefault: true })], '2024-03-10T12:00:00Z', { defaultRows: new Map([[`${Date.parse('2024-03-10T00:00:00Z')}000:${Date.parse('2024-03-11T00:00:00Z')}000`, false]]) });
    expect(progs(guarded).filter((x) => x.startsWith('create'))).toEqual(['create events_p20240310: create-table(tx) guard-default validate-guard attach(tx)']);
  });

  it('drops with DETACH CONCURRENTLY then DROP, and uses plain DETACH when a DEFAULT exists', () => {
    const r = plan(policy({ interval: '1 day', premake: 0, retention: keep('3 days', 'drop') }), [...parts(), part('d', 'DEFAULT', { isDefault: true })], '2024-03-10T12:00:00Z', {
      defaultRows: new Map(),
    });
    const drop = r.actions.find((a) => a.kind === 'drop')!;
    expect(drop.sql).toEqual(['ALTER TABLE "public"."events" DETACH PARTITION "public"."a"', 'DROP TABLE "public"."a"']);
    expect(drop.concurrently).toBe(false);
  });

  it('finalizes a pending detach before anything else and never plain-detaches it again', () => {
    const pending = part('b', day('2024-03-07', '2024-03-08'), { detachPending: true });
    const r = plan(policy({ interval: '1 day', premake: 0, retention: keep('1 day', 'drop') }), [part('c', day('2024-03-10', '2024-03-11')), pending], '2024-03-10T12:00:00Z');
    expect(summary(r.actions).filter((a) => !a.startsWith('create'))).toEqual(['finalize b [2024-03-07 00:00:00+00, 2024-03-08 00:00:00+00)', 'drop b [2024-03-07 00:00:00+00, 2024-03-08 00:00:00+00)']);
    expect(r.actions[0]!.sql).toEqual(['ALTER TABLE "public"."events" DETACH PARTITION "public"."b" FINALIZE']);
    expect(r.actions.find((a) => a.kind === 'drop')!.sql).toEqual(['DROP TABLE "public"."b"']);
  });
});

describe('range planning: DEFAULT partition', () => {
  const withDefault = () => [part('events_default', 'DEFAULT', { isDefault: true })];
  it('asks which new ranges have rows in DEFAULT', () => {
    const r = plan(policy({ interval: '1 day', premake: 1 }), withDefault(), '2024-03-10T12:00:00Z');
    expect(r.needsDefaultCheck.length).toBe(2);
  });
  it('blocks creation with a default_rows violation when rows are there and relocate is off', () => {
    const p = policy({ interval: '1 day', premake: 1 });
    const first = plan(p, withDefault(), '2024-03-10T12:00:00Z');
    const answers = new Map(first.needsDefaultCheck.map((x, i) => [`${x.from}:${x.to}`, i === 0]));
    const r = plan(p, withDefault(), '2024-03-10T12:00:00Z', { defaultRows: answers });
    expect(r.problems.map((x) => `${x.rule} ${x.partition}`)).toEqual(['default_rows events_p20240310']);
    expect(summary(r.actions).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['create events_p20240311']);
  });
  it('plans a batched relocation when relocate is on, skipping generated columns', () => {
    const p = policy({ interval: '1 day', premake: 0, relocate: true });
    const first = plan(p, withDefault(), '2024-03-10T12:00:00Z');
    const r = plan(p, withDefault(), '2024-03-10T12:00:00Z', { defaultRows: new Map(first.needsDefaultCheck.map((x) => [`${x.from}:${x.to}`, true])) });
    const a = r.actions[0]!;
    expect(a.kind).toBe('relocate');
    expect(a.sql[1]).toContain('LIMIT 100 FOR UPDATE');
    expect(a.sql[1]).toContain('RETURNING "id", "ts")');
  });
});

describe('range planning: attaching next to a non-empty DEFAULT', () => {
  const withDefault = (extra: Partial<ObservedPartition> = {}) => [part('events_default', 'DEFAULT', { isDefault: true, ...extra })];
  const noRowsInRange = (p: RangePolicy) => new Map(plan(p, withDefault(), '2024-03-10T12:00:00Z').needsDefaultCheck.map((x) => [`${x.from}:${x.to}`, false]));

  it('guards the DEFAULT with a CHECK that excludes the new range, dropped with the ATTACH', () => {
    const p = policy({ interval: '1 day', premake: 0 });
    const r = plan(p, withDefault(), '2024-03-10T12:00:00Z', { defaultRows: noRowsInRange(p), defaultCount: { rows: 10, exact: true } });
    const a = r.actions[0]!;
    expect(a.kind === 'create' && a.defaultGuard?.constraint).toMatch(/^partwarden_pending_[0-9a-f]{16}$/);
    const c = a.kind === 'create' ? a.defaultGuard!.constraint : '';
    expect(a.sql.slice(1)).toEqual([
      `ALTER TABLE "public"."events_default" ADD CONSTRAINT "${c}" CHECK (NOT ("ts" >= '2024-03-10 00:00:00+00'::timestamptz AND "ts" < '2024-03-11 00:00:00+00'::timestamptz)) NOT VALID`,
      `ALTER TABLE "public"."events_default" VALIDATE CONSTRAINT "${c}"`,
      `ALTER TABLE "public"."events" ATTACH PARTITION "public"."events_p20240310" FOR VALUES FROM ('2024-03-10 00:00:00+00'::timestamptz) TO ('2024-03-11 00:00:00+00'::timestamptz)`,
      `ALTER TABLE "public"."events_default" DROP CONSTRAINT IF EXISTS "${c}"`,
    ]);
  });

  it('does not guard an empty or a partitioned DEFAULT', () => {
    const p = policy({ interval: '1 day', premake: 0 });
    const empty = plan(p, withDefault(), '2024-03-10T12:00:00Z', { defaultRows: noRowsInRange(p), defaultCount: { rows: 0, exact: true } });
    expect(empty.actions[0]!.sql).toHaveLength(2);
    const partitioned = plan(p, withDefault({ isPartitioned: true }), '2024-03-10T12:00:00Z', { defaultRows: noRowsInRange(p), defaultCount: { rows: 5, exact: true } });
    expect(partitioned.actions[0]!.sql).toHaveLength(2);
  });

  it('resumes with VALIDATE + ATTACH when a crash left the guard in place, and drops guards nobody will finish', () => {
    const p = policy({ interval: '1 day', premake: 0 });
    const first = plan(p, withDefault(), '2024-03-10T12:00:00Z', { defaultRows: noRowsInRange(p), defaultCount: { rows: 10, exact: true } });
    const guard = first.actions[0]!.kind === 'create' ? first.actions[0]!.defaultGuard!.constraint : '';
    const work: OpenWork = { policy: 'p', action: 'create', relid: 42, schema: 'public', name: 'events_p20240310', parent: { schema: 'public', name: 'events' }, boundSql: `FOR VALUES FROM ('2024-03-10 00:00:00+00'::timestamptz) TO ('2024-03-11 00:00:00+00'::timestamptz)`, actionId: 'x', standalone: true };
    const r = plan(p, withDefault({ pendingChecks: [guard, 'partwarden_pending_stale'] }), '2024-03-10T12:00:00Z', { openWork: [work], defaultCount: { rows: 10, exact: true } });
    expect(r.actions.map((a) => `${a.kind} ${a.partition.name}`)).toEqual(['cleanup events_default', 'attach events_p20240310']);
    expect(r.actions[0]!.sql).toEqual(['ALTER TABLE "public"."events_default" DROP CONSTRAINT IF EXISTS "partwarden_pending_stale"']);
    expect(r.actions[1]!.sql[0]).toBe(`ALTER TABLE "public"."events_default" VALIDATE CONSTRAINT "${guard}"`);
  });
});

describe('range planning: resuming after a crash', () => {
  it('attaches a table a previous run created but did not attach', () => {
    const work: OpenWork = { policy: 'p', action: 'create', relid: 42, schema: 'public', name: 'events_p20240310', parent: { schema: 'public', name: 'events' }, boundSql: `FOR VALUES FROM ('2024-03-10 00:00:00+00'::timestamptz) TO ('2024-03-11 00:00:00+00'::timestamptz)`, actionId: 'x', standalone: true };
    const r = plan(policy({ interval: '1 day', premake: 0 }), [], '2024-03-10T12:00:00Z', { openWork: [work] });
    expect(summary(r.actions)).toEqual(['attach events_p20240310 [2024-03-10 00:00:00+00, 2024-03-11 00:00:00+00)']);
  });
  it('drops a table a previous run detached but did not drop', () => {
    const work: OpenWork = { policy: 'p', action: 'drop', relid: 42, schema: 'public', name: 'old', parent: { schema: 'public', name: 'events' }, boundSql: '', actionId: 'y', standalone: true };
    const r = plan(policy({ interval: '1 day', premake: 0 }), [part('c', day('2024-03-10', '2024-03-11'))], '2024-03-10T12:00:00Z', { openWork: [work] });
    expect(r.actions.map((a) => `${a.kind} ${a.partition.name} ${a.sql.join('; ')}`)).toEqual(['drop old DROP TABLE "public"."old"']);
  });
});

describe('range planning: properties', () => {
  it('new partitions never overlap existing ones or each other, and leave no gap up to the horizon', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 50 })), { maxLength: 8 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 70 }),
        (spans, premake, nowHour) => {
          // existing partitions at arbitrary hour offsets and widths (off-grid), non-overlapping
          const taken: Array<[number, number]> = [];
          for (const [start, width] of spans) {
            const a = start * 3;
            const b = a + width;
            if (taken.every(([x, y]) => b <= x || a >= y)) taken.push([a, b]);
          }
          const h = (n: number) => new Date(Date.UTC(2024, 2, 1) + n * 3_600_000).toISOString().replace('T', ' ').replace('.000Z', '+00');
          const parts = taken.map(([a, b], i) => part(`x${i}`, `FOR VALUES FROM ('${h(a)}') TO ('${h(b)}')`));
          const p = policy({ interval: '6 hours', premake });
          const r = plan(p, parts, new Date(Date.UTC(2024, 2, 1) + nowHour * 3_600_000).toISOString());
          const ranges = [
            ...taken.map(([a, b]) => [BigInt(a), BigInt(b)] as const),
            ...r.actions.filter((a) => a.kind === 'create').map((a) => {
              const m = /\[(.*), (.*)\)/.exec(a.bounds)!;
              const toH = (s: string) => BigInt((Date.parse(s.replace(' ', 'T').replace('+00', 'Z')) - Date.UTC(2024, 2, 1)) / 3_600_000);
              return [toH(m[1]!), toH(m[2]!)] as const;
            }),
          ].sort((x, y) => (x[0] < y[0] ? -1 : 1));
          for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0] >= ranges[i - 1]![1]).toBe(true);
          // from the first created/existing partition up to current + premake, everything is covered
          const horizon = BigInt((Math.floor(nowHour / 6) + 1 + premake) * 6);
          let end = ranges[0]![0];
          for (const [a, b] of ranges) {
            if (a > end && a < horizon) throw new Error(`gap before ${a}`);
            if (b > end) end = b;
          }
          expect(end >= horizon).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
