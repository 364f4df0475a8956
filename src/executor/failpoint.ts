/**
 * Crash injection for tests: with PARTWARDEN_FAILPOINT=<name>, the process kills itself with
 * SIGKILL when it reaches that point, exactly like a kill -9 or an OOM kill would.
 * Names: after:<step> (the step is journaled as done) and before-journal:<step> (the step took
 * effect in PostgreSQL, its journal entry is not updated yet), e.g. after:create-table,
 * before-journal:detach; mid:export fires when the first exported bytes reach the upload.
 */
export function failpoint(name: string): void {
  if (process.env.PARTWARDEN_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
