import { parseBoundLiteral, type KeyType } from './keys.js';

/** A range partition's bounds; `null` stands for MINVALUE (from) or MAXVALUE (to). */
export interface ParsedRange {
  readonly from: bigint | null;
  readonly to: bigint | null;
}

/**
 * Parsed bounds by key type and text. Tables on the same schedule share their bounds (1,000
 * daily tables have the same 30 dates), and the daemon reads the same bounds every cycle: the
 * regular expressions and BigInt arithmetic run once per distinct bound. Bounded: cleared when full.
 */
const parsedBounds = new Map<string, ParsedRange | undefined>();
const PARSED_BOUNDS_MAX = 50_000;

/**
 * Parses `FOR VALUES FROM (x) TO (y)` (pg_get_expr output, or partwarden's own bound SQL).
 * Returns undefined for anything partwarden cannot read (multi-column keys, infinity, other
 * formats): such partitions are reported and never touched.
 */
export function parseRangeBound(expr: string, type: KeyType): ParsedRange | undefined {
  const key = `${type}|${expr}`;
  if (parsedBounds.has(key)) return parsedBounds.get(key);
  const parsed = parseUncached(expr, type);
  if (parsedBounds.size >= PARSED_BOUNDS_MAX) parsedBounds.clear();
  parsedBounds.set(key, parsed);
  return parsed;
}

function parseUncached(expr: string, type: KeyType): ParsedRange | undefined {
  const m = /^FOR VALUES FROM \((.+)\) TO \((.+)\)$/s.exec(expr.trim());
  if (!m) return undefined;
  const one = (text: string, side: 'from' | 'to'): bigint | null | undefined => {
    const t = text.trim();
    if (t === 'MINVALUE') return side === 'from' ? null : undefined;
    if (t === 'MAXVALUE') return side === 'to' ? null : undefined;
    return parseBoundLiteral(t, type);
  };
  const from = one(m[1]!, 'from');
  const to = one(m[2]!, 'to');
  if (from === undefined || to === undefined) return undefined;
  return { from, to };
}

/**
 * What of the cells [a, b) of a grid is not covered by `occupied` (which may be open-ended). A
 * cell that equals an occupied range exactly (the usual case: partitions sit on the grid) is
 * answered from a set; others go through subtractRanges.
 */
export function uncoveredCells(occupied: readonly ParsedRange[]): (a: bigint, b: bigint) => Array<[bigint, bigint]> {
  const exact = new Set(occupied.map((r) => `${r.from}:${r.to}`));
  return (a, b) => (exact.has(`${a}:${b}`) ? [] : subtractRanges(a, b, occupied));
}

/** [a, b) minus the union of `occupied` (which may be open-ended), as sorted segments. */
export function subtractRanges(a: bigint, b: bigint, occupied: readonly ParsedRange[]): Array<[bigint, bigint]> {
  let segments: Array<[bigint, bigint]> = [[a, b]];
  for (const o of occupied) {
    const next: Array<[bigint, bigint]> = [];
    for (const [x, y] of segments) {
      const lo = o.from;
      const hi = o.to;
      const overlaps = (lo === null || lo < y) && (hi === null || hi > x);
      if (!overlaps) {
        next.push([x, y]);
        continue;
      }
      if (lo !== null && lo > x) next.push([x, lo]);
      if (hi !== null && hi < y) next.push([hi, y]);
    }
    segments = next;
  }
  return segments.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
}
