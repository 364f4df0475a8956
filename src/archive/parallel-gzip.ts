import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

/** Input bytes per gzip member. */
export const GZIP_BLOCK_BYTES = 1024 * 1024;

/**
 * An 8 KiB deflate window instead of zlib's 32 KiB. Table rows repeat what the previous rows
 * said within a few KiB, and with Node's zlib a smaller window makes level 1 faster at about the
 * same size: measured on three CSV tables (docs/performance.md) 0-40 % faster and -0.5 % to
 * +6 % smaller; on source code (not our data) it is 6 % larger. Any gunzip reads it.
 */
export const GZIP_WINDOW_BITS = 13;

/**
 * gzip that uses more than one core: the input is cut into fixed 1 MiB blocks, each block is
 * compressed as its own gzip member on libuv's thread pool (several at a time), and the members
 * are emitted in order. Concatenated members are a valid gzip file (RFC 1952 §2.2): gunzip,
 * zcat, Node's createGunzip, Python's gzip, DuckDB and Hadoop's codecs read all of them.
 * Deterministic (same bytes in, same bytes out, whatever the chunking of the input) and bounded:
 * at most `concurrency` blocks are in flight, and backpressure from downstream stops the input.
 */
export class ParallelGzip extends Transform {
  readonly #level: number;
  readonly #concurrency: number;
  #parts: Buffer[] = [];
  #length = 0;
  readonly #inFlight: Array<Promise<Buffer>> = [];
  #members = 0;

  constructor(level: number, concurrency = 4) {
    super({ readableHighWaterMark: 4 * GZIP_BLOCK_BYTES });
    this.#level = level;
    this.#concurrency = Math.max(1, concurrency);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#parts.push(chunk);
    this.#length += chunk.length;
    void this.#drainFull().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    void (async () => {
      await this.#drainFull();
      // empty input still gives a valid (empty) gzip file
      if (this.#length > 0 || this.#members === 0) this.#start(this.#take(this.#length));
      while (this.#inFlight.length > 0) this.push(await this.#inFlight.shift()!);
    })().then(() => cb(), cb);
  }

  /** Starts a member for every complete block; waits for the oldest when too many are in flight. */
  async #drainFull(): Promise<void> {
    while (this.#length >= GZIP_BLOCK_BYTES) {
      this.#start(this.#take(GZIP_BLOCK_BYTES));
      while (this.#inFlight.length >= this.#concurrency) this.push(await this.#inFlight.shift()!);
    }
  }

  #start(block: Buffer): void {
    this.#members++;
    const p = gzip(block, { level: this.#level, windowBits: GZIP_WINDOW_BITS });
    p.catch(() => undefined); // surfaced when awaited in order
    this.#inFlight.push(p);
  }

  #take(n: number): Buffer {
    const all = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
    const block = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return block;
  }
}
