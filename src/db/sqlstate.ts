/** SQLSTATE codes partwarden branches on. Never branch on message text. */
export const SQLSTATE = {
  LOCK_NOT_AVAILABLE: '55P03',
  DEADLOCK_DETECTED: '40P01',
  SERIALIZATION_FAILURE: '40001',
  /** ADD CONSTRAINT of a constraint that exists (a guard an earlier attempt added). */
  DUPLICATE_OBJECT: '42710',
  /** VALIDATE CONSTRAINT found a row that breaks it (rows reached DEFAULT before the guard). */
  CHECK_VIOLATION: '23514',
} as const;

/** Errors that mean "someone else held the lock; try again later". */
export const RETRYABLE_LOCK_CODES: ReadonlySet<string> = new Set([
  SQLSTATE.LOCK_NOT_AVAILABLE,
  SQLSTATE.DEADLOCK_DETECTED,
  SQLSTATE.SERIALIZATION_FAILURE,
]);

/** The SQLSTATE of an error thrown by `pg`, if it has one. */
export function sqlstateOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
