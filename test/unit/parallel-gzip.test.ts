import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GZIP_BLOCK_BYTES, ParallelGzip } from '../../src/archive/parallel-gzip.js';

async function compress(input: Buffer, chunk: number, level = 1): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) chunks.push(input.subarray(i, i + chunk));
  await pipeline(Readable.from(chunks), new ParallelGzip(level, 3), new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
  return Buffer.concat(parts);
}

/** Text that compresses like table data, with some incompressible bytes mixed in. */
function sample(bytes: number): Buffer {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const line = `${i},"text, with ""quotes""\nand a newline",${i * 3.25},${randomBytes(8).toString('hex')}\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

describe('ParallelGzip (multi-member gzip on several cores)', () => {
  const input = sample(3 * GZIP_BLOCK_BYTES + 12345);

  it('round-trips through gunzip, the gzip CLI included', async () => {
    const gz = await compress(input, 64 * 1024);
    expect(zlib.gunzipSync(gz).equals(input)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 * 1024 * 1024 }).equals(input)).toBe(true);
    expect(gz.length).toBeLessThan(input.length);
  });

  it('gives the same bytes whatever the chunking of its input (archives are deterministic)', async () => {
    const a = await compress(input, 1000);
    const b = await compress(input, 700_001);
    const c = await compress(input, input.length);
    const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');
    expect(sha(a)).toBe(sha(b));
    expect(sha(a)).toBe(sha(c));
  });

  it('handles empty input and input smaller than one block', async () => {
    expect(zlib.gunzipSync(await compress(Buffer.alloc(0), 10)).length).toBe(0);
    const small = Buffer.from('id\n1\n');
    expect(zlib.gunzipSync(await compress(small, 2)).equals(small)).toBe(true);
  });

  it('respects backpressure: a stalled consumer stops the producer', async () => {
    const gz = new ParallelGzip(1, 2);
    let written = 0;
    const big = sample(GZIP_BLOCK_BYTES);
    const src = new Readable({
      read() {
        written += big.length;
        this.push(written > 200 * GZIP_BLOCK_BYTES ? null : big);
      },
    });
    src.pipe(gz); // nobody reads gz
    await new Promise((r) => setTimeout(r, 1500));
    expect(written).toBeLessThan(40 * GZIP_BLOCK_BYTES);
    src.destroy();
    gz.destroy();
  });
});
