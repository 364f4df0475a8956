import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRangeBound, subtractRanges, uncoveredCells, type ParsedRange } from '../../src/planner/bounds.js';

const range = fc
  .tuple(fc.option(fc.bigInt({ min: 0n, max: 40n }), { nil: null }), fc.option(fc.bigInt({ min: 0n, max: 40n }), { nil: null }))
  .filter(([f, t]) => f === null || t === null || f < t)
  .map(([from, to]): ParsedRange => ({ from, to }));

describe('range bounds', () => {
  it('uncoveredCells answers exactly like subtractRanges (exact matches from a set, the rest computed)', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), fc.bigInt({ min: 0n, max: 39n }), fc.bigInt({ min: 1n, max: 10n }), (occupied, a, len) => {
        const b = a + len;
        expect(uncoveredCells(occupied)(a, b)).toEqual(subtractRanges(a, b, occupied));
        // a cell equal to an occupied range is covered
        for (const r of occupied) if (r.from !== null && r.to !== null) expect(uncoveredCells(occupied)(r.from, r.to)).toEqual([]);
      }),
    );
  });

  it('parses the same bound text to the same value every time (memoized per key type)', () => {
    const bound = "FOR VALUES FROM ('2024-03-10 00:00:00+00') TO ('2024-03-11 00:00:00+00')";
    const first = parseRangeBound(bound, 'timestamptz');
    expect(first).toBeDefined();
    expect(parseRangeBound(bound, 'timestamptz')).toEqual(first);
    // the same text is not a valid bound for another key type
    expect(parseRangeBound(bound, 'timestamp')).toBeUndefined();
    expect(parseRangeBound('FOR VALUES FROM (1) TO (10)', 'bigint')).toEqual({ from: 1n, to: 10n });
    expect(parseRangeBound('FOR VALUES FROM (1) TO (10)', 'timestamptz')).toBeUndefined();
  });
});
