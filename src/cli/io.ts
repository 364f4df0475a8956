import type { Logger } from '../log.js';

/** What a command may touch: output streams, a logger and the clock. */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
  readonly log: Logger;
  now(): number;
  /** Whether now() is a fixed instant (PARTWARDEN_NOW) rather than the wall clock. */
  readonly fixedNow?: boolean;
  /** The wall clock, always (to measure the skew against the database's clock). */
  wallClock?(): number;
}
