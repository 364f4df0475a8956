/** Calendar units a range interval or a retention age can be written in. */
export type CalendarUnit = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface CalendarInterval {
  readonly count: number;
  readonly unit: CalendarUnit;
}

const UNIT_ALIASES: Readonly<Record<string, CalendarUnit>> = {
  h: 'hour', hour: 'hour', hours: 'hour', hourly: 'hour',
  d: 'day', day: 'day', days: 'day', daily: 'day',
  w: 'week', week: 'week', weeks: 'week', weekly: 'week',
  mon: 'month', month: 'month', months: 'month', monthly: 'month',
  quarter: 'quarter', quarters: 'quarter', quarterly: 'quarter',
  y: 'year', year: 'year', years: 'year', yearly: 'year',
};

/** Parses `1 day`, `7 days`, `3 months`, `month`, `1h` into a calendar interval. */
export function parseCalendarInterval(text: string): CalendarInterval | undefined {
  const m = /^\s*(\d+)?\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNIT_ALIASES[m[2]!.toLowerCase()];
  if (!unit) return undefined;
  const count = m[1] === undefined ? 1 : Number(m[1]);
  if (!Number.isSafeInteger(count) || count < 1) return undefined;
  return { count, unit };
}

export function formatCalendarInterval(i: CalendarInterval): string {
  return `${i.count} ${i.unit}${i.count === 1 ? '' : 's'}`;
}

const MS_UNITS: Readonly<Record<string, number>> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};

/** Parses a timeout like `2s`, `500ms`, `1 min`, or `0` (= none) into milliseconds. */
export function parseTimeoutMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (unit === '') return n === 0 ? 0 : undefined; // a bare number other than 0 is ambiguous
  const factor = MS_UNITS[unit];
  if (factor === undefined) return undefined;
  const ms = Math.round(n * factor);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
