import { describe, expect, it } from 'vitest';
import { hiveKey, hiveTablePrefix, lowerBoundText } from '../../src/model/archive-keys.js';

describe('Hive-style archive keys', () => {
  it('a range partition lower bound as PostgreSQL prints it, percent-encoded, under <database>/<schema>.<parent>/', () => {
    const parent = { schema: 'Sales', name: 'orders "EU".v2' };
    expect(hiveKey('main', parent, 'ts_from', "FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-01-02 00:00:00+00')"))
      .toBe('main/Sales.orders%20%22EU%22%2Ev2/ts_from=2026-01-01%2000%3A00%3A00%2B00/part-0.parquet');
    expect(hiveKey('main', { schema: 'public', name: 'e' }, 'day', "FOR VALUES FROM ('2026-01-01') TO ('2026-01-02')")).toBe('main/public.e/day=2026-01-01/part-0.parquet');
    expect(hiveTablePrefix('main', parent)).toBe('main/Sales.orders%20%22EU%22%2Ev2/');
  });

  it('integers, MINVALUE and quoted quotes pass; multi-column, LIST and HASH bounds are refused', () => {
    expect(lowerBoundText('FOR VALUES FROM (-100) TO (0)')).toBe('-100');
    expect(lowerBoundText('FOR VALUES FROM (MINVALUE) TO (10)')).toBe('MINVALUE');
    expect(lowerBoundText("FOR VALUES FROM ('it''s') TO ('z')")).toBe("it's");
    expect(() => lowerBoundText("FOR VALUES FROM ('a', 1) TO ('b', 2)")).toThrow(/single-column range bound/);
    expect(() => lowerBoundText("FOR VALUES IN ('x')")).toThrow(/needs a range partition bound/);
    expect(() => lowerBoundText('FOR VALUES WITH (modulus 4, remainder 0)')).toThrow(/needs a range partition bound/);
  });
});
