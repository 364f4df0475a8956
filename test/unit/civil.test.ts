import { describe, expect, it } from 'vitest';
import { civilFromDays, pgDateText, pgTimestampText } from '../../src/model/civil.js';

describe('calendar dates beyond JavaScript Date', () => {
  it('agrees with Date where Date works, and goes on where it stops', () => {
    for (const days of [-719_528, -100_000, -1, 0, 1, 11_016, 19_782, 2_932_896]) {
      const d = new Date(days * 86_400_000);
      expect(civilFromDays(days), String(days)).toEqual({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
    }
    expect(pgDateText(106_751_991)).toBe('294247-01-10'); // the last day of 64-bit microseconds since 1970
    expect(pgDateText(-719_163)).toBe('0001-12-31 BC'); // the day before 0001-01-01
    expect(pgDateText(-735_160)).toBe('0044-03-15 BC');
  });

  it('timestamps as PostgreSQL reads them, microseconds and BC kept', () => {
    expect(pgTimestampText(1n, false)).toBe('1970-01-01 00:00:00.000001');
    expect(pgTimestampText(-1n, true)).toBe('1969-12-31 23:59:59.999999+00');
    expect(pgTimestampText(-62_167_219_200_000_000n, false)).toBe('0001-01-01 00:00:00.000000 BC');
  });
});
