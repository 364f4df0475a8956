import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CopyBinaryRows, type BinaryRow } from '../../src/archive/copy-binary.js';

const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const int16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const int32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const row = (fields: Array<Buffer | null>) => Buffer.concat([int16(fields.length), ...fields.flatMap((f) => (f === null ? [int32(-1)] : [int32(f.length), f]))]);
const stream = (rows: Array<Array<Buffer | null>>) => Buffer.concat([header, ...rows.map(row), int16(-1)]);

async function parse(chunks: Buffer[]): Promise<BinaryRow[]> {
  const out: BinaryRow[] = [];
  const parser = Readable.from(chunks).pipe(new CopyBinaryRows());
  for await (const r of parser) out.push(r as BinaryRow);
  return out;
}

describe('binary COPY rows', () => {
  const rows = [[Buffer.from('ünï'), null, Buffer.alloc(0)], [Buffer.from([1, 2, 3]), Buffer.from('x'), null]];
  const bytes = stream(rows);

  it('splits rows and fields (NULL and empty apart) however the stream is cut', async () => {
    expect(await parse([bytes])).toEqual(rows);
    for (let cut = 1; cut < bytes.length; cut++) expect(await parse([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(rows);
    expect(await parse([...bytes].map((x) => Buffer.from([x])))).toEqual(rows);
  });

  it('a large value arriving in many chunks', async () => {
    const big = Buffer.alloc(3_000_000, 7);
    const b = stream([[big, Buffer.from('after')]]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < b.length; i += 65536) chunks.push(b.subarray(i, i + 65536));
    const [r] = await parse(chunks);
    expect(r![0]!.equals(big)).toBe(true);
    expect(r![1]!.toString()).toBe('after');
  });

  it('refuses what is not a whole binary COPY', async () => {
    await expect(parse([Buffer.from('id,name\n1,x\n')])).rejects.toThrow(/not a binary COPY stream/);
    await expect(parse([bytes.subarray(0, bytes.length - 2)])).rejects.toThrow(/ended without its trailer \(2 rows read/);
    await expect(parse([bytes, Buffer.from([0])])).rejects.toThrow(/after its trailer/);
  });
});
