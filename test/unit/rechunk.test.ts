import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rechunk } from '../../src/archive/rechunk.js';

async function rechunk(chunks: Buffer[], block: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new Rechunk(block), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return out;
}

describe('Rechunk (file writes in blocks instead of one per socket read)', () => {
  it('keeps every byte in order and writes blocks of at least the block size (the last may be smaller)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), fc.integer({ min: 1, max: 500 }), async (arrays, block) => {
        const chunks = arrays.map((a) => Buffer.from(a));
        const out = await rechunk(chunks, block);
        expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
        out.slice(0, -1).forEach((b) => expect(b.length).toBeGreaterThanOrEqual(block));
        expect(out.every((b) => b.length > 0)).toBe(true);
      }),
    );
  });

  it('writes nothing for empty input', async () => {
    expect(await rechunk([], 10)).toEqual([]);
  });
});
