import { beforeAll, describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

const db = useDatabase();
beforeAll(async () => {
  const q = (s: string) => db.sql.query(s);
  await q(`CREATE TABLE public.good (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
  await q(`CREATE TABLE public.plain (ts timestamptz NOT NULL)`);
  await q(`CREATE TABLE public.by_list (region text NOT NULL, ts timestamptz) PARTITION BY LIST (region)`);
  await q(`CREATE TABLE public.two_cols (a int NOT NULL, ts timestamptz NOT NULL) PARTITION BY RANGE (a, ts)`);
  await q(`CREATE TABLE public.int_key (id bigint NOT NULL) PARTITION BY RANGE (id)`);
  await q(`CREATE TABLE public.uuid_key (id uuid NOT NULL) PARTITION BY RANGE (id)`);
  await q(`CREATE TABLE public.not_mine (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
  await q(`DO $$ BEGIN CREATE ROLE pw_limited LOGIN PASSWORD 'limited-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await q(`GRANT ALL ON SCHEMA public TO pw_limited`);
});

describe('validate --db', () => {
  it('names every mismatch with policy, file position and table; exit 1', async () => {
    const policies = {
      '1.yaml': rangePolicy({ name: 'good', table: 'public.good', column: 'ts', interval: '1 day' }),
      '2.yaml': rangePolicy({ name: 'missing', table: 'public.nope', column: 'ts', interval: '1 day' }),
      '3.yaml': rangePolicy({ name: 'plain', table: 'public.plain', column: 'ts', interval: '1 day' }),
      '4.yaml': rangePolicy({ name: 'list', table: 'public.by_list', column: 'region', interval: '1 day' }),
      '5.yaml': rangePolicy({ name: 'two', table: 'public.two_cols', column: 'a', interval: '1 day' }),
      '6.yaml': rangePolicy({ name: 'wrongcol', table: 'public.good2', column: 'ts', interval: '1 day' }),
      '7.yaml': rangePolicy({ name: 'inttime', table: 'public.int_key', column: 'id', interval: '1 day' }),
      '8.yaml': rangePolicy({ name: 'uuid', table: 'public.uuid_key', column: 'id', interval: 1000 }),
    };
    await db.sql.query(`CREATE TABLE public.good2 (ts timestamptz NOT NULL, other timestamptz) PARTITION BY RANGE (other)`);
    const cfg = writeProject(db.url, policies);
    const r = await runCli(['validate', '--config', cfg, '--db']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n').map((l) => l.replace(/\(\/[^)]*\/policies\//, '(policies/').replaceAll(cfg, 'CFG'));
    expect(r.stdout).toMatch(/policy good \(.*1\.yaml:4:9\), table public\.good: ok/);
    expect(lines).toEqual([
      'policy missing (policies/2.yaml:4:9), table public.nope: table public.nope does not exist',
      // a plain table: the way to partition it, with this very config file
      'policy plain (policies/3.yaml:4:9), table public.plain: public.plain is a plain (not partitioned) table: partwarden convert --config CFG --policy plain turns it into a partitioned one online, without moving its rows (partwarden convert --config CFG --policy plain --dry-run prints every statement first)',
      'policy list (policies/4.yaml:4:9), table public.by_list: public.by_list is partitioned by LIST, but the policy says strategy: range',
      'policy two (policies/5.yaml:4:9), table public.two_cols: public.two_cols has a multi-column partition key (a, ts); partwarden manages single-column range keys only',
      'policy wrongcol (policies/6.yaml:4:9), table public.good2: public.good2 is partitioned on column "other", but the policy says column: ts',
      'policy inttime (policies/7.yaml:4:9), table public.int_key: column id is bigint: use an integer step (e.g. interval: 100000), not "1 day" (or, if it holds times since 1970, set range.epoch: seconds | milliseconds | microseconds)',
      'policy uuid (policies/8.yaml:4:9), table public.uuid_key: partition key id has type uuid; range policies support time keys (timestamptz, timestamp with any precision, date, or a domain over one; an integer column holding epoch times with range.epoch; a uuid column holding UUIDv7 values, on a time interval) and integer keys (smallint, integer, bigint, or a domain over one)',
    ]);
  });

  it('reports a role that cannot run the DDL', async () => {
    const url = db.url.replace('postgres:partwarden-dev@', 'pw_limited:limited-pw@');
    const cfg = writeProject(url, { 'n.yaml': rangePolicy({ name: 'notmine', table: 'public.not_mine', column: 'ts', interval: '1 day' }) });
    const r = await runCli(['validate', '--config', cfg, '--db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy notmine .*: the connected role cannot run DDL on public\.not_mine: it must own the table or be a member of the owning role/);
    // the journal schema cannot be created by this role: said with the fix
    expect(r.stderr).toMatch(/database main: role pw_limited cannot create the journal schema partwarden \(stateSchema\); have an administrator run: CREATE SCHEMA "partwarden" AUTHORIZATION "pw_limited"/);
    await db.sql.query('CREATE SCHEMA partwarden AUTHORIZATION pw_limited');
    // and apply refuses to touch it rather than failing half-way
    const a = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: '2024-03-10T00:00:00Z' });
    expect(a.code).toBe(1);
    expect(a.stdout).toMatch(/BLOCKED notmine: policy_table_mismatch — the connected role cannot run DDL/);
  });
});
