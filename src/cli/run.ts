import { Daemon } from '../daemon/daemon.js';
import { VERSION } from '../version.js';
import { parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';

/**
 * `partwarden run` — the daemon, until SIGTERM/SIGINT. The first signal stops scheduling and lets
 * the running step finish (at most ~20 s; an unfinished step resumes from the journal on the next
 * start) and exits 0; a second signal exits at once. SIGHUP reloads the configuration, SIGUSR1
 * runs every policy now (as POST /reconcile does).
 */
export async function runCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies']);
  const daemon = new Daemon({
    configFile: opts.config ?? process.env.PARTWARDEN_CONFIG ?? './partwarden.yaml',
    policies: opts.policies,
    log: io.log,
    now: io.now,
    ...(io.fixedNow ? { fixedNow: true } : {}),
    ...(io.wallClock ? { wallClock: io.wallClock } : {}),
    version: VERSION,
  });
  // An error nothing handled leaves the daemon in an unknown state: log it and exit non-zero.
  // Kubernetes restarts the pod, the lock session dies with the process, the journal resumes.
  const onUnexpected = (kind: string) => (err: unknown) => {
    io.log.fatal({ err: err instanceof Error ? err.stack : String(err) }, `${kind}: exiting (the journal resumes any half-done step on the next start)`);
    io.log.flush?.();
    process.exit(EXIT.FAILURE);
  };
  process.on('unhandledRejection', onUnexpected('unhandled promise rejection'));
  process.on('uncaughtException', onUnexpected('uncaught exception'));
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onStop = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        io.log.warn({ signal: sig }, 'second signal: exiting now');
        process.exit(EXIT.FAILURE);
      }
      io.log.info({ signal: sig }, 'stopping: no new work starts; the running step finishes');
      void daemon.stop().then(resolve);
    };
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
  });
  process.on('SIGHUP', () => void daemon.reload('SIGHUP'));
  process.on('SIGUSR1', () => void daemon.trigger('SIGUSR1'));
  await daemon.start();
  await stopped;
  io.log.info('stopped');
  return EXIT.OK;
}
