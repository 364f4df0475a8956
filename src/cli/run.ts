import { openStorage } from '../archive/open-storage.js';
import { Scheduler } from '../daemon/scheduler.js';
import { parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';

/**
 * `partwarden run` — reconciles on schedule until SIGTERM/SIGINT. The first signal lets the
 * running step finish (its journal entry must complete); a second one exits at once.
 */
export async function runCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy']);
  const { config, policies } = loadForCommand(opts);
  if (config.storage && policies.some((p) => p.retention?.action === 'archive')) {
    // Say it at startup, clearly; partitions are still pre-created while storage is unreachable.
    await openStorage(config.storage)
      .probe()
      .then(() => io.log.info({ storage: config.storage?.url }, 'storage reachable'))
      .catch((err: unknown) => io.log.error({ err: (err as Error).message }, 'storage probe failed: archiving will fail until it is fixed'));
  }
  const scheduler = new Scheduler({ config, policies, log: io.log, now: io.now });
  io.log.info({ policies: policies.length, schedule: config.schedule }, 'partwarden running; Ctrl-C to stop');
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        io.log.warn({ signal: sig }, 'second signal: exiting now');
        process.exit(EXIT.FAILURE);
      }
      io.log.info({ signal: sig }, 'stopping after the current step');
      void scheduler.stop().then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await scheduler.start();
  await stopped;
  io.log.info('stopped');
  return EXIT.OK;
}
