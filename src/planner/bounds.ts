import { parseBoundLiteral, type KeyType } from './keys.js';

/** A range partition's bounds; `null` stands for MINVALUE (from) or MAXVALUE (to). */
export interface ParsedRange {
  readonly from: bigint | null;
  readonly to: bigint | null;
}

/**
 * Parses `FOR VALUES FROM (x) TO (y)` (pg_get_expr output, or partwarden's own bound SQL).
 * Returns undefined for anything partwarden cannot read (multi-column keys, infinity, other
 * formats): such partitions are reported and never touched.
 */
export function parseRangeBound(expr: string, type: KeyType): ParsedRange | undefined {
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
