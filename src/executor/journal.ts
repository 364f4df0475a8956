import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from '../db/quote.js';
import type { OpenWork, ParentAnalysis } from '../catalog/types.js';
import type { StepName } from '../model/steps.js';
import {
  AUDIT_COLUMNS_SQL, JOURNAL_ACCESS_SQL, addAuditColumnsSql, archiveBackoffSql, archiveFailuresSql, createJournalIndexSql, createJournalSchemaSql, createJournalSql,
  convertFinishPendingSql, journalFinishSql, journalStartSql, journalTable, openWorkSql, parentAnalysisSql, unfinishedUploadsSql,
} from '../sql/journal.js';

/**
 * Errors of steps a fence stopped (this replica lost leadership) start with this: another
 * replica's fenced attempt is never counted as a failure of the store (archive backoff).
 */
export const FENCED_PREFIX = 'fenced: ';

/**
 * The journal: one row per step partwarden runs, in `<stateSchema>.journal`. It is the audit
 * trail a DBA can query, and the record from which half-done multi-step work is resumed.
 */
export class Journal {
  readonly #table: string;
  readonly #schema: string;
  #ready = false;

  constructor(stateSchema: string) {
    this.#schema = stateSchema;
    this.#table = journalTable(stateSchema);
  }

  get table(): string {
    return this.#table;
  }

  /** Creates the schema and table on first use (idempotent). */
  async ensure(client: pg.Client): Promise<void> {
    if (this.#ready) return;
    const access = await this.#access(client);
    if (access.problem) throw new Error(access.problem);
    // CREATE SCHEMA IF NOT EXISTS checks the database privilege even when the schema exists
    if (!access.exists) await client.query(createJournalSchemaSql(this.#schema));
    await client.query(createJournalSql(this.#table));
    await this.#addAuditColumns(client);
    await client.query(createJournalIndexSql(this.#table));
    this.#ready = true;
  }

  /**
   * The audit columns (what a step removed and why: bounds, reason, rows_exact; the object an
   * export wrote: storage_key) on a journal made
   * by an older version; the catalog is asked first, so the common case takes no lock.
   */
  async #addAuditColumns(client: pg.Client): Promise<void> {
    const r = await client.query<{ n: number }>(
      AUDIT_COLUMNS_SQL,
      [this.#table],
    );
    if (r.rows[0]!.n === 4) return;
    await client.query(addAuditColumnsSql(this.#table));
  }

  /**
   * Whether this role can create (or use) the journal; a sentence saying how to fix it if not.
   * The schema can be created once by an administrator: CREATE SCHEMA partwarden AUTHORIZATION <role>.
   */
  async checkAccess(client: pg.Client): Promise<string | undefined> {
    return (await this.#access(client)).problem;
  }

  async #access(client: pg.Client): Promise<{ exists: boolean; problem?: string }> {
    const r = await client.query<{ exists: boolean; usable: boolean; can_create_schema: boolean; role: string }>(
      JOURNAL_ACCESS_SQL,
      [this.#schema],
    );
    const row = r.rows[0]!;
    if (row.exists ? row.usable : row.can_create_schema) return { exists: row.exists };
    const fix = `CREATE SCHEMA ${quoteIdent(this.#schema)} AUTHORIZATION ${quoteIdent(row.role)}`;
    const problem = row.exists
      ? `role ${row.role} cannot create tables in the journal schema ${this.#schema} (stateSchema); grant it: GRANT USAGE, CREATE ON SCHEMA ${quoteIdent(this.#schema)} TO ${quoteIdent(row.role)}`
      : `role ${row.role} cannot create the journal schema ${this.#schema} (stateSchema); have an administrator run: ${fix}`;
    return { exists: row.exists, problem };
  }

  /**
   * Whether archiving this partition should wait: after n consecutive failed attempts at the
   * storage steps (export, verify, manifest: a store that is down or refusing), the next one waits
   * min(2^(n-1) minutes, 1 hour) after the last failure. A lock that was not granted (detach,
   * drop) is simply tried again on the next run.
   */
  async archiveBackoff(client: pg.Client, policy: string, partition: { schema: string; name: string }): Promise<{ failures: number; retryAfter: string } | undefined> {
    const r = await client.query<{ failures: number; retry_after: Date | null; waiting: boolean }>(
      archiveBackoffSql(this.#table),
      [policy, partition.schema, partition.name, `${FENCED_PREFIX}%`],
    );
    const row = r.rows[0];
    if (!row || row.failures === 0 || !row.waiting) return undefined;
    return { failures: row.failures, retryAfter: row.retry_after?.toISOString() ?? '' };
  }

  /**
   * Partitions of these policies whose latest archive attempt failed (no archive of them finished
   * since), with the last error, for the archive_failed rule. Empty when there is no journal yet.
   */
  async archiveFailures(client: pg.Client, policies: readonly string[]): Promise<Array<{ policy: string; partition: string; error: string }>> {
    if (policies.length === 0 || !(await this.exists(client))) return [];
    const r = await client.query<{ policy: string; partition: string; status: string; error: string | null }>(
      archiveFailuresSql(this.#table),
      [policies],
    );
    return r.rows.filter((x) => x.status === 'failed').map((x) => ({ policy: x.policy, partition: x.partition, error: x.error ?? 'failed' }));
  }

  /**
   * Data objects that exports of this partition started and never finished (a killed run, a
   * deposed leader): their multipart uploads are aborted by exact key before the next attempt,
   * which works on stores that list uploads per object key only (MinIO).
   */
  async unfinishedUploads(client: pg.Client, policy: string, partition: { schema: string; name: string }): Promise<string[]> {
    const r = await client.query<{ k: string }>(
      unfinishedUploadsSql(this.#table),
      [policy, partition.schema, partition.name],
    );
    return r.rows.map((x) => x.k);
  }

  /** For analyze: parent: when each policy's parent was last analyzed, and when its partitions last changed. */
  async parentAnalysis(client: pg.Client, policies: readonly string[]): Promise<Map<string, ParentAnalysis>> {
    if (policies.length === 0 || !(await this.exists(client))) return new Map();
    const r = await client.query<{ policy: string; analyzed: number | null; changed: number | null }>(parentAnalysisSql(this.#table), [policies]);
    return new Map(r.rows.map((x) => [x.policy, { analyzedAtMs: x.analyzed, changedAtMs: x.changed }]));
  }

  /** A conversion of `table` swapped it in and has yet to validate its re-pointed foreign keys (convert-finish). */
  async convertFinishPending(client: pg.Client, policy: string, table: { schema: string; name: string }): Promise<boolean> {
    if (!(await this.exists(client))) return false;
    return (await client.query<{ pending: boolean }>(convertFinishPendingSql(this.#table), [policy, table.schema, table.name])).rows[0]!.pending;
  }

  async exists(client: pg.Client): Promise<boolean> {
    const r = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${this.#table}`]);
    return r.rows[0]!.t !== null;
  }

  async start(client: pg.Client, e: JournalEntry): Promise<number> {
    const r = await client.query<{ id: string }>(
      journalStartSql(this.#table),
      [e.actionId, e.runId, e.policy, e.parent.schema, e.parent.name, e.partition.schema, e.partition.name, e.relid ?? null, e.action, e.step, e.final, e.boundSql, e.sql, e.bounds ?? null, e.reason ?? null, e.storageKey ?? null],
    );
    return Number(r.rows[0]!.id);
  }

  async finish(client: pg.Client, id: number, result: StepResult): Promise<void> {
    await client.query(
      journalFinishSql(this.#table),
      [id, result.status, result.attempts, result.sqlstate ?? null, result.error ?? null, result.relid ?? null, result.rows ?? null, result.rows === undefined ? null : (result.rowsExact ?? true)],
    );
  }

  /**
   * Multi-step actions whose first step took effect and whose final step did not, joined with the
   * catalog: `standalone` says the table is still there, under the same OID, not attached.
   */
  async openWork(client: pg.Client, policies: readonly string[]): Promise<OpenWork[]> {
    if (policies.length === 0 || !(await this.exists(client))) return [];
    const r = await client.query<{ policy: string; action: string; relid: string; schema: string; name: string; parent_schema: string; parent_table: string; bound_sql: string; action_id: string; standalone: boolean }>(
      openWorkSql(this.#table),
      [policies],
    );
    // one entry per table: several actions may have left the same detached table unfinished
    const seen = new Set<string>();
    const rows = r.rows.filter((row) => {
      const k = `${row.action === 'create' || row.action === 'relocate' ? 'c' : 'r'}:${row.relid}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return rows.map((row) => ({
      policy: row.policy,
      action: row.action as OpenWork['action'],
      relid: Number(row.relid),
      schema: row.schema,
      name: row.name,
      parent: { schema: row.parent_schema, name: row.parent_table },
      boundSql: row.bound_sql,
      actionId: row.action_id,
      standalone: row.standalone,
    }));
  }
}

export interface JournalEntry {
  readonly actionId: string;
  readonly runId: string;
  readonly policy: string;
  readonly parent: { readonly schema: string; readonly name: string };
  readonly partition: { readonly schema: string; readonly name: string };
  readonly relid?: number;
  readonly action: string;
  readonly step: StepName;
  readonly final: boolean;
  readonly boundSql: string;
  readonly sql: string;
  /** Human-readable key range (`[from, to)`), for the audit trail. */
  readonly bounds?: string;
  /** Why the action runs (e.g. "expired: upper bound <= now - 90 days"). */
  readonly reason?: string;
  /** The storage object an export step writes (its attempt's data key). */
  readonly storageKey?: string;
}

export interface StepResult {
  readonly status: 'done' | 'failed';
  readonly attempts: number;
  readonly sqlstate?: string;
  readonly error?: string;
  readonly relid?: number;
  readonly rows?: number;
  /** false when `rows` is the planner's estimate (a table too large to count at removal time). */
  readonly rowsExact?: boolean;
}

export const newId = (): string => randomUUID();
