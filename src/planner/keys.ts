import { typedLiteral } from '../db/quote.js';

/**
 * Partition key types partwarden plans ranges for. Time keys (instants or wall-clock values) sit
 * on calendar grids; integer keys on integer steps. `epoch_*` are integer columns holding times
 * (seconds, milliseconds, microseconds since 1970, range.epoch) and `uuidv7` is a uuid column
 * holding UUIDv7 values: both are instants, planned like timestamptz and written as integers / uuids.
 */
export type KeyType = 'timestamptz' | 'timestamp' | 'date' | 'smallint' | 'integer' | 'bigint' | EncodedTimeKey;
export type EncodedTimeKey = 'epoch_s' | 'epoch_ms' | 'epoch_us' | 'uuidv7';
export const TIME_KEY_TYPES: readonly KeyType[] = ['timestamptz', 'timestamp', 'date', 'epoch_s', 'epoch_ms', 'epoch_us', 'uuidv7'];
export const INT_KEY_TYPES: readonly KeyType[] = ['smallint', 'integer', 'bigint'];

/** Keys that are instants (UTC), whose boundaries are local times of the policy's zone converted: timestamptz, epochs, uuidv7. */
export function isInstantKey(t: KeyType): boolean {
  return t === 'timestamptz' || t === 'epoch_s' || t === 'epoch_ms' || t === 'epoch_us' || t === 'uuidv7';
}

/** Microseconds per unit of an epoch key. */
const EPOCH_UNIT: Readonly<Record<'epoch_s' | 'epoch_ms' | 'epoch_us', bigint>> = { epoch_s: 1_000_000n, epoch_ms: 1000n, epoch_us: 1n };

/**
 * The smallest UUIDv7 of an instant (RFC 9562): the 48-bit Unix time in milliseconds, version 7,
 * then zeros (the variant's bits 10). Every UUIDv7 generated during or after that millisecond
 * sorts at or above it, every one generated before sorts below: a partition bound.
 */
export function uuidv7Floor(ms: number): string {
  const hex = BigInt(ms).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/** The millisecond of a bound written as uuidv7Floor writes it (or all zeros after the time); undefined otherwise. */
function uuidv7BoundMs(text: string): number | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-(7000-8000|0000-0000)-000000000000$/.exec(text.toLowerCase());
  return m ? Number.parseInt(m[1]! + m[2]!, 16) : undefined;
}

/** What check-table says when a range key's type is none of these. */
export const SUPPORTED_RANGE_KEYS =
  'range policies support time keys (timestamptz, timestamp with any precision, date, or a domain over one; an integer column holding epoch times with range.epoch; a uuid column holding UUIDv7 values, on a time interval) and integer keys (smallint, integer, bigint, or a domain over one)';

export function isTimeKey(t: KeyType): boolean {
  return TIME_KEY_TYPES.includes(t);
}

/**
 * Maps format_type() output to a KeyType (undefined when partwarden cannot plan on it). A
 * precision (`timestamp(6) without time zone`, the Rails default) changes nothing: bounds are
 * whole seconds at least.
 */
export function keyTypeOf(formatted: string): KeyType | undefined {
  switch (formatted.replace(/^timestamp\(\d\)/, "timestamp")) {
    case 'timestamp with time zone':
      return 'timestamptz';
    case 'timestamp without time zone':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'smallint':
      return 'smallint';
    case 'integer':
      return 'integer';
    case 'bigint':
      return 'bigint';
    default:
      return undefined;
  }
}

/** Inclusive value range of integer key types; a partition's exclusive upper bound may not exceed max. */
export const INT_LIMITS: Readonly<Record<'smallint' | 'integer' | 'bigint', { min: bigint; max: bigint }>> = {
  smallint: { min: -32768n, max: 32767n },
  integer: { min: -2147483648n, max: 2147483647n },
  bigint: { min: -9223372036854775808n, max: 9223372036854775807n },
};

/*
 * Keys are bigints: integers as themselves, time values as microseconds since 1970-01-01 00:00
 * (UTC instants for timestamptz; wall-clock values for timestamp and date).
 */
const US_PER_MS = 1000n;

export function msToKey(ms: number): bigint {
  return BigInt(ms) * US_PER_MS;
}

export function keyToMs(k: bigint): number {
  // Floor division so that negative keys round down.
  const q = k / US_PER_MS;
  return Number(k % US_PER_MS < 0n ? q - 1n : q);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2024-03-31 00:00:00[.ffffff]` for a key (UTC rendering of the microseconds). */
function renderTimestamp(k: bigint): string {
  const ms = keyToMs(k);
  const d = new Date(ms);
  const micros = Number(((k % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, '0').replace(/0+$/, '')}`;
}

/** Human text of a key: `2024-03-31`, `2024-03-31 06:00:00+00`, `100000`. */
export function displayKey(k: bigint, type: KeyType): string {
  switch (type) {
    case 'timestamptz':
    case 'epoch_s':
    case 'epoch_ms':
    case 'epoch_us':
    case 'uuidv7':
      return `${renderTimestamp(k)}+00`;
    case 'timestamp':
      return renderTimestamp(k);
    case 'date':
      return renderTimestamp(k).slice(0, 10);
    default:
      return k.toString();
  }
}

/** The key as an SQL literal for DDL: typed and escaped for time, a plain integer otherwise. */
export function keyLiteral(k: bigint, type: KeyType): string {
  if (INT_KEY_TYPES.includes(type)) return k.toString();
  if (type === 'epoch_s' || type === 'epoch_ms' || type === 'epoch_us') return floorDiv(k, EPOCH_UNIT[type]).toString();
  if (type === 'uuidv7') return typedLiteral(uuidv7Floor(keyToMs(k)), 'uuid');
  return typedLiteral(displayKey(k, type), type);
}

const floorDiv = (a: bigint, b: bigint): bigint => (a % b < 0n ? a / b - 1n : a / b);

/**
 * Parses one bound value as pg_get_expr prints it with TimeZone=UTC and DateStyle=ISO:
 * `'2024-01-01 00:00:00+00'`, `'2024-01-01'`, `100`, `'-5'`. Returns undefined for anything else
 * (infinity, BC dates, other offsets), which the planner reports and never touches.
 */
export function parseBoundLiteral(text: string, type: KeyType): bigint | undefined {
  let t = text.trim();
  const quoted = /^'((?:[^']|'')*)'(?:::[\w\s]+)?$/.exec(t);
  if (quoted) t = quoted[1]!.replaceAll("''", "'");
  if (INT_KEY_TYPES.includes(type)) {
    if (!/^-?\d+$/.test(t)) return undefined;
    return BigInt(t);
  }
  if (type === 'epoch_s' || type === 'epoch_ms' || type === 'epoch_us') return /^-?\d+$/.test(t) ? BigInt(t) * EPOCH_UNIT[type] : undefined;
  if (type === 'uuidv7') {
    const ms = uuidv7BoundMs(t);
    return ms === undefined ? undefined : msToKey(ms);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?(\+00(?::?00)?)?$/.exec(t);
  if (!m) return undefined;
  if (type === 'timestamptz' && m[4] !== undefined && m[8] === undefined) return undefined;
  if (type !== 'timestamptz' && m[8] !== undefined) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  if (Number.isNaN(ms)) return undefined;
  const micros = m[7] ? BigInt(m[7].padEnd(6, '0')) : 0n;
  return msToKey(ms) + micros;
}
