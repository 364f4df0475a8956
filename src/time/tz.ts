/**
 * Time-zone arithmetic without a dependency, on top of Intl. "Wall" milliseconds are a local
 * date-time encoded as if it were UTC (so Date.UTC arithmetic on them is calendar arithmetic).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` from UTC at the instant `ms`, in milliseconds (east positive). */
export function offsetAt(ms: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const parts = formatter(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const wall = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const seconds = Math.floor(ms / 1000) * 1000;
  return wall - seconds;
}

/** The local wall time of instant `ms` in `tz`. */
export function toWall(ms: number, tz: string): number {
  return ms + offsetAt(ms, tz);
}

/**
 * The instant at which the wall clock in `tz` shows `wall`. An ambiguous wall time (the repeated
 * hour when clocks go back) resolves to its first occurrence; a wall time that does not exist
 * (skipped when clocks go forward) moves forward by the gap, as PostgreSQL does.
 */
export function fromWall(wall: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return wall;
  const DAY = 86_400_000;
  const offsets = new Set([offsetAt(wall - DAY, tz), offsetAt(wall, tz), offsetAt(wall + DAY, tz)]);
  const valid: number[] = [];
  for (const o of offsets) {
    const t = wall - o;
    if (offsetAt(t, tz) === o) valid.push(t);
  }
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: use the offset in force before the transition, which lands after it.
  return wall - offsetAt(wall - DAY, tz);
}
