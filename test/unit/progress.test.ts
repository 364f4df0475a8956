import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressLogger } from '../../src/progress.js';

afterEach(() => vi.useRealTimers());

describe('progress logs of long operations', () => {
  it('logs at most once per interval, with the amount done and a rate', () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ base: undefined }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }));
    const progress = progressLogger(log, 'archive export in progress', 5000);
    progress(1_000_000, 'bytes');
    vi.setSystemTime(4000);
    progress(4_000_000, 'bytes');
    vi.setSystemTime(5000);
    progress(10_000_000, 'bytes');
    vi.setSystemTime(6000);
    progress(12_000_000, 'bytes');
    expect(lines.map((l) => [l.msg, l.bytes, l.bytesPerSecond, l.seconds])).toEqual([['archive export in progress', 10_000_000, 2_000_000, 5]]);
  });
});
