import type { Logger } from './log.js';

/**
 * Progress of a long operation (an archive export, a relocation out of DEFAULT) as log lines:
 * at most one per interval, with a rate, so a DBA watching the logs sees it move.
 */
export function progressLogger(log: Logger, msg: string, everyMs = 5000): (done: number, unit: 'bytes' | 'rows') => void {
  const started = Date.now();
  let last = started;
  return (done, unit) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    const perSecond = Math.round(done / ((now - started) / 1000));
    log.info({ [unit]: done, [`${unit}PerSecond`]: perSecond, seconds: Math.round((now - started) / 1000) }, msg);
  };
}
