import zlib from 'node:zlib';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type Compressors, type FileMetaData, type SchemaElement } from 'hyparquet';
import { pgDateText, pgTimestampText } from '../model/civil.js';
import { decimalText, numericScale, uuidText, type PgColumn } from '../model/parquet-types.js';

/*
 * A Parquet archive back into PostgreSQL: row group by row group, as COPY text. Values are read
 * raw (the annotations are taken off the schema first: hyparquet would turn a DECIMAL into a float
 * and a timestamp into a millisecond Date) and written in PostgreSQL's own input syntax from the
 * column's PostgreSQL type, so every value comes back exactly.
 */

type Raw = number | bigint | boolean | Uint8Array | null | undefined | Raw[];

const PG_TEXT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/** A value for COPY's text format: backslash, tab, newline and carriage return escaped. */
const copyEscape = (s: string): string => s.replace(/[\\\t\n\r]/g, (c) => PG_TEXT_ESCAPES[c]!);

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A DECIMAL's unscaled value from its physical form: INT32, INT64 or big-endian two's complement bytes. */
function unscaled(v: Raw): bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return BigInt(v);
  const b = v as Uint8Array;
  let n = 0n;
  for (const byte of b) n = (n << 8n) | BigInt(byte);
  return b.length > 0 && (b[0]! & 0x80) !== 0 ? n - (1n << BigInt(8 * b.length)) : n;
}


/** One non-NULL scalar in PostgreSQL's input syntax for its type (not yet escaped for COPY). */
function scalarText(typname: string, typmod: number, v: Raw): string {
  switch (typname) {
    case 'bool':
      return v ? 't' : 'f';
    case 'numeric':
      return decimalText(unscaled(v), numericScale(typmod));
    case 'date':
      return pgDateText(v as number);
    case 'timestamp':
      return pgTimestampText(v as bigint, false);
    case 'timestamptz':
      return pgTimestampText(v as bigint, true);
    case 'uuid':
      return uuidText(v as Uint8Array);
    case 'bytea':
      return `\\x${Buffer.from(v as Uint8Array).toString('hex')}`;
    default:
      return v instanceof Uint8Array ? utf8.decode(v) : String(v);
  }
}

/** An array literal: `{"a",NULL,"b"}`, every element quoted. */
const arrayText = (elem: string, typmod: number, values: Raw[]): string =>
  `{${values.map((x) => (x === null || x === undefined ? 'NULL' : `"${scalarText(elem, typmod, x).replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;

/** One field of a COPY text row. */
function copyTextField(c: PgColumn, asText: boolean, v: Raw): string {
  if (v === null || v === undefined) return '\\N';
  if (asText) return copyEscape(utf8.decode(v as Uint8Array));
  return copyEscape(c.elem !== undefined ? arrayText(c.elem, c.typmod, v as Raw[]) : scalarText(c.typname, c.typmod, v));
}

/** The schema without the annotations that would make hyparquet convert values (LIST kept: it shapes the rows). */
function rawSchema(schema: readonly SchemaElement[]): SchemaElement[] {
  return schema.map((e) => {
    if (e.converted_type === 'LIST') return e;
    const { converted_type: _c, logical_type: _l, ...plain } = e;
    return plain;
  });
}

/** hyparquet reads snappy itself; zstd comes from node:zlib (Node.js >= 22.15, like the writer's). */
const DECOMPRESSORS: Compressors = {
  ZSTD: (input) => {
    const z = zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer };
    if (!z.zstdDecompressSync) throw new Error(`reading a zstd Parquet archive needs Node.js >= 22.15 (this is ${process.version})`);
    return z.zstdDecompressSync(input);
  },
};

export interface ParquetSource {
  readonly file: AsyncBuffer;
  /** The exported columns in file order, with whether each was written as text. */
  readonly columns: ReadonlyArray<{ readonly pg: PgColumn; readonly asText: boolean }>;
}

/** The file's rows as COPY text, one row group at a time (memory: one row group). */
export async function* parquetCopyText(src: ParquetSource): AsyncGenerator<Buffer> {
  const metadata: FileMetaData = await parquetMetadataAsync(src.file);
  const raw: FileMetaData = { ...metadata, schema: rawSchema(metadata.schema) };
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file: src.file, metadata: raw, rowStart: start, rowEnd: end, utf8: false, compressors: DECOMPRESSORS })) as Array<Record<string, Raw>>;
    const lines = rows.map((r) => `${src.columns.map((c) => copyTextField(c.pg, c.asText, r[c.pg.name])).join('\t')}\n`);
    yield Buffer.from(lines.join(''), 'utf8');
    start = end;
  }
}
