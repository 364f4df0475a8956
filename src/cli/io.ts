import type { Logger } from '../log.js';

/** What a command may touch: output streams, a logger and the clock. */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
  readonly log: Logger;
  now(): number;
}
