import type { CalendarInterval } from '../time/duration.js';
import type { RangeSpec } from '../config/types.js';
import { addWall, floorWall } from '../time/calendar.js';
import { isInstantKey, keyToMs, msToKey, type KeyType } from './keys.js';
import { fromWall, toWall } from '../time/tz.js';

/** The boundaries a policy's partitions should sit on. */
export interface Grid {
  /** The boundary at or below key `k`. */
  floor(k: bigint): bigint;
  /** The boundary after boundary `b`. */
  next(b: bigint): bigint;
  /** The key of "now" (timestamptz: the instant; timestamp/date: the wall clock in the policy's zone). */
  nowKey(nowMs: number): bigint;
  /** `now - age` for a retention age, in key space. */
  minus(nowMs: number, age: CalendarInterval): bigint;
  /** Parses startFrom (a date/time text in the policy's zone, or an integer). */
  start(startFrom: string | bigint): bigint;
}

function floorMod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r < 0n ? r + b : r;
}

function parseWall(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text)!;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

/**
 * Builds the grid for a range policy on a key of `type`. For timestamptz, cells are aligned on the
 * wall clock of `range.timezone` and converted to instants (a day is 23 or 25 hours across a DST
 * switch); timestamp and date keys are wall-clock values already.
 */
export function makeGrid(range: RangeSpec, type: KeyType): Grid {
  const interval = range.interval;
  if (interval.kind === 'step') {
    const step = interval.step;
    return {
      floor: (k) => k - floorMod(k, step),
      next: (b) => b - floorMod(b, step) + step,
      nowKey: () => 0n,
      minus: () => {
        throw new Error('integer ranges have no age');
      },
      start: (s) => (typeof s === 'bigint' ? s : BigInt(s)),
    };
  }
  const ci = interval.interval;
  const tz = range.timezone;
  const instant = isInstantKey(type);
  const wallOf = (k: bigint) => (instant ? toWall(keyToMs(k), tz) : keyToMs(k));
  const keyOf = (wall: number) => msToKey(instant ? fromWall(wall, tz) : wall);
  return {
    floor: (k) => keyOf(floorWall(wallOf(k), ci)),
    next: (b) => keyOf(addWall(floorWall(wallOf(b), ci), ci, 1)),
    nowKey: (nowMs) => {
      if (instant) return msToKey(nowMs);
      const wall = toWall(nowMs, tz);
      return msToKey(type === 'date' ? Math.floor(wall / 86_400_000) * 86_400_000 : wall);
    },
    minus: (nowMs, age) => {
      const wall = addWall(toWall(nowMs, tz), age, -1);
      return keyOf(wall);
    },
    start: (s) => keyOf(parseWall(String(s))),
  };
}
