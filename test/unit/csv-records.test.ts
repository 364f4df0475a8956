import { describe, expect, it } from 'vitest';
import { CsvRecordCounter } from '../../src/archive/csv-records.js';

const count = (chunks: string[]): number => {
  const c = new CsvRecordCounter();
  for (const s of chunks) c.push(Buffer.from(s));
  return c.records;
};

describe('CSV records of a COPY stream (what Citus miscounts)', () => {
  it('counts lines, not newlines inside quoted values, however the stream is cut', () => {
    const csv = 'id,note\n1,plain\n2,"two\nlines"\n3,"say ""hi""\n, then go"\n4,""\n5,"ünï ""q"""\n';
    expect(count([csv])).toBe(6);
    for (let cut = 0; cut <= csv.length; cut++) expect(count([csv.slice(0, cut), csv.slice(cut)]), `cut at ${cut}`).toBe(6);
    expect(count(csv.split(''))).toBe(6);
  });

  it('an empty table is its header line alone', () => {
    expect(count(['id,note\n'])).toBe(1);
    expect(count([])).toBe(0);
  });
});
