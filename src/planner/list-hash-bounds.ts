import { quoteIdent, quoteLiteral } from '../db/quote.js';

/**
 * A list partition's values as PostgreSQL prints them (the type's canonical text output), null
 * for SQL NULL. Two value sets are the same partition when they hold the same canonical texts.
 */
export type CanonicalValue = string | null;

/** Splits `a, 'b, c', NULL` at top-level commas (commas inside quotes do not count). */
function splitItems(body: string): string[] | undefined {
  const items: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (inQuote) {
      cur += ch;
      if (ch === "'") {
        if (body[i + 1] === "'") {
          cur += "'";
          i++;
        } else inQuote = false;
      }
      continue;
    }
    if (ch === "'") inQuote = true;
    if (ch === ',') {
      items.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (inQuote) return undefined;
  items.push(cur.trim());
  return items;
}

/** One printed constant: `NULL`, `'text'`, `E'a\\b'`, `'-5'`, `42`, `true`. */
function parseItem(item: string): CanonicalValue | undefined {
  if (item === 'NULL') return null;
  const m = /^(E?)'((?:[^']|'')*)'$/s.exec(item);
  if (m) {
    const body = m[2]!.replaceAll("''", "'");
    return m[1] ? body.replace(/\\(.)/gs, '$1') : body;
  }
  if (/^[^'\s(),]+$/.test(item)) return item; // numbers, booleans
  return undefined;
}

/** Parses `FOR VALUES IN (...)` (pg_get_expr output); undefined when it is not a list bound. */
export function parseListBound(expr: string): CanonicalValue[] | undefined {
  const m = /^FOR VALUES IN \((.*)\)$/s.exec(expr.trim());
  if (!m) return undefined;
  const items = splitItems(m[1]!);
  if (!items) return undefined;
  const out: CanonicalValue[] = [];
  for (const it of items) {
    const v = parseItem(it);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** `FOR VALUES IN (NULL, 'a', 'b')`: NULL first, then the values in order, each as a literal. */
export function listBoundSql(values: readonly CanonicalValue[]): string {
  const sorted = sortValues(values);
  return `FOR VALUES IN (${sorted.map((v) => (v === null ? 'NULL' : quoteLiteral(v).trim())).join(', ')})`;
}

export function sortValues(values: readonly CanonicalValue[]): CanonicalValue[] {
  return [...values].sort((a, b) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1));
}

/** Identity of a value set, for comparing a declared partition with an existing one. */
export function valueSetKey(values: readonly CanonicalValue[]): string {
  return JSON.stringify(sortValues([...new Set(values)]));
}

/** How a value looks in messages: `NULL`, `'EU'`. */
export function showValue(v: CanonicalValue): string {
  return v === null ? 'NULL' : quoteLiteral(v).trim();
}

/** Rows of these values: `("region" IN ('EU', 'GB') OR "region" IS NULL)`. */
export function listPredicateSql(column: string, values: readonly CanonicalValue[]): string {
  const col = quoteIdent(column);
  const nonNull = values.filter((v): v is string => v !== null);
  const parts: string[] = [];
  if (nonNull.length > 0) parts.push(`${col} IN (${nonNull.map((v) => quoteLiteral(v).trim()).join(', ')})`);
  if (values.includes(null)) parts.push(`${col} IS NULL`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

export interface HashBound {
  readonly modulus: number;
  readonly remainder: number;
}

/** Parses `FOR VALUES WITH (modulus 8, remainder 3)`. */
export function parseHashBound(expr: string): HashBound | undefined {
  const m = /^FOR VALUES WITH \(\s*modulus\s+(\d+)\s*,\s*remainder\s+(\d+)\s*\)$/i.exec(expr.trim());
  return m ? { modulus: Number(m[1]), remainder: Number(m[2]) } : undefined;
}

export function hashBoundSql(modulus: number, remainder: number): string {
  return `FOR VALUES WITH (MODULUS ${modulus}, REMAINDER ${remainder})`;
}

/** Whether a value can hash into both (m1, r1) and (m2, r2); PostgreSQL needs one modulus to divide the other. */
export function hashOverlaps(a: HashBound, b: HashBound): boolean {
  const [small, big] = a.modulus <= b.modulus ? [a, b] : [b, a];
  if (big.modulus % small.modulus !== 0) return true; // incompatible moduli: PostgreSQL refuses the pair anyway
  return big.remainder % small.modulus === small.remainder;
}
