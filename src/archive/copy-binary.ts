import { Transform, type TransformCallback } from 'node:stream';

/** One row of a binary COPY: each field's bytes as PostgreSQL sent them (its binary send format), or null. */
export type BinaryRow = ReadonlyArray<Buffer | null>;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Splits the output of `COPY ... TO STDOUT (FORMAT binary)` into rows as it streams (an object
 * stream of BinaryRow), whatever the chunk boundaries: the 11-byte signature, flags and header
 * extension, then per row a 16-bit field count and, per field, a 32-bit length (-1: NULL) and the
 * bytes; a field count of -1 ends the data. Anything else is an error, never a guess. Fields are
 * views of the chunks, not copies: a consumer that keeps a field keeps its chunk alive (the Parquet
 * encoder copies each field into its row group's buffer at once, so the chunks go right after).
 */
export class CopyBinaryRows extends Transform {
  /** Bytes not parsed yet, in the chunks they came in (joined only once a row can be completed). */
  #chunks: Buffer[] = [];
  #have = 0;
  /** Bytes the incomplete row needs at least before parsing again (a 100 MB value is joined once, not once per chunk). */
  #need = 0;
  #headerDone = false;
  #ended = false;
  #rows = 0;

  constructor() {
    super({ readableObjectMode: true });
  }

  /** Rows parsed so far. */
  get rows(): number {
    return this.#rows;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    if (this.#have < this.#need) return cb();
    const b = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#have);
    try {
      const used = this.#parse(b);
      const rest = used === b.length ? [] : [Buffer.from(b.subarray(used))];
      this.#chunks = rest;
      this.#have = b.length - used;
      this.#need = Math.max(0, this.#need - used);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (!this.#ended) return cb(new Error(`binary COPY ended without its trailer (${this.#rows} rows read, ${this.#have} bytes left)`));
    cb();
  }

  /** Parses whole rows from `b`; returns the bytes consumed (a partial row waits for the next chunk). */
  #parse(b: Buffer): number {
    this.#need = 0;
    let at = 0;
    if (!this.#headerDone) {
      const seen = Math.min(b.length, SIGNATURE.length);
      if (!b.subarray(0, seen).equals(SIGNATURE.subarray(0, seen))) throw new Error('not a binary COPY stream (bad signature)');
      if (b.length < 19) return this.#needs(19, 0);
      const extension = b.readUInt32BE(15);
      if (b.length < 19 + extension) return this.#needs(19 + extension, 0);
      at = 19 + extension;
      this.#headerDone = true;
    }
    for (;;) {
      if (this.#ended) {
        if (at < b.length) throw new Error(`binary COPY has ${b.length - at} bytes after its trailer`);
        return at;
      }
      if (b.length - at < 2) return this.#needs(at + 2, at);
      const fields = b.readInt16BE(at);
      if (fields === -1) {
        this.#ended = true;
        at += 2;
        continue;
      }
      const row = this.#row(b, at + 2, fields);
      if (typeof row === 'number') return this.#needs(row, at);
      this.push(row.fields);
      this.#rows++;
      at = row.next;
    }
  }

  /** Stops at `used` bytes: the row there needs `end` bytes of this buffer before it can be parsed. */
  #needs(end: number, used: number): number {
    this.#need = end;
    return used;
  }

  /** A row, or (when `b` ends inside it) how many bytes of `b` it needs at least. */
  #row(b: Buffer, start: number, count: number): { fields: BinaryRow; next: number } | number {
    if (count < 0) throw new Error(`binary COPY row ${this.#rows + 1}: field count ${count}`);
    const fields: Array<Buffer | null> = new Array<Buffer | null>(count);
    let at = start;
    for (let i = 0; i < count; i++) {
      if (b.length - at < 4) return at + 4;
      const len = b.readInt32BE(at);
      at += 4;
      if (len === -1) {
        fields[i] = null;
        continue;
      }
      if (len < 0) throw new Error(`binary COPY row ${this.#rows + 1}, field ${i + 1}: length ${len}`);
      if (b.length - at < len) return at + len;
      fields[i] = b.subarray(at, at + len);
      at += len;
    }
    return { fields, next: at };
  }
}
