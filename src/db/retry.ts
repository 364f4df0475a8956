import { RETRYABLE_LOCK_CODES, sqlstateOf } from './sqlstate.js';

export interface RetryPolicy {
  /** Total attempts (1 = no retry). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  /** Injected for tests; defaults to setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `n` (1-based retry count): exponential, capped at 30 s, with full jitter in [50%, 100%]. */
export function backoffMs(retry: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(30_000, baseMs * 2 ** (retry - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export class LockRetriesExhaustedError extends Error {
  constructor(readonly attempts: number, readonly sqlstate: string | undefined, options: { cause: unknown }) {
    super(`could not get the lock in ${attempts} attempt(s): ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.name = 'LockRetriesExhaustedError';
  }
}

/**
 * Runs `work` and retries it when it failed only because a lock was not granted within
 * lock_timeout (55P03) or a deadlock/serialization failure. Waits happen outside any transaction,
 * so application queries queued behind partwarden get through between attempts.
 */
export async function withLockRetries<T>(retry: RetryPolicy, work: (attempt: number) => Promise<T>): Promise<{ value: T; attempts: number }> {
  const sleep = retry.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await work(attempt), attempts: attempt };
    } catch (err) {
      const code = sqlstateOf(err);
      if (!code || !RETRYABLE_LOCK_CODES.has(code)) throw err;
      if (attempt >= retry.attempts) throw new LockRetriesExhaustedError(attempt, code, { cause: err });
      await sleep(backoffMs(attempt, retry.baseDelayMs, retry.random));
    }
  }
}

export { inTransaction } from './transaction.js';
