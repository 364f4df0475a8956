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

  merge(o: Range): void {
    this.nulls += o.nulls;
    if (o.min !== undefined && (this.min === undefined || less(o.min, this.min))) this.min = o.min;
    if (o.max !== undefined && (this.max === undefined || less(this.max, o.max))) this.max = o.max;
  }

  shown(c: ParquetColumn): ColumnStats {
    const show = (v: Comparable | undefined) => (v === undefined || !c.show ? null : c.show(v));
    return { min: show(this.min), max: show(this.max), nulls: this.nulls };
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

const zstd = (input: Uint8Array): Uint8Array => {
  const compress = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  if (!compress) throw new Error(`Parquet zstd needs Node.js >= 22.15 (this is ${process.version}); use retention.archive.compression: snappy`);
  return compress(input);
};

/**
 * BinaryRow objects in (the fields of a binary COPY, in column order), a Parquet file's bytes out,
 * row group by row group: rows are decoded into per-column arrays until the group is full, then
 * encoded (with column statistics) and passed on. Memory is one row group of decoded values plus
 * its encoded bytes, whatever the table's size.
 */
export class ParquetEncoder extends Transform {
  readonly #enc: ParquetEncoding;
  readonly #writer: ParquetWriter;
  readonly #schema: SchemaElement[];
  #values: ParquetValue[][];
  #ranges: Range[];
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
    this.#values = enc.columns.map(() => []);
    this.#ranges = enc.columns.map(() => new Range());
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
        const v = f === null ? null : cols[i]!.decode(f);
        this.#values[i]!.push(v);
        this.#ranges[i]!.add(v);
        if (f !== null) this.#groupBytes += f.length;
      }
      this.#rows++;
      if (this.#values[0]!.length >= this.#enc.rowGroupRows || this.#groupBytes >= this.#enc.rowGroupBytes) this.#writeGroup();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if ((this.#values[0]?.length ?? 0) > 0) this.#writeGroup();
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

  #writeGroup(): void {
    const n = this.#values[0]!.length;
    const columnData = this.#enc.columns.map((c, i) => ({ name: c.name, data: this.#values[i]! }));
    void this.#writer.write({ columnData, rowGroupSize: n });
    this.#groups.push({ rows: n, columns: Object.fromEntries(this.#enc.columns.map((c, i) => [c.name, this.#ranges[i]!.shown(c)])) });
    this.#ranges.forEach((r, i) => this.#total[i]!.merge(r));
    this.#ranges = this.#enc.columns.map(() => new Range());
    this.#values = this.#enc.columns.map(() => []);
    this.#groupBytes = 0;
  }
}
