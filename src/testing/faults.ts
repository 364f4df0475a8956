import { Transform } from 'node:stream';

/**
 * Crash injection for tests: with PARTWARDEN_FAILPOINT=<name>, the process kills itself with
 * SIGKILL when it reaches that point, exactly like a kill -9 or an OOM kill would.
 * Names: after:<step> (the step is journaled as done) and before-journal:<step> (the step took
 * effect in PostgreSQL, its journal entry is not updated yet), e.g. after:create-table,
 * before-journal:detach; mid:export fires when the first exported bytes reach the upload;
 * mid:manifest:published (layout hive: the file is published, no manifest names it yet) and
 * mid:manifest:committed (the manifest names it, the attempt's own object is not removed yet).
 */
export function failpoint(name: string): void {
  if (process.env.PARTWARDEN_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * Fault injection for tests: with PARTWARDEN_FAILPOINT=uncaught:<name>, throws an error nothing
 * catches (on the next turn of the event loop) when that point is reached, e.g. uncaught:cycle.
 */
export function uncaughtFailpoint(name: string): void {
  if (process.env.PARTWARDEN_FAILPOINT === `uncaught:${name}`) {
    setImmediate(() => {
      throw new Error(`failpoint uncaught:${name}`);
    });
  }
}

/**
 * A stream stage for PARTWARDEN_PAUSE=<name>:<ms>: holds the first chunk back that long (e.g.
 * mid:export:6000, to lose leadership while the COPY runs). Undefined when no pause is asked for.
 */
export function pauseStream(name: string): Transform | undefined {
  if (!process.env.PARTWARDEN_PAUSE?.startsWith(`${name}:`)) return undefined;
  let first = true;
  return new Transform({
    transform: (chunk, _enc, cb) => {
      if (!first) return cb(null, chunk);
      first = false;
      void pausepoint(name).then(() => cb(null, chunk));
    },
  });
}

/**
 * Delay injection for tests: with PARTWARDEN_PAUSE=<name>:<ms>, waits that long at that point,
 * e.g. `before:detach:4000` to lose leadership while a replica is about to detach.
 */
export async function pausepoint(name: string): Promise<void> {
  const spec = process.env.PARTWARDEN_PAUSE;
  if (!spec) return;
  const i = spec.lastIndexOf(':');
  if (spec.slice(0, i) !== name) return;
  process.stderr.write(`${JSON.stringify({ level: 30, msg: 'pausepoint', point: name, ms: Number(spec.slice(i + 1)) })}\n`);
  await new Promise((r) => setTimeout(r, Number(spec.slice(i + 1))));
}
