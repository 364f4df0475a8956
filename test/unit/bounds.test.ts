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

describe('time held in integers and uuids', () => {
  it('epoch keys: bounds are integers in the column\'s unit, read back exactly', async () => {
    const { keyLiteral, parseBoundLiteral, msToKey } = await import('../../src/planner/keys.js');
    const k = msToKey(Date.UTC(2026, 2, 29, 1)); // 2026-03-29 01:00 UTC: midnight in Paris after the DST change is 22:00 UTC before
    expect(keyLiteral(k, 'epoch_s')).toBe('1774746000');
    expect(keyLiteral(k, 'epoch_ms')).toBe('1774746000000');
    expect(keyLiteral(k, 'epoch_us')).toBe('1774746000000000');
    for (const t of ['epoch_s', 'epoch_ms', 'epoch_us'] as const) expect(parseBoundLiteral(keyLiteral(k, t), t)).toBe(k);
    expect(parseBoundLiteral("'2026-03-29'", 'epoch_s')).toBeUndefined();
  });
  it('uuidv7 keys: a bound is the smallest UUIDv7 of its millisecond (RFC 9562 layout)', async () => {
    const { keyLiteral, parseBoundLiteral, msToKey, uuidv7Floor } = await import('../../src/planner/keys.js');
    const ms = Date.UTC(2026, 11, 1);
    expect(uuidv7Floor(ms)).toBe('01a22ee6-b000-7000-8000-000000000000');
    expect(uuidv7Floor(0)).toBe('00000000-0000-7000-8000-000000000000');
    const k = msToKey(ms);
    expect(keyLiteral(k, 'uuidv7')).toBe("'01a22ee6-b000-7000-8000-000000000000'::uuid");
    expect(parseBoundLiteral("'01a22ee6-b000-7000-8000-000000000000'", 'uuidv7')).toBe(k);
    // a bound written with zeros after the time reads as the same millisecond; anything else is not ours
    expect(parseBoundLiteral("'01a22ee6-b000-0000-0000-000000000000'", 'uuidv7')).toBe(k);
    expect(parseBoundLiteral("'01a22ee6-b000-7abc-8000-000000000000'", 'uuidv7')).toBeUndefined();
  });
});
