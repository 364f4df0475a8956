import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { BinaryRow } from './copy-binary.js';
import type { ParquetColumn, ParquetValue, StatValue } from '../model/parquet-types.js';

export type ParquetCodec = 'zstd' | 'snappy';

export interface ParquetEncoding {
  readonly columns: readonly ParquetColumn[];
  readonly codec: ParquetCodec;
  /** A row group ends at this many rows ... */
  readonly rowGroupRows: number;
  /** ... or once its fields hold this many bytes, whichever comes first (bounds memory for wide rows). */
  readonly rowGroupBytes: number;
  readonly createdBy: string;
}

/** One column's range in a row group or the whole object (LIST columns: over their elements). */
export interface ColumnStats {
  min: StatValue | null;
  max: StatValue | null;
  nulls: number;
}

/** What the manifest records of a Parquet object: rows and column ranges, per row group and in all. */
export interface ParquetStats {
  readonly rows: number;
  readonly columns: Readonly<Record<string, ColumnStats>>;
  readonly rowGroups: ReadonlyArray<{ readonly rows: number; readonly columns: Readonly<Record<string, ColumnStats>> }>;
}

type Comparable = number | bigint | boolean | Uint8Array;

const less = (a: Comparable, b: Comparable): boolean =>
  a instanceof Uint8Array ? Buffer.compare(a, b as Uint8Array) < 0 : (a as number | bigint) < (b as number | bigint);

/** Min and max of one column in one row group, kept as values (shown only at the end). */
class Range {
  min: Comparable | undefined;
  max: Comparable | undefined;
  nulls = 0;

  add(v: ParquetValue): void {
    if (v === null) this.nulls++;
    else if (Array.isArray(v)) for (const x of v) this.add(x);
    else {
      if (this.min === undefined || less(v, this.min)) this.min = v;
      if (this.max === undefined || less(this.max, v)) this.max = v;
    }
  }

  /** Takes `o`'s range in; byte values are copied (a row group's values are views of a buffer reused for the next group). */
  merge(o: Range): void {
    this.nulls += o.nulls;
    const own = (v: Comparable) => (v instanceof Uint8Array ? Uint8Array.from(v) : v);
    if (o.min !== undefined && (this.min === undefined || less(o.min, this.min))) this.min = own(o.min);
    if (o.max !== undefined && (this.max === undefined || less(this.max, o.max))) this.max = own(o.max);
  }

  shown(c: ParquetColumn): ColumnStats {
    const show = (v: Comparable | undefined) => (v === undefined || !c.show ? null : c.show(v));
    return { min: show(this.min), max: show(this.max), nulls: this.nulls };
  }
}

/**
 * One column of the row group being filled, as the bytes PostgreSQL sent (one buffer, reused from
 * group to group) and each field's place in it. Values are decoded only when the group is written,
 * all in one synchronous call: nothing of a group lives long enough as JavaScript objects to be
 * promoted to V8's old generation, where it would stay as garbage long after the group is gone.
 */
class ColumnBytes {
  #buf = Buffer.allocUnsafe(64 << 10);
  #used = 0;
  #count = 0;
  /** Where each field starts in #buf, and its length (-1: NULL): allocated once, for the largest group. */
  readonly #starts: Int32Array;
  readonly #lengths: Int32Array;

  constructor(maxRows: number) {
    this.#starts = new Int32Array(maxRows);
    this.#lengths = new Int32Array(maxRows);
  }

  add(field: Buffer | null): void {
    const i = this.#count++;
    if (field === null) {
      this.#lengths[i] = -1;
      return;
    }
    if (this.#used + field.length > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#used + field.length));
      this.#buf.copy(bigger, 0, 0, this.#used);
      this.#buf = bigger;
    }
    field.copy(this.#buf, this.#used);
    this.#starts[i] = this.#used;
    this.#lengths[i] = field.length;
    this.#used += field.length;
  }

  /** The group's values (byte values are views of this column's buffer: valid until reset). */
  values(decode: (field: Buffer) => ParquetValue): ParquetValue[] {
    const out = new Array<ParquetValue>(this.#count);
    for (let i = 0; i < out.length; i++) {
      const len = this.#lengths[i]!;
      out[i] = len < 0 ? null : decode(this.#buf.subarray(this.#starts[i]!, this.#starts[i]! + len));
    }
    return out;
  }

  /** Empties the column for the next group, keeping its buffer unless one huge value grew it past `keep` bytes. */
  reset(keep: number): void {
    this.#used = 0;
    this.#count = 0;
    if (this.#buf.length > keep) this.#buf = Buffer.allocUnsafe(64 << 10);
  }
}

/**
 * A hyparquet ByteWriter that hands its bytes on after every row group (and at the end) instead
 * of keeping the whole file: memory is one encoded row group.
 */
class HandOffWriter extends ByteWriter {
  constructor(private readonly out: (bytes: Buffer) => void) {
    super(1 << 20);
  }

  flush(): void {
    if (this.index === 0) return;
    this.out(Buffer.from(this.buffer.slice(0, this.index)));
    this.index = 0;
    // a row group of large values grew the buffer: do not keep that much for the next one
    if (this.buffer.byteLength > 4 << 20) {
      this.buffer = new ArrayBuffer(1 << 20);
      this.view = new DataView(this.buffer);
    }
  }

  override finish(): void {
    this.flush();
  }
}

/**
 * A column hyparquet-writer decodes only when it reaches it: ParquetWriter.write() reads a
 * column's `length`, then `slice()`s it once as it encodes that column (hyparquet-writer 0.17,
 * parquet-writer.js). Its encoding makes a few hundred bytes of temporaries per value; one
 * column's worth of them at a time instead of the whole group's keeps narrow rows' peak heap down.
 */
function lazyColumn(length: number, decode: () => ParquetValue[]): ParquetValue[] {
  return { length, slice: decode } as unknown as ParquetValue[];
}

const zstd = (input: Uint8Array): Uint8Array => {
  const compress = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  if (!compress) throw new Error(`Parquet zstd needs Node.js >= 22.15 (this is ${process.version}); use retention.archive.compression: snappy`);
  return compress(input);
};

/**
 * BinaryRow objects in (the fields of a binary COPY, in column order), a Parquet file's bytes out,
 * row group by row group: each field's bytes are appended to its column until the group is full,
 * then the columns are decoded, measured (column statistics), encoded and passed on. Memory is one
 * row group of field bytes plus its encoded bytes, whatever the table's size.
 */
export class ParquetEncoder extends Transform {
  readonly #enc: ParquetEncoding;
  readonly #writer: ParquetWriter;
  readonly #schema: SchemaElement[];
  readonly #columns: ColumnBytes[];
  #groupRows = 0;
  readonly #total: Range[];
  readonly #groups: Array<{ rows: number; columns: Record<string, ColumnStats> }> = [];
  #groupBytes = 0;
  #rows = 0;

  constructor(enc: ParquetEncoding) {
    super({ writableObjectMode: true });
    this.#enc = enc;
    const schema: SchemaElement[] = [{ name: 'root', num_children: enc.columns.length }, ...enc.columns.flatMap((c) => c.schema.map((e) => ({ ...e }) as SchemaElement))];
    this.#schema = schema;
    const sink = new HandOffWriter((b) => this.push(b));
    this.#writer = new ParquetWriter({ writer: sink, schema, codec: enc.codec === 'zstd' ? 'ZSTD' : 'SNAPPY', compressors: { ZSTD: zstd }, createdBy: enc.createdBy });
    this.#columns = enc.columns.map(() => new ColumnBytes(enc.rowGroupRows));
    this.#total = enc.columns.map(() => new Range());
  }

  /** Rows encoded so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Rows and column ranges of what was encoded (complete once the stream finished). */
  get stats(): ParquetStats {
    const columns = Object.fromEntries(this.#enc.columns.map((c, i) => [c.name, this.#total[i]!.shown(c)]));
    return { rows: this.#rows, columns, rowGroups: this.#groups };
  }

  override _transform(row: BinaryRow, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const cols = this.#enc.columns;
      if (row.length !== cols.length) throw new Error(`a COPY row has ${row.length} fields, the table ${cols.length} columns`);
      for (let i = 0; i < cols.length; i++) {
        const f = row[i]!;
        this.#columns[i]!.add(f);
        if (f !== null) this.#groupBytes += f.length;
      }
      this.#rows++;
      this.#groupRows++;
      if (this.#groupRows >= this.#enc.rowGroupRows || this.#groupBytes >= this.#enc.rowGroupBytes) this.#writeGroup();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.#groupRows > 0) this.#writeGroup();
      // json/jsonb values are already JSON text: hyparquet-writer would JSON.stringify them again
      // under the JSON converted type, so it is only named in the footer (readers such as DuckDB
      // need it next to the logical type to read the column as JSON rather than BLOB)
      for (const e of this.#schema) if (e.logical_type?.type === 'JSON') e.converted_type = 'JSON';
      void this.#writer.finish();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  /** Decodes, measures and encodes the group in one synchronous call (the writer hands its bytes on before it returns). */
  #writeGroup(): void {
    const n = this.#groupRows;
    const ranges = this.#enc.columns.map(() => new Range());
    const columnData = this.#enc.columns.map((c, i) => ({
      name: c.name,
      data: lazyColumn(n, () => {
        const data = this.#columns[i]!.values(c.decode);
        for (const v of data) ranges[i]!.add(v);
        return data;
      }),
    }));
    void this.#writer.write({ columnData, rowGroupSize: n });
    this.#groups.push({ rows: n, columns: Object.fromEntries(this.#enc.columns.map((c, i) => [c.name, ranges[i]!.shown(c)])) });
    ranges.forEach((r, i) => this.#total[i]!.merge(r));
    for (const c of this.#columns) c.reset(2 * this.#enc.rowGroupBytes);
    this.#groupRows = 0;
    this.#groupBytes = 0;
  }
}
