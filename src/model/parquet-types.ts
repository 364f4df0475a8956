import { pgDateText, pgTimestampText } from './civil.js';

/**
 * PostgreSQL column types to Parquet, value by value from the binary COPY format (exact: no text
 * round trip, no float for numeric, microseconds kept). What has no faithful Parquet type is
 * exported as text (`::text` in the COPY's SELECT) and said in the manifest.
 */

/** A column as the catalog describes it for a Parquet export (domains resolved to their base type). */
export interface PgColumn {
  readonly name: string;
  /** pg_type.typname of the (base) type: int8, numeric, timestamptz, _int4 for int4[], ... */
  readonly typname: string;
  /** For an array: the element's typname. */
  readonly elem?: string;
  /** atttypmod (numeric: precision and scale; -1 when unconstrained). */
  readonly typmod: number;
  readonly notNull: boolean;
}

/** `[typname, elem, typmod]` as the catalog reads them (sql/parquet.ts). */
export type PgTypeRow = readonly [typname: string, elem: string | null, typmod: number];

export const pgColumnOf = (name: string, [typname, elem, typmod]: PgTypeRow, notNull: boolean): PgColumn => ({ name, typname, ...(elem ? { elem } : {}), typmod, notNull });

/** A Parquet schema element, as hyparquet-writer takes it (the Thrift SchemaElement). */
export interface ParquetElement {
  readonly name: string;
  readonly type?: 'BOOLEAN' | 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY' | 'FIXED_LEN_BYTE_ARRAY';
  readonly type_length?: number;
  readonly repetition_type: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
  readonly num_children?: number;
  readonly converted_type?: 'UTF8' | 'LIST' | 'DATE' | 'DECIMAL' | 'INT_16';
  readonly scale?: number;
  readonly precision?: number;
  readonly logical_type?:
    | { readonly type: 'TIMESTAMP'; readonly isAdjustedToUTC: boolean; readonly unit: 'MICROS' }
    | { readonly type: 'UUID' }
    | { readonly type: 'JSON' }
    | { readonly type: 'STRING' };
}

export type ParquetValue = boolean | number | bigint | Uint8Array | null | ParquetValue[];

/** A value as the manifest shows a column's min or max: exact for numbers, dates and times; text cut at 64 characters. */
export type StatValue = string | number | boolean;

/** How one column goes to Parquet. */
export interface ParquetColumn {
  readonly name: string;
  /** The PostgreSQL column it comes from (what a restore writes it back as). */
  readonly pg: PgColumn;
  /** Its schema elements: one, or three for a LIST (the column, `list`, `element`). */
  readonly schema: readonly ParquetElement[];
  /** The value of one non-NULL field of the binary COPY. */
  readonly decode: (field: Buffer) => ParquetValue;
  /** Exported as its text form (`::text`): no faithful Parquet type. */
  readonly asText: boolean;
  /** A (scalar or element) value for the manifest's min/max; absent where order means nothing (json). */
  readonly show?: (v: ParquetValue) => StatValue;
}

/** 2000-01-01 (PostgreSQL's epoch) from 1970-01-01: in days, in microseconds. */
const PG_EPOCH_DAYS = 10_957;
const PG_EPOCH_MICROS = 946_684_800_000_000n;
const INT64_MAX = 0x7fff_ffff_ffff_ffffn;

type Scalar = {
  readonly element: Omit<ParquetElement, 'name' | 'repetition_type'>;
  readonly decode: (b: Buffer, column: string) => ParquetValue;
  readonly show?: (v: ParquetValue) => StatValue;
};

const raw = (b: Buffer): Uint8Array => b;
const same = (v: ParquetValue): StatValue => v as number | boolean;
const exact = (v: ParquetValue): StatValue => String(v);
const utf8 = (v: ParquetValue): StatValue => {
  const t = Buffer.from(v as Uint8Array).toString('utf8');
  return [...t].length > 64 ? `${[...t].slice(0, 64).join('')}…` : t;
};
const hex = (v: ParquetValue): StatValue => `\\x${Buffer.from((v as Uint8Array).subarray(0, 32)).toString('hex')}${(v as Uint8Array).length > 32 ? '…' : ''}`;
/** 16 bytes as a canonical uuid. */
export const uuidText = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
const uuid = (v: ParquetValue): StatValue => uuidText(v as Uint8Array);
const isoDate = (v: ParquetValue): StatValue => pgDateText(v as number);
const isoMicros = (utc: boolean) => (v: ParquetValue): StatValue => pgTimestampText(v as bigint, utc);
const text: Scalar = { element: { type: 'BYTE_ARRAY', converted_type: 'UTF8' }, decode: raw, show: utf8 };

/** The scalar types kept as themselves. */
const SCALARS: Readonly<Record<string, Scalar>> = {
  bool: { element: { type: 'BOOLEAN' }, decode: (b) => b[0] !== 0, show: same },
  int2: { element: { type: 'INT32', converted_type: 'INT_16' }, decode: (b) => b.readInt16BE(0), show: same },
  int4: { element: { type: 'INT32' }, decode: (b) => b.readInt32BE(0), show: same },
  int8: { element: { type: 'INT64' }, decode: (b) => b.readBigInt64BE(0), show: exact },
  float4: { element: { type: 'FLOAT' }, decode: (b) => b.readFloatBE(0), show: same },
  float8: { element: { type: 'DOUBLE' }, decode: (b) => b.readDoubleBE(0), show: same },
  text, varchar: text, bpchar: text, name: text, citext: text,
  bytea: { element: { type: 'BYTE_ARRAY' }, decode: raw, show: hex },
  uuid: { element: { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }, decode: raw, show: uuid },
  json: { element: { type: 'BYTE_ARRAY', logical_type: { type: 'JSON' } }, decode: raw },
  // jsonb's binary form is a version byte (1), then the JSON text
  jsonb: { element: { type: 'BYTE_ARRAY', logical_type: { type: 'JSON' } }, decode: (b, c) => (b[0] === 1 ? b.subarray(1) : fail(c, `jsonb format version ${b[0]}`)) },
  date: { element: { type: 'INT32', converted_type: 'DATE' }, decode: (b, c) => finiteDate(b.readInt32BE(0), c) + PG_EPOCH_DAYS, show: isoDate },
  timestamp: { element: { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } }, decode: (b, c) => finiteTime(b.readBigInt64BE(0), c) + PG_EPOCH_MICROS, show: isoMicros(false) },
  timestamptz: { element: { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }, decode: (b, c) => finiteTime(b.readBigInt64BE(0), c) + PG_EPOCH_MICROS, show: isoMicros(true) },
};

function fail(column: string, what: string): never {
  throw new Error(`column ${column}: ${what} has no Parquet form; archive this table with format: csv`);
}

const finiteDate = (days: number, column: string): number => (days === 0x7fff_ffff || days === -0x8000_0000 ? fail(column, 'date infinity') : days);
const finiteTime = (micros: bigint, column: string): bigint => {
  if (micros === INT64_MAX || micros === -INT64_MAX - 1n) fail(column, 'timestamp infinity');
  // PostgreSQL counts from 2000, Parquet from 1970, both in 64 bits: the last 30 years PostgreSQL allows do not fit
  if (micros > INT64_MAX - PG_EPOCH_MICROS) fail(column, 'a timestamp after 294247-01-10');
  return micros;
};

/** numeric(p, s)'s scale from its typmod (an 11-bit signed field: negative scales exist since PostgreSQL 15). */
export const numericScale = (typmod: number): number => (((typmod - 4) & 0x7ff) ^ 1024) - 1024;

/** numeric(p, s) with p <= 38: a DECIMAL of the same precision and scale, stored as INT32, INT64 or fixed bytes by p. */
function decimal(typmod: number): Scalar | undefined {
  if (typmod < 4) return undefined; // unconstrained: scale varies by value
  const precision = ((typmod - 4) >> 16) & 0xffff;
  const scale = numericScale(typmod);
  if (precision > 38 || scale < 0) return undefined;
  const physical = precision <= 9 ? { type: 'INT32' as const } : precision <= 18 ? { type: 'INT64' as const } : { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: 16 };
  return { element: { ...physical, converted_type: 'DECIMAL', precision, scale }, decode: (b, c) => unscaledNumeric(b, scale, c), show: (v) => decimalText(v as bigint, scale) };
}

/** An unscaled DECIMAL as PostgreSQL prints it: 12345 at scale 2 is 123.45. */
export function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return unscaled < 0n ? `-${whole}` : whole;
}

/**
 * A binary numeric (int16 ndigits, weight, sign, dscale, then base-10000 digits) as the integer
 * value x 10^scale, exactly; NaN and infinities have no DECIMAL form.
 */
export function unscaledNumeric(b: Buffer, scale: number, column: string): bigint {
  const ndigits = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  if (sign !== 0 && sign !== 0x4000) fail(column, sign === 0xc000 ? 'numeric NaN' : 'numeric infinity');
  let digits = 0n;
  for (let i = 0; i < ndigits; i++) digits = digits * 10_000n + BigInt(b.readUInt16BE(8 + 2 * i));
  const exponent = 4 * (weight - ndigits + 1) + scale; // value x 10^scale = digits x 10^exponent
  let unscaled = digits;
  if (exponent >= 0) unscaled = digits * 10n ** BigInt(exponent);
  else {
    const div = 10n ** BigInt(-exponent);
    if (digits % div !== 0n) fail(column, `numeric with more than ${scale} decimal places`);
    unscaled = digits / div;
  }
  return sign === 0x4000 ? -unscaled : unscaled;
}

/** A one-dimensional binary array (ndim, flags, element OID, then length + lower bound, then the elements). */
function decodeArray(b: Buffer, element: Scalar, column: string): ParquetValue[] {
  const ndim = b.readInt32BE(0);
  if (ndim === 0) return [];
  if (ndim > 1) fail(column, `a ${ndim}-dimensional array`);
  const length = b.readInt32BE(12);
  const out: ParquetValue[] = new Array<ParquetValue>(length);
  let at = 20;
  for (let i = 0; i < length; i++) {
    const len = b.readInt32BE(at);
    at += 4;
    if (len === -1) out[i] = null;
    else {
      out[i] = element.decode(b.subarray(at, at + len), column);
      at += len;
    }
  }
  return out;
}

/** How a column goes to Parquet: its own type, a LIST of one, or (else) its text. */
export function parquetColumn(c: PgColumn): ParquetColumn {
  const repetition = c.notNull ? 'REQUIRED' : 'OPTIONAL';
  const scalar = c.elem === undefined ? scalarFor(c.typname, c.typmod) : undefined;
  if (scalar) return { name: c.name, pg: c, schema: [{ name: c.name, repetition_type: repetition, ...scalar.element }], decode: (b) => scalar.decode(b, c.name), asText: false, ...(scalar.show ? { show: scalar.show } : {}) };
  const element = c.elem !== undefined ? scalarFor(c.elem, c.typmod) : undefined;
  if (element) {
    return {
      name: c.name,
      pg: c,
      schema: [
        { name: c.name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', ...element.element },
      ],
      decode: (b) => decodeArray(b, element, c.name),
      asText: false,
      ...(element.show ? { show: element.show } : {}),
    };
  }
  return { name: c.name, pg: c, schema: [{ name: c.name, repetition_type: repetition, ...text.element }], decode: raw, asText: true, show: utf8 };
}

const scalarFor = (typname: string, typmod: number): Scalar | undefined => (typname === 'numeric' ? decimal(typmod) : SCALARS[typname]);
