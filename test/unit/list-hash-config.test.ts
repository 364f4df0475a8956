import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/errors.js';
import { load } from '../../src/config/load.js';
import type { HashPolicy, ListPolicy, RangePolicy } from '../../src/config/types.js';
import { hashOverlaps, listBoundSql, listPredicateSql, parseHashBound, parseListBound } from '../../src/planner/list-hash-bounds.js';

const CONFIG = `databases:\n  main:\n    url: postgres://localhost/app\npolicies: ./policies\n`;
const head = (name: string, table = 'public.t') => `apiVersion: partwarden/v1\nkind: PartitionPolicy\nmetadata:\n  name: ${name}\nspec:\n  database: main\n  table: ${table}\n`;

function loadPolicies(text: string, config = CONFIG) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-lh-'));
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'partwarden.yaml'), config);
  writeFileSync(path.join(dir, 'policies', 'p.yaml'), text);
  try {
    return { policies: load({ configFile: path.join(dir, 'partwarden.yaml'), env: {} }).policies, problems: [] as string[] };
  } catch (err) {
    if (err instanceof ConfigError) return { policies: [], problems: err.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) })) };
    throw err;
  }
}

describe('list and hash policies: config', () => {
  it('loads a list policy with strings, numbers, booleans and null as values', () => {
    const { policies, problems } = loadPolicies(`${head('l')}  strategy: list\n  list:\n    column: region\n    partitions:\n      us: [US]\n      odd: [null, 1.5, true, "it's"]\n  default:\n    create: true\n`);
    expect(problems).toEqual([]);
    const p = policies[0] as ListPolicy;
    expect(p.list.partitions).toEqual([{ key: 'us', values: ['US'] }, { key: 'odd', values: [null, 1.5, true, "it's"] }]);
    expect(p.list.onRemoved).toBe('keep');
    expect(p.list.naming).toBe('{table}_{key}');
    expect(p.default.create).toBe(true);
  });

  it('a declared partition without values is an error, never a partition silently dropped', () => {
    const { problems } = loadPolicies(`${head('l')}  strategy: list\n  list:\n    column: region\n    partitions:\n      us: [US]\n      eu:\n`);
    expect(problems).toEqual(['p.yaml:13:7: spec.list.partitions.eu: expected a list, got nothing']);
  });

  it('rejects a value declared in two partitions, with the line of the second', () => {
    const { problems } = loadPolicies(`${head('l')}  strategy: list\n  list:\n    column: region\n    partitions:\n      eu: [EU, GB]\n      uk: [GB]\n`);
    expect(problems).toEqual(['p.yaml:13:12: spec.list.partitions.uk[0]: value "GB" is already declared in partition "eu"; a value can belong to one partition only']);
  });

  it('locates problems under keys that contain dots (the key is not split at its dots)', () => {
    const { problems } = loadPolicies(`${head('l')}  strategy: list\n  list:\n    column: region\n    partitions:\n      eu.west: [EU, GB]\n      uk.north: [SCO, GB]\n`);
    expect(problems).toEqual(['p.yaml:13:23: spec.list.partitions.uk.north[1]: value "GB" is already declared in partition "eu.west"; a value can belong to one partition only']);
  });

  it('rejects a DEFAULT and a retention for hash policies, and explains why', () => {
    const { problems } = loadPolicies(`${head('h')}  strategy: hash\n  hash:\n    column: id\n    modulus: 8\n  default:\n    create: true\n  retention:\n    keep: 1 day\n    action: drop\n`);
    expect(problems).toEqual([
      'p.yaml:13:13: spec.default.create: a hash-partitioned table cannot have a DEFAULT partition (PostgreSQL forbids it)',
      'p.yaml:15:5: spec.retention: hash partitions never expire: every remainder must stay attached',
    ]);
  });

  it('list onRemoved: archive needs storage; keep/action have no meaning for lists', () => {
    const { problems } = loadPolicies(`${head('l')}  strategy: list\n  list:\n    column: region\n    onRemoved: archive\n    partitions:\n      us: [US]\n  retention:\n    keep: 1 day\n`);
    expect(problems).toEqual([
      'p.yaml:11:16: spec.list.onRemoved: onRemoved: archive needs a storage: section in the config file (s3://bucket/prefix or file:///path)',
      'p.yaml:15:11: spec.retention.keep: list partitions do not expire; list.onRemoved says what happens to partitions no longer declared',
    ]);
  });

  it('subpartition: hash needs a modulus, list needs partitions, and only range policies have one', () => {
    const range = `  strategy: range\n  range:\n    column: ts\n    interval: 1 day\n`;
    expect(loadPolicies(`${head('s')}${range}  subpartition:\n    strategy: hash\n    column: tenant\n`).problems).toEqual([
      'p.yaml:13:5: spec.subpartition.modulus: strategy: hash needs a modulus (the number of sub-partitions)',
    ]);
    const ok = loadPolicies(`${head('s')}${range}  subpartition:\n    strategy: list\n    column: tenant\n    partitions:\n      a: [1]\n`);
    expect((ok.policies[0] as RangePolicy).subpartition).toEqual({ strategy: 'list', column: 'tenant', partitions: [{ key: 'a', values: [1] }] });
    expect(loadPolicies(`${head('s')}  strategy: hash\n  hash:\n    column: id\n    modulus: 2\n  subpartition:\n    strategy: hash\n    column: x\n    modulus: 2\n`).problems).toEqual([
      'p.yaml:13:5: spec.subpartition: only range policies have sub-partitions (this policy says strategy: hash)',
    ]);
  });

  it('hash naming must contain {remainder}', () => {
    const { problems, policies } = loadPolicies(`${head('h')}  strategy: hash\n  hash:\n    column: id\n    modulus: 4\n    naming: "{table}_x"\n`);
    expect(problems).toEqual(['p.yaml:12:13: spec.hash.naming: the name must contain {remainder}, or two partitions would get the same name']);
    expect(policies).toEqual([]);
    const good = loadPolicies(`${head('h')}  strategy: hash\n  hash:\n    column: id\n    modulus: 4\n`);
    expect((good.policies[0] as HashPolicy).hash).toEqual({ column: 'id', modulus: 4, naming: '{table}_h{remainder}' });
  });
});

describe('list and hash bounds', () => {
  it('parses what pg_get_expr prints: quotes, commas, NULL, negative numbers, E-strings', () => {
    expect(parseListBound(`FOR VALUES IN ('EU', 'it''s, "x"', NULL, '-5', 42, true)`)).toEqual(['EU', `it's, "x"`, null, '-5', '42', 'true']);
    expect(parseListBound(`FOR VALUES IN (E'a\\\\b')`)).toEqual(['a\\b']);
    expect(parseListBound(`FOR VALUES FROM (1) TO (2)`)).toBeUndefined();
    expect(parseHashBound('FOR VALUES WITH (modulus 8, remainder 3)')).toEqual({ modulus: 8, remainder: 3 });
  });
  it('renders bounds and predicates with every literal escaped', () => {
    expect(listBoundSql(['b', null, "o'k"])).toBe(`FOR VALUES IN (NULL, 'b', 'o''k')`);
    expect(listPredicateSql('Region "x"', ['a', null])).toBe(`("Region ""x""" IN ('a') OR "Region ""x""" IS NULL)`);
    expect(listPredicateSql('r', [null])).toBe(`"r" IS NULL`);
  });
  it('knows which remainders of two moduli overlap', () => {
    expect(hashOverlaps({ modulus: 2, remainder: 0 }, { modulus: 4, remainder: 2 })).toBe(true);
    expect(hashOverlaps({ modulus: 2, remainder: 0 }, { modulus: 4, remainder: 1 })).toBe(false);
    expect(hashOverlaps({ modulus: 8, remainder: 5 }, { modulus: 4, remainder: 1 })).toBe(true);
  });
});
