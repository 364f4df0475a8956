import { describe, expect, it } from 'vitest';
import { parseCalendarInterval } from '../../src/time/duration.js';
import type { HashPolicy, ListPolicy, Policy, RangePolicy } from '../../src/config/types.js';
import { scannedLeaves } from '../../src/health/probes.js';
import { ALL_RULES, evaluate, RULES, type HealthInput } from '../../src/health/rules.js';
import type { Action, PolicyHealth, PolicyPlan, Problem } from '../../src/planner/actions.js';

const base = { origin: { file: 'p.yaml', line: 1, col: 1 }, database: 'main', table: { schema: 'public', name: 't' }, default: { create: false, maxRows: 0, relocate: false, relocateBatchRows: 100 }, analyze: { parent: false, minIntervalMs: 86_400_000 }, drift: 'repair' as const };
const range: RangePolicy = {
  ...base, name: 'r', strategy: 'range', health: { probes: [], maxPartitions: 10, maxShards: 10000 },
  range: { column: 'ts', interval: { kind: 'calendar', interval: parseCalendarInterval('1 day')! }, premake: 3, timezone: 'UTC' },
};
const hash: HashPolicy = { ...base, name: 'h', strategy: 'hash', health: { probes: [], maxShards: 10000 }, hash: { column: 'id', modulus: 4, naming: '{table}_h{remainder}' } } as HashPolicy;
const list: ListPolicy = { ...base, name: 'l', strategy: 'list', health: { probes: [], maxShards: 10000 }, list: { column: 'region', partitions: [], onRemoved: 'detach', naming: '{table}_{key}' } } as unknown as ListPolicy;

const okRange: PolicyHealth = { partitions: 5, range: { futurePartitions: 3, missingAhead: 0, gapsBehind: 0, expiredAttached: 0 } };

function input(policy: Policy, o: { health?: PolicyHealth; actions?: Action[]; problems?: Problem[]; extra?: Partial<HealthInput> } = {}): HealthInput {
  const plan: PolicyPlan = { policy: policy.name, database: 'main', table: 'public.t', actions: o.actions ?? [], problems: o.problems ?? [], health: o.health ?? { partitions: 4 } };
  return { policy, plan, probes: [], archiveFailures: [], ...o.extra };
}
const rules = (i: HealthInput) => evaluate(i).map((v) => `${v.rule}${v.partition ? ` ${v.partition}` : ''}`);
const act = (kind: Action['kind'], name: string, boundSql: string, extra: Record<string, unknown> = {}) =>
  ({ kind, policy: 'x', partition: { schema: 'public', name }, boundSql, bounds: boundSql, reason: '', sql: [], createSql: [], ...extra }) as unknown as Action;

describe('health rules', () => {
  it('covers every SPEC rule, in SPEC order', () => {
    expect(ALL_RULES).toEqual([
      'future_partitions_low', 'expired_attached', 'default_rows', 'coverage_gap', 'hash_remainder_missing', 'hash_modulus_mismatch',
      'list_partition_missing', 'list_partition_undeclared', 'too_many_partitions', 'too_many_shards', 'probe_not_pruned', 'detached_pending_archive',
      'archive_failed', 'policy_table_mismatch', 'key_outlier', 'retention_guard', 'managed_elsewhere', 'partition_drift',
    ]);
  });

  it('too_many_shards on a Citus distributed table when partitions x shard_count pass health.maxShards; never elsewhere', () => {
    const citus = (kind: 'distributed' | 'reference') => ({ version: '13.2-1', kind, distributionColumn: 'tenant_id', colocationId: 1, shardCount: 4, partitionShards: 12 });
    const limited = { ...range, health: { ...range.health, maxShards: 10 } };
    const v = evaluate({ ...input(limited, { health: { ...okRange, partitions: 3 } }), plan: { ...input(limited, { health: { ...okRange, partitions: 3 } }).plan, citus: citus('distributed') } });
    expect(v.map((x) => x.rule)).toEqual(['too_many_shards']);
    expect(v[0]!.message).toMatch(/^3 partitions x 4 shards = 12 shards, more than health.maxShards \(10\)/);
    expect(rules({ ...input(limited, { health: { ...okRange, partitions: 3 } }), plan: { ...input(limited, { health: { ...okRange, partitions: 3 } }).plan, citus: citus('reference') } })).toEqual([]);
    expect(rules(input(limited, { health: { ...okRange, partitions: 3 } }))).toEqual([]);
  });

  it('a healthy range policy breaks no rule', () => {
    expect(rules(input(range, { health: okRange }))).toEqual([]);
  });

  it('future_partitions_low when intervals up to the premake horizon are not covered', () => {
    const v = evaluate(input(range, { health: { partitions: 2, range: { ...okRange.range!, futurePartitions: 1, missingAhead: 2 } } }));
    expect(v).toEqual([{ rule: 'future_partitions_low', message: '1 partition ahead of now, premake is 3: 2 intervals up to the horizon not covered' }]);
  });

  it('expired_attached and coverage_gap from the range figures', () => {
    expect(rules(input(range, { health: { partitions: 9, range: { ...okRange.range!, expiredAttached: 2, gapsBehind: 1 } } }))).toEqual(['expired_attached', 'coverage_gap']);
  });

  it('too_many_partitions above health.maxPartitions only', () => {
    expect(rules(input(range, { health: { ...okRange, partitions: 10 } }))).toEqual([]);
    expect(rules(input(range, { health: { ...okRange, partitions: 11 } }))).toEqual(['too_many_partitions']);
  });

  it('hash_remainder_missing per missing remainder, including sub-partitions of a child', () => {
    const actions = [
      act('create', 't_h1', 'FOR VALUES WITH (MODULUS 4, REMAINDER 1)'),
      act('attach', 't_h3', 'FOR VALUES WITH (MODULUS 4, REMAINDER 3)'),
      act('create', 'c_h0', 'FOR VALUES WITH (MODULUS 2, REMAINDER 0)', { parent: { schema: 'public', name: 'c' } }),
    ];
    expect(rules(input(hash, { actions }))).toEqual(['hash_remainder_missing t_h1', 'hash_remainder_missing t_h3', 'hash_remainder_missing c_h0']);
  });

  it('problems the planner raised become violations of their rule; naming and unmanaged partitions do not', () => {
    const problems: Problem[] = [
      { policy: 'h', rule: 'hash_modulus_mismatch', partition: 'odd', message: 'modulus 8' },
      { policy: 'h', rule: 'policy_table_mismatch', message: 'not partitioned' },
      { policy: 'h', rule: 'default_rows', partition: 'd', message: 'rows', blocking: false },
      { policy: 'h', rule: 'naming', message: 'too long' },
      { policy: 'h', rule: 'unmanaged_partition', partition: 'x', message: 'MAXVALUE' },
    ];
    expect(rules(input(hash, { problems }))).toEqual(['default_rows d', 'hash_modulus_mismatch odd', 'policy_table_mismatch']);
  });

  it('list: declared partitions missing and attached ones no longer declared', () => {
    const actions = [act('create', 'l_eu', "FOR VALUES IN ('EU')"), act('detach', 'l_old', '')];
    const problems: Problem[] = [{ policy: 'l', rule: 'list_partition_missing', partition: 'l_us', message: "'US' is served by l_misc" }];
    expect(rules(input(list, { actions, problems }))).toEqual(['list_partition_missing l_eu', 'list_partition_missing l_us', 'list_partition_undeclared l_old']);
  });

  it('probe_not_pruned above the threshold or with pruning switched off; a failed probe is not a violation', () => {
    const probes = [
      { name: 'ok', builtin: true, query: 'q', maxPartitionsScanned: 1, scanned: 1 },
      { name: 'bad', builtin: false, query: 'q', maxPartitionsScanned: 2, scanned: 30 },
      { name: 'broken', builtin: false, query: 'q', maxPartitionsScanned: 2, scanned: null, error: 'syntax error' },
    ];
    expect(evaluate(input(range, { health: okRange, extra: { probes } })).map((v) => v.message)).toEqual(['probe bad scans 30 partitions, at most 2 allowed']);
    expect(RULES.probe_not_pruned(input(range, { health: okRange, extra: { pruningDisabled: 'ALTER ... SET enable_partition_pruning = off for role app in every database' } }))).toHaveLength(1);
  });

  it('detached_pending_archive for resumed archives, archive_failed from the journal', () => {
    const actions = [act('archive', 't_p1', 'FOR VALUES FROM (1) TO (2)', { resume: true }), act('archive', 't_p2', 'FOR VALUES FROM (2) TO (3)', { resume: false })];
    const v = rules(input(range, { health: okRange, actions, extra: { archiveFailures: [{ partition: 't_p9', error: 'S3 down' }] } }));
    expect(v).toEqual(['detached_pending_archive t_p1', 'archive_failed t_p9']);
  });
});

describe('probe plans', () => {
  it('counts distinct leaf partitions of the table among the scans of an EXPLAIN plan', () => {
    const plan = {
      'Node Type': 'Append',
      Plans: [
        { 'Relation Name': 'p1', Schema: 'public' },
        { 'Node Type': 'Nested Loop', Plans: [{ 'Relation Name': 'p2', Schema: 'public' }, { 'Relation Name': 'users', Schema: 'public' }] },
        { 'Relation Name': 'p1', Schema: 'public' },
      ],
    };
    expect(scannedLeaves(plan, new Set(['public.p1', 'public.p2', 'public.p3']))).toBe(2);
  });
});
