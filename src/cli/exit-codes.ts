/** Exit codes (SPEC §2). Only src/cli calls process.exit. */
export const EXIT = {
  OK: 0,
  /** invalid config, an error, or work that could not be done */
  FAILURE: 1,
  /** `status`: policies violated */
  VIOLATIONS: 2,
} as const;
