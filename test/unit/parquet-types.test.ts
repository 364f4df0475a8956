import { describe, expect, it } from 'vitest';
import { parquetColumn, unscaledNumeric } from '../../src/model/parquet-types.js';

/** numeric's binary send format: ndigits, weight, sign, dscale, base-10000 digits. */
function numeric(digits: number[], weight: number, sign: number, dscale: number): Buffer {
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => b.writeUInt16BE(d, 8 + 2 * i));
  return b;
}
const typmod = (precision: number, scale: number) => ((precision << 16) | (scale & 0x7ff)) + 4;

describe('PostgreSQL types to Parquet', () => {
  it('numeric: exact unscaled integers at the column scale; NaN and extra decimals refused', () => {
    expect(unscaledNumeric(numeric([1234, 5678], 0, 0, 4), 4, 'amount')).toBe(12345678n); // 1234.5678
    expect(unscaledNumeric(numeric([12, 3400], 0, 0x4000, 2), 2, 'amount')).toBe(-1234n); // -12.34
    expect(unscaledNumeric(numeric([1], 2, 0, 0), 2, 'amount')).toBe(10_000_000_000n); // 100000000 x 10^2
    expect(unscaledNumeric(numeric([], 0, 0, 0), 2, 'amount')).toBe(0n);
    expect(() => unscaledNumeric(numeric([], 0, 0xc000, 0), 2, 'amount')).toThrow('column amount: numeric NaN has no Parquet form; archive this table with format: csv');
    expect(unscaledNumeric(numeric([1, 5000], 0, 0, 4), 2, "amount")).toBe(150n); // 1.5000: trailing zeros fit
    expect(() => unscaledNumeric(numeric([1, 2345], 0, 0, 4), 2, "amount")).toThrow(/more than 2 decimal places/);
  });

  it('numeric(p, s) becomes a DECIMAL stored by precision; unconstrained numeric is text', () => {
    expect(parquetColumn({ name: 'a', typname: 'numeric', typmod: typmod(9, 2), notNull: true }).schema).toEqual([{ name: 'a', repetition_type: 'REQUIRED', type: 'INT32', converted_type: 'DECIMAL', precision: 9, scale: 2 }]);
    expect(parquetColumn({ name: 'a', typname: 'numeric', typmod: typmod(18, 0), notNull: false }).schema[0]).toMatchObject({ type: 'INT64', precision: 18, scale: 0 });
    expect(parquetColumn({ name: 'a', typname: 'numeric', typmod: typmod(38, 10), notNull: false }).schema[0]).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16 });
    const free = parquetColumn({ name: 'a', typname: 'numeric', typmod: -1, notNull: false });
    expect(free.asText).toBe(true);
    expect(free.schema[0]).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
  });

  it('timestamps as microseconds since 1970 (UTC-adjusted for timestamptz), dates as days; infinity refused', () => {
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(1n); // 2000-01-01 00:00:00.000001
    expect(parquetColumn({ name: 't', typname: 'timestamptz', typmod: -1, notNull: false }).decode(ts)).toBe(946_684_800_000_001n);
    const d = Buffer.alloc(4);
    d.writeInt32BE(-1); // 1999-12-31
    expect(parquetColumn({ name: 'd', typname: 'date', typmod: -1, notNull: false }).decode(d)).toBe(10_956);
    ts.writeBigInt64BE(9_223_371_331_200_000_000n); // 294276-12-31: PostgreSQL has it, 64-bit micros since 1970 do not
    expect(() => parquetColumn({ name: 't', typname: 'timestamp', typmod: -1, notNull: false }).decode(ts)).toThrow('column t: a timestamp after 294247-01-10 has no Parquet form');
    d.writeInt32BE(0x7fffffff);
    expect(() => parquetColumn({ name: 'd', typname: 'date', typmod: -1, notNull: false }).decode(d)).toThrow(/column d: date infinity/);
  });

  it('one-dimensional arrays become LISTs (NULL elements kept); other types go as text', () => {
    const arr = Buffer.alloc(20 + 8 + 4 + 8);
    arr.writeInt32BE(1, 0); arr.writeInt32BE(1, 4); arr.writeInt32BE(20, 8); arr.writeInt32BE(2, 12); arr.writeInt32BE(1, 16);
    arr.writeInt32BE(8, 20); arr.writeBigInt64BE(42n, 24); arr.writeInt32BE(-1, 32);
    const col = parquetColumn({ name: 'ids', typname: '_int8', elem: 'int8', typmod: -1, notNull: false });
    expect(col.schema.map((e) => e.name)).toEqual(['ids', 'list', 'element']);
    expect(col.decode(arr.subarray(0, 36))).toEqual([42n, null]);
    expect(parquetColumn({ name: 'span', typname: 'interval', typmod: -1, notNull: false }).asText).toBe(true);
  });
});
