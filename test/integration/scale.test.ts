import { beforeAll, describe, expect, it } from 'vitest';
import { load } from '../../src/config/load.js';
import type { RangePolicy } from '../../src/config/types.js';
import { connect } from '../../src/db/connect.js';
import { Journal } from '../../src/executor/journal.js';
import { observe } from '../../src/reconcile/observe.js';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';

const db = useDatabase();
beforeAll(async () => {
  for (let i = 0; i < 40; i++) {
    await db.sql.query(`CREATE TABLE public.t${i} (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE TABLE public.t${i}_a PARTITION OF public.t${i} FOR VALUES FROM ('2024-03-10') TO ('2024-03-11')`);
    await db.sql.query(`CREATE TABLE public.i${i} (id bigint NOT NULL) PARTITION BY RANGE (id)`);
  }
});

async function queriesToObserve(n: number): Promise<number> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    files[`t${i}.yaml`] = rangePolicy({ name: `t${i}`, table: `public.t${i}`, column: 'ts', interval: '1 day' });
    files[`i${i}.yaml`] = rangePolicy({ name: `i${i}`, table: `public.i${i}`, column: 'id', interval: 1000 });
  }
  const { config, policies } = load({ configFile: writeProject(db.url, files), env: {} });
  const client = await connect(config.databases.get('main')!);
  const journal = new Journal('partwarden');
  await journal.ensure(client);
  let count = 0;
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    count++;
    return original(...args);
  };
  const observed = await observe(client, policies as RangePolicy[], journal);
  expect(observed).toHaveLength(2 * n);
  expect(observed.every((o) => o.check.errors.length === 0)).toBe(true);
  await client.end();
  return count;
}

describe('scale', () => {
  it('observes any number of tables with the same, small number of queries', async () => {
    const few = await queriesToObserve(1);
    const many = await queriesToObserve(40);
    expect(many).toBe(few);
    // catalog + journal (exists check + open work) + one max(key) for all integer policies
    expect(many).toBeLessThanOrEqual(4);
  });
});

