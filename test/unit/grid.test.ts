import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCalendarInterval } from '../../src/time/duration.js';
import type { RangeSpec } from '../../src/config/types.js';
import { makeGrid } from '../../src/planner/grid.js';
import { displayKey, msToKey, type KeyType } from '../../src/planner/keys.js';
import { fromWall, toWall } from '../../src/time/tz.js';

function grid(interval: string, timezone: string, type: KeyType = 'timestamptz') {
  const spec: RangeSpec = { column: 'ts', interval: { kind: 'calendar', interval: parseCalendarInterval(interval)! }, premake: 1, timezone };
  return makeGrid(spec, type);
}
const at = (iso: string) => msToKey(Date.parse(iso));
const show = (k: bigint, type: KeyType = 'timestamptz') => displayKey(k, type);
/** The boundaries from the cell containing `iso`, n of them. */
function cells(g: ReturnType<typeof grid>, iso: string, n: number, type: KeyType = 'timestamptz'): string[] {
  const out: string[] = [];
  let b = g.floor(at(iso));
  for (let i = 0; i < n; i++) {
    out.push(show(b, type));
    b = g.next(b);
  }
  return out;
}

describe('time zone conversion', () => {
  it('maps a skipped wall time forward by the gap, like PostgreSQL', () => {
    // Paris 2025-03-30 02:30 does not exist (02:00 -> 03:00): it means 03:30 CEST = 01:30 UTC
    expect(new Date(fromWall(Date.UTC(2025, 2, 30, 2, 30), 'Europe/Paris')).toISOString()).toBe('2025-03-30T01:30:00.000Z');
  });
  it('maps an ambiguous wall time to its first occurrence', () => {
    // New York 2025-11-02 01:30 happens twice (EDT then EST): the first is 05:30 UTC
    expect(new Date(fromWall(Date.UTC(2025, 10, 2, 1, 30), 'America/New_York')).toISOString()).toBe('2025-11-02T05:30:00.000Z');
  });
  it('round-trips ordinary instants', () => {
    const ms = Date.parse('2024-07-14T12:34:56Z');
    expect(fromWall(toWall(ms, 'Asia/Kolkata'), 'Asia/Kolkata')).toBe(ms);
  });
});

describe('daily grid across DST switches', () => {
  it('Europe/Paris spring forward: the day is 23 hours', () => {
    expect(cells(grid('1 day', 'Europe/Paris'), '2025-03-29T12:00:00Z', 3)).toEqual([
      '2025-03-28 23:00:00+00', // 2025-03-29 00:00 CET
      '2025-03-29 23:00:00+00', // 2025-03-30 00:00 CET
      '2025-03-30 22:00:00+00', // 2025-03-31 00:00 CEST: 23 hours later
    ]);
  });
  it('Europe/Paris fall back: the day is 25 hours', () => {
    expect(cells(grid('1 day', 'Europe/Paris'), '2025-10-26T12:00:00Z', 2)).toEqual(['2025-10-25 22:00:00+00', '2025-10-26 23:00:00+00']);
  });
  it('America/New_York spring forward and fall back', () => {
    expect(cells(grid('1 day', 'America/New_York'), '2025-03-09T12:00:00Z', 2)).toEqual(['2025-03-09 05:00:00+00', '2025-03-10 04:00:00+00']);
    expect(cells(grid('1 day', 'America/New_York'), '2025-11-02T12:00:00Z', 2)).toEqual(['2025-11-02 04:00:00+00', '2025-11-03 05:00:00+00']);
  });
  it('hourly partitions skip the missing hour and stretch over the repeated one', () => {
    // New York 2025-03-09: 01:00 EST -> 03:00 EDT; the 01:00 cell ends at 03:00 local (1 hour later)
    expect(cells(grid('1 hour', 'America/New_York'), '2025-03-09T06:30:00Z', 3)).toEqual([
      '2025-03-09 06:00:00+00', '2025-03-09 07:00:00+00', '2025-03-09 08:00:00+00',
    ]);
    // 2025-11-02: 01:00 happens twice; the 01:00 cell covers both occurrences (2 hours)
    expect(cells(grid('1 hour', 'America/New_York'), '2025-11-02T05:30:00Z', 2)).toEqual(['2025-11-02 05:00:00+00', '2025-11-02 07:00:00+00']);
    // an instant in the second 01:30 (EST) falls in the same cell
    expect(show(grid('1 hour', 'America/New_York').floor(at('2025-11-02T06:30:00Z')))).toBe('2025-11-02 05:00:00+00');
  });
});

describe('month, quarter, year and week grids', () => {
  it('months have their real lengths, February in leap years too', () => {
    expect(cells(grid('1 month', 'UTC'), '2024-01-31T23:59:59Z', 4)).toEqual([
      '2024-01-01 00:00:00+00', '2024-02-01 00:00:00+00', '2024-03-01 00:00:00+00', '2024-04-01 00:00:00+00',
    ]);
    expect(cells(grid('1 day', 'UTC', 'date'), '2024-02-28T10:00:00Z', 3, 'date')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(cells(grid('1 day', 'UTC', 'date'), '2023-02-28T10:00:00Z', 2, 'date')).toEqual(['2023-02-28', '2023-03-01']);
  });
  it('quarters and years align on calendar boundaries', () => {
    expect(cells(grid('1 quarter', 'UTC', 'date'), '2024-05-15T00:00:00Z', 3, 'date')).toEqual(['2024-04-01', '2024-07-01', '2024-10-01']);
    expect(cells(grid('1 year', 'UTC', 'date'), '2024-05-15T00:00:00Z', 2, 'date')).toEqual(['2024-01-01', '2025-01-01']);
    expect(cells(grid('3 months', 'UTC', 'date'), '2024-02-15T00:00:00Z', 2, 'date')).toEqual(['2024-01-01', '2024-04-01']);
  });
  it('weeks start on Monday, like date_trunc(week)', () => {
    expect(cells(grid('1 week', 'UTC', 'date'), '2024-01-03T00:00:00Z', 2, 'date')).toEqual(['2024-01-01', '2024-01-08']);
  });
  it('a monthly grid in Paris time gives instants at Paris midnight', () => {
    expect(cells(grid('1 month', 'Europe/Paris'), '2025-03-15T00:00:00Z', 2)).toEqual(['2025-02-28 23:00:00+00', '2025-03-31 22:00:00+00']);
  });
  it('timestamp (without time zone) keys are wall-clock values', () => {
    expect(cells(grid('1 day', 'Europe/Paris', 'timestamp'), '2025-03-30T12:00:00Z', 2, 'timestamp')).toEqual(['2025-03-30 00:00:00', '2025-03-31 00:00:00']);
  });
});

describe('grid properties', () => {
  const intervals = ['1 hour', '6 hours', '1 day', '2 days', '1 week', '1 month', '1 quarter', '1 year'];
  const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
  it('every instant lies in exactly one cell, and cells strictly increase', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...intervals),
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('1990-01-01'), max: Date.parse('2060-01-01') }),
        (interval, tz, ms) => {
          const g = grid(interval, tz);
          const k = msToKey(ms);
          const lo = g.floor(k);
          const hi = g.next(lo);
          expect(lo <= k).toBe(true);
          expect(k < hi).toBe(true);
          expect(g.floor(hi)).toBe(hi); // boundaries are fixed points
          expect(g.next(hi) > hi).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('integer grid', () => {
  const g = makeGrid({ column: 'id', interval: { kind: 'step', step: 1000n }, premake: 1, timezone: 'UTC' }, 'bigint');
  it('aligns on multiples of the step, negatives included', () => {
    expect(g.floor(0n)).toBe(0n);
    expect(g.floor(999n)).toBe(0n);
    expect(g.floor(1000n)).toBe(1000n);
    expect(g.floor(-1n)).toBe(-1000n);
    expect(g.next(-1000n)).toBe(0n);
  });
  it('works at the edges of bigint', () => {
    expect(g.floor(9223372036854775807n)).toBe(9223372036854775000n);
  });
});
