import type { CalendarInterval, CalendarUnit } from './duration.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 1970-01-05 was a Monday: weeks are aligned on Mondays, like date_trunc('week'). */
const MONDAY_EPOCH_DAY = 4;

/** Rough length, only to compare intervals (e.g. retention shorter than one partition). */
export function approxMs(i: CalendarInterval): number {
  const per: Record<CalendarUnit, number> = {
    hour: HOUR, day: DAY, week: 7 * DAY, month: 30 * DAY, quarter: 91 * DAY, year: 365 * DAY,
  };
  return i.count * per[i.unit];
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/**
 * Start of the interval cell containing the wall time `wall` (UTC-encoded local time). Cells of
 * N units are aligned on multiples of N counted from 1970 (months from January 1970, weeks from
 * Monday 1970-01-05, hours from local midnight).
 */
export function floorWall(wall: number, i: CalendarInterval): number {
  const d = new Date(wall);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (i.unit) {
    case 'hour': {
      const h = d.getUTCHours();
      return Date.UTC(y, m, d.getUTCDate(), h - (h % i.count));
    }
    case 'day': {
      const day = floorDiv(wall, DAY);
      return (day - (((day % i.count) + i.count) % i.count)) * DAY;
    }
    case 'week': {
      const day = floorDiv(wall, DAY);
      const week = floorDiv(day - MONDAY_EPOCH_DAY, 7);
      const aligned = week - (((week % i.count) + i.count) % i.count);
      return (aligned * 7 + MONDAY_EPOCH_DAY) * DAY;
    }
    case 'month':
    case 'quarter':
    case 'year': {
      const months = i.unit === 'month' ? i.count : i.unit === 'quarter' ? 3 * i.count : 12 * i.count;
      const index = (y - 1970) * 12 + m;
      const aligned = index - (((index % months) + months) % months);
      return Date.UTC(1970 + floorDiv(aligned, 12), ((aligned % 12) + 12) % 12, 1);
    }
  }
}

/** `wall` plus `n` intervals, in calendar terms (month ends clamp: Jan 31 + 1 month = Feb 28/29). */
export function addWall(wall: number, i: CalendarInterval, n: number): number {
  const d = new Date(wall);
  const count = i.count * n;
  switch (i.unit) {
    case 'hour':
      return wall + count * HOUR;
    case 'day':
      return wall + count * DAY;
    case 'week':
      return wall + count * 7 * DAY;
    case 'month':
    case 'quarter':
    case 'year': {
      const months = i.unit === 'month' ? count : i.unit === 'quarter' ? 3 * count : 12 * count;
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth() + months;
      const targetY = y + floorDiv(m, 12);
      const targetM = ((m % 12) + 12) % 12;
      const lastDay = new Date(Date.UTC(targetY, targetM + 1, 0)).getUTCDate();
      const day = Math.min(d.getUTCDate(), lastDay);
      return Date.UTC(targetY, targetM, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
    }
  }
}
