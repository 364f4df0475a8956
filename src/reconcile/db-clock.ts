import type pg from 'pg';

/**
 * Where a reconcile's "now" comes from:
 * - 'database' (default): the server's clock, read at the start of each database's reconcile;
 *   the process clock is only compared with it (skew);
 * - 'fixed': an instant chosen by a person (plan/status --at, PARTWARDEN_NOW), used as is for
 *   planning; removals wait for a confirmation when it is far from the database's clock;
 * - 'simulated': the given instant stands for the database's clock (in-process tests of dated
 *   scenarios; no command offers it).
 */
export type ClockSource = 'database' | 'fixed' | 'simulated';

export interface ClockReading {
  /** The instant this reconcile plans at (Unix ms). */
  readonly nowMs: number;
  readonly source: ClockSource;
  /** The database server's clock_timestamp() (Unix ms). */
  readonly serverMs: number;
  /** Process clock minus the database's clock, in seconds (positive: the process is ahead). */
  readonly skewSeconds: number;
  /** Set when removals must wait for a confirmation: why. */
  readonly doubt?: string;
}

/** Default clockSkewTolerance: beyond it a warning, a gauge, and removals at a fixed time wait. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 5 * 60_000;

const human = (ms: number) => {
  const s = Math.abs(ms) / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
};

/**
 * Reads the database's clock (clock_timestamp(): the time of the statement, not of a transaction
 * start) and compares it with the process clock, read around the query (its midpoint).
 */
export async function readClock(client: pg.Client, o: { source: ClockSource; requestedMs: number; processClock: () => number; toleranceMs: number }): Promise<ClockReading> {
  const before = o.processClock();
  const r = await client.query<{ ms: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8::text AS ms');
  const after = o.processClock();
  const serverMs = Math.round(Number(r.rows[0]!.ms));
  const skewSeconds = Math.round(((before + after) / 2 - serverMs) / 10) / 100;
  if (o.source === 'database') return { nowMs: serverMs, source: o.source, serverMs, skewSeconds };
  const off = o.requestedMs - serverMs;
  const doubt = o.source === 'fixed' && Math.abs(off) > o.toleranceMs
    ? `this run's time ${new Date(o.requestedMs).toISOString()} (--at / PARTWARDEN_NOW) is ${human(off)} ${off > 0 ? 'ahead of' : 'behind'} the database's clock (${new Date(serverMs).toISOString()})`
    : undefined;
  return { nowMs: o.requestedMs, source: o.source, serverMs, skewSeconds, ...(doubt ? { doubt } : {}) };
}

export const describeSkew = (skewSeconds: number): string => `${human(skewSeconds * 1000)} ${skewSeconds > 0 ? 'ahead of' : 'behind'}`;
