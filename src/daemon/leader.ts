import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { DatabaseConfig } from '../config/types.js';
import { connect } from '../db/connect.js';
import type { Logger } from '../log.js';

/** First key of partwarden's advisory locks ('part'); the second is hashtext(stateSchema). */
export const LOCK_CLASS = 0x70617274;

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

/** Why leadership ended: the lock connection failed (the first error is kept), or the lock went while it stayed up. */
type LossReason =
  | { readonly kind: 'connection'; readonly detail: string }
  | { readonly kind: 'lock'; readonly detail: string };

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class LeaderLostError extends Error {
  constructor(database: string) {
    super(`this replica is no longer the leader of database "${database}"; not changing anything`);
    this.name = 'LeaderLostError';
  }
}

/** What must hold, besides the advisory lock, before this replica acts (leaderElection: lease). */
export interface LeaderGate {
  /** Whether this replica may act now. */
  open(): boolean;
  /** Why not, when it may not (e.g. "pod-b holds the Lease"). */
  why(): string;
}

/**
 * Leader election for one database: a session advisory lock held on a dedicated connection
 * (never a pooled one). Losing the connection is losing leadership; the lock is re-checked on
 * that connection before every destructive step (fencing). The same connection tells whether
 * the database is reachable; it reconnects with exponential backoff.
 */
export class LeaderLease {
  #client: pg.Client | undefined;
  #held = false;
  #failures = 0;
  #nextAttemptMs = 0;
  #error: string | undefined;
  /** Set when the URL goes through a transaction-pooling proxy: never leader, said once. */
  #pooled: string | undefined;
  #standby = false;
  /** release() was called: never connects again (a late refresh must not keep the process alive). */
  #released = false;
  /** Why this replica is not the leader (or "" when it is), for /status. */
  #reason = 'not connected yet';

  constructor(
    readonly database: string,
    readonly db: DatabaseConfig,
    readonly stateSchema: string,
    readonly log: Logger,
    /** Called whenever leadership is gained or lost, at once (the partwarden_leader gauge must not lag). */
    readonly onChange?: (leader: boolean) => void,
    /** Lease mode: the advisory lock is only taken (and kept) while the gate is open. */
    readonly gate?: LeaderGate,
  ) {}

  /** Why this replica leads the database or not, in a sentence (/status). */
  get reason(): string {
    if (this.#held) return this.gate ? 'holds the Kubernetes Lease and the advisory lock' : 'holds the advisory lock';
    return this.#pooled ?? (this.#client ? this.#reason : `not connected${this.#error ? `: ${this.#error}` : ''}`);
  }

  get isLeader(): boolean {
    return this.#held;
  }

  /** Whether the lock connection is up (readiness). */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Why the database is not usable, if it is not. */
  get problem(): string | undefined {
    return this.#pooled ?? this.#error;
  }

  #poolingMessage(): string {
    return `database "${this.database}": the URL goes through a transaction-pooling proxy (PgBouncer pool_mode=transaction or similar): session advisory locks cannot elect a leader there. Point partwarden at PostgreSQL directly or at a session-mode pool.`;
  }

  /** Connects if needed (with backoff), then takes or re-checks the lock. Returns isLeader. */
  async refresh(nowMs = Date.now()): Promise<boolean> {
    if (this.#released) return false;
    if (!this.#client && !(await this.#connect(nowMs))) return false;
    try {
      if (await this.#mayNotLead()) return false;
      if (this.#held) {
        if (!(await this.#holds())) this.#lost({ kind: 'lock', detail: 'the lock is no longer held' });
      } else if (!this.#pooled) {
        await this.#tryLock();
      }
    } catch (err) {
      await this.#drop({ kind: 'connection', detail: messageOf(err) });
    }
    return this.#held;
  }

  /** Opens the lock session (refusing a transaction pool); false when there is none (backoff). */
  async #connect(nowMs: number): Promise<boolean> {
    if (nowMs < this.#nextAttemptMs) return false;
    try {
      this.#client = await connect(this.db, 'partwarden-leader');
      this.#client.on('error', (err: Error) => this.#lost({ kind: 'connection', detail: `lock connection error: ${err.message}` }));
      this.#client.on('end', () => this.#lost({ kind: 'connection', detail: 'lock connection closed' }));
      this.#failures = 0;
      this.#error = undefined;
      if (await this.#sessionIsShared()) {
        this.#pooled = this.#poolingMessage();
        this.log.error({ database: this.database }, this.#pooled);
        await this.#drop();
        return false;
      }
      return true;
    } catch (err) {
      this.#failures++;
      this.#nextAttemptMs = nowMs + Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.#failures - 1));
      this.#error = messageOf(err);
      return false;
    }
  }

  /**
   * Whether this replica must not lead now: the server is a standby (advisory locks are not
   * replicated: next to a standby every replica would "win" its own), or the gate (the Kubernetes
   * Lease) is closed. A lock still held is given up: said first (the gauge at 0), then released,
   * so two replicas never claim the database at the same moment.
   */
  async #mayNotLead(): Promise<boolean> {
    const standby = (await this.#client!.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r;
    if (standby !== this.#standby) {
      this.#standby = standby;
      this.log.info({ database: this.database, standby }, standby ? 'the server is a standby (in recovery): assessing only, never changing anything' : 'the server is a primary');
    }
    const closed = standby ? 'the server is a standby (in recovery)' : this.gate && !this.gate.open() ? this.gate.why() : undefined;
    if (closed === undefined) return false;
    this.#reason = closed;
    // the lock may still be ours after a fence refused (the Lease went between two checks)
    if (this.#held || (await this.#holds())) {
      this.#lost({ kind: 'lock', detail: standby ? 'the server is in recovery' : `the Kubernetes Lease is not held (${closed})` });
      await this.#client!.query('SELECT pg_advisory_unlock($1::int4, hashtext($2))', [LOCK_CLASS, this.stateSchema]);
    }
    return true;
  }

  async #tryLock(): Promise<void> {
    const r = await this.#client!.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int4, hashtext($2)) AS ok', [LOCK_CLASS, this.stateSchema]);
    this.#reason = this.gate ? 'holds the Kubernetes Lease; another session holds the advisory lock (a previous leader still connected?)' : 'another replica holds the advisory lock';
    if (!r.rows[0]!.ok) return;
    // belt and braces: the lock must be visible from our next statement
    if (!(await this.#holds())) {
      this.#pooled = this.#poolingMessage();
      this.log.error({ database: this.database }, this.#pooled);
      await this.#drop();
      return;
    }
    this.#held = true;
    this.onChange?.(true);
    this.log.info({ database: this.database }, 'became leader');
  }

  /** Fencing: throws unless this replica still holds the lock, checked on its own connection now. */
  async fence(): Promise<void> {
    if (!this.#held || (this.gate && !this.gate.open()) || !this.#client || !(await this.#holds().catch(() => false))) {
      this.#lost({ kind: 'lock', detail: 'fencing check failed' });
      throw new LeaderLostError(this.database);
    }
  }

  /**
   * Whether our "session" is really a server connection a pool shares between clients
   * (transaction pooling): a session setting made on it is either gone on our next statement,
   * or visible to another client. Checked before any lock is taken, so none can leak into a pool.
   */
  async #sessionIsShared(): Promise<boolean> {
    const marker = randomUUID();
    const read = async (c: pg.Client) => (await c.query<{ m: string | null }>(`SELECT current_setting('partwarden.session_marker', true) AS m`)).rows[0]!.m;
    await this.#client!.query(`SELECT set_config('partwarden.session_marker', $1, false)`, [marker]);
    if ((await read(this.#client!)) !== marker) return true;
    const other = await connect(this.db, 'partwarden-leader-check');
    try {
      return (await read(other)) === marker;
    } finally {
      await other.end().catch(() => undefined);
    }
  }

  async #holds(): Promise<boolean> {
    const r = await this.#client!.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
          AND classid = $1::int4::oid AND objid = hashtext($2)::oid AND objsubid = 2`,
      [LOCK_CLASS, this.stateSchema],
    );
    return r.rows[0]!.n > 0;
  }

  /**
   * Leadership ends now (and the gauge says so at once). A connection loss forgets the client; the
   * first error of that connection is what /readyz reports, not a later "closed" or "dropped".
   */
  #lost(reason: LossReason): void {
    const was = this.#held;
    if (was) this.log.warn({ database: this.database, why: reason.detail }, 'lost leadership');
    this.#held = false;
    if (was) this.onChange?.(false);
    if (reason.kind === 'connection') {
      this.#error ??= reason.detail;
      this.#client = undefined;
    }
  }

  /** Closes the lock connection for `reason` (kept as the database's problem unless an earlier error is). */
  async #drop(reason: LossReason = { kind: 'connection', detail: 'lock connection dropped' }): Promise<void> {
    const c = this.#client;
    this.#lost(reason);
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** Releases the lock and closes the connection (shutdown). */
  async release(): Promise<void> {
    this.#released = true;
    const c = this.#client;
    this.#client = undefined;
    if (this.#held && c) await c.query('SELECT pg_advisory_unlock($1::int4, hashtext($2))', [LOCK_CLASS, this.stateSchema]).catch(() => undefined);
    this.#held = false;
    await c?.end().catch(() => undefined);
  }
}
