/** SQLSTATE codes partwarden branches on. Never branch on message text. */
export const SQLSTATE = {
  LOCK_NOT_AVAILABLE: '55P03',
  OBJECT_NOT_IN_PREREQUISITE_STATE: '55000',
  QUERY_CANCELED: '57014',
  DEADLOCK_DETECTED: '40P01',
  SERIALIZATION_FAILURE: '40001',
  DUPLICATE_TABLE: '42P07',
  UNDEFINED_TABLE: '42P01',
  INSUFFICIENT_PRIVILEGE: '42501',
  CHECK_VIOLATION: '23514',
  INVALID_OBJECT_DEFINITION: '42P17',
  ACTIVE_SQL_TRANSACTION: '25001',
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
