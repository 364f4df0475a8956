/**
 * Crash injection for tests: with PARTWARDEN_FAILPOINT=<name>, the process kills itself with
 * SIGKILL when it reaches that point, exactly like a kill -9 or an OOM kill would.
 * Names: after:<step> (e.g. after:create-table, after:detach).
 */
export function failpoint(name: string): void {
  if (process.env.PARTWARDEN_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
