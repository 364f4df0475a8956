import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from '../db/quote.js';
import type { OpenWork } from '../catalog/types.js';
import type { StepName } from '../model/steps.js';

/**
 * Errors of steps a fence stopped (this replica lost leadership) start with this: another
 * replica's fenced attempt is never counted as a failure of the store (archive backoff).
 */
export const FENCED_PREFIX = 'fenced: ';

/**
 * A step name as an SQL literal: the journal's queries name steps only through this, so renaming
 * a step (model/steps.ts) is a compile error here instead of a silently broken resume.
 */
const step = (name: StepName): string => `'${name}'`;

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
    this.#table = `${quoteIdent(stateSchema)}.journal`;
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
    if (!access.exists) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.#schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
  id bigserial PRIMARY KEY,
  action_id uuid NOT NULL,
  run_id uuid NOT NULL,
  policy text NOT NULL,
  parent_schema text NOT NULL,
  parent_table text NOT NULL,
  partition_schema text NOT NULL,
  partition_name text NOT NULL,
  relid oid,
  action text NOT NULL,
  step text NOT NULL,
  final boolean NOT NULL DEFAULT false,
  bound_sql text NOT NULL DEFAULT '',
  sql text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  rows bigint,
  attempts int NOT NULL DEFAULT 0,
  sqlstate text,
  error text,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  duration_ms double precision,
  bounds text,
  reason text,
  rows_exact boolean,
  storage_key text
)`);
    await this.#addAuditColumns(client);
    await client.query(`CREATE INDEX IF NOT EXISTS journal_open_idx ON ${this.#table} (policy, action_id) WHERE status = 'done'`);
    this.#ready = true;
  }

  /**
   * The audit columns (what a step removed and why: bounds, reason, rows_exact; the object an
   * export wrote: storage_key) on a journal made
   * by an older version; the catalog is asked first, so the common case takes no lock.
   */
  async #addAuditColumns(client: pg.Client): Promise<void> {
    const r = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('bounds', 'reason', 'rows_exact', 'storage_key') AND NOT attisdropped",
      [this.#table],
    );
    if (r.rows[0]!.n === 4) return;
    await client.query(
      `ALTER TABLE ${this.#table} ADD COLUMN IF NOT EXISTS bounds text, ADD COLUMN IF NOT EXISTS reason text, ADD COLUMN IF NOT EXISTS rows_exact boolean, ADD COLUMN IF NOT EXISTS storage_key text`,
    );
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
      `SELECT n.oid IS NOT NULL AS exists,
              coalesce(has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE'), false) AS usable,
              has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
              current_user AS role
         FROM (SELECT 1) x LEFT JOIN pg_namespace n ON n.nspname = $1`,
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
      `WITH attempts AS (
         SELECT status, finished_at, sum(CASE WHEN status = 'done' AND final THEN 1 ELSE 0 END) OVER (ORDER BY id DESC) AS later_success
           FROM ${this.#table}
          WHERE policy = $1 AND partition_schema = $2 AND partition_name = $3 AND action = 'archive' AND status <> 'running'
            AND (step IN (${step('export')}, ${step('verify')}, ${step('manifest')}) OR (status = 'done' AND final))
            -- another replica's attempt stopped by its fence is not a failure of the store
            AND coalesce(error, '') NOT LIKE $4)
       SELECT count(*)::int AS failures, max(finished_at) + least(interval '1 hour', interval '1 minute' * power(2, greatest(count(*) - 1, 0))) AS retry_after,
              coalesce(max(finished_at) + least(interval '1 hour', interval '1 minute' * power(2, greatest(count(*) - 1, 0))) > now(), false) AS waiting
         FROM attempts WHERE status = 'failed' AND later_success = 0`,
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
      `SELECT DISTINCT ON (policy, partition_schema, partition_name) policy, partition_name AS partition, status, error
         FROM ${this.#table}
        WHERE policy = ANY($1) AND action = 'archive' AND status <> 'running' AND (status = 'failed' OR final)
          AND started_at > now() - interval '30 days'
        ORDER BY policy, partition_schema, partition_name, id DESC`,
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
      `SELECT DISTINCT storage_key AS k FROM ${this.#table}
        WHERE policy = $1 AND partition_schema = $2 AND partition_name = $3 AND step = ${step('export')} AND status <> 'done'
          AND storage_key IS NOT NULL AND started_at > now() - interval '30 days'`,
      [policy, partition.schema, partition.name],
    );
    return r.rows.map((x) => x.k);
  }

  async exists(client: pg.Client): Promise<boolean> {
    const r = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${this.#table}`]);
    return r.rows[0]!.t !== null;
  }

  async start(client: pg.Client, e: JournalEntry): Promise<number> {
    const r = await client.query<{ id: string }>(
      `INSERT INTO ${this.#table} (action_id, run_id, policy, parent_schema, parent_table, partition_schema, partition_name, relid, action, step, final, bound_sql, sql, status, bounds, reason, storage_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'running', $14, $15, $16) RETURNING id`,
      [e.actionId, e.runId, e.policy, e.parent.schema, e.parent.name, e.partition.schema, e.partition.name, e.relid ?? null, e.action, e.step, e.final, e.boundSql, e.sql, e.bounds ?? null, e.reason ?? null, e.storageKey ?? null],
    );
    return Number(r.rows[0]!.id);
  }

  async finish(client: pg.Client, id: number, result: StepResult): Promise<void> {
    await client.query(
      `UPDATE ${this.#table} SET status = $2, attempts = $3, sqlstate = $4, error = $5, relid = coalesce($6, relid), rows = $7, rows_exact = $8,
              finished_at = clock_timestamp(), duration_ms = extract(epoch FROM clock_timestamp() - started_at) * 1000
        WHERE id = $1`,
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
      `SELECT DISTINCT ON (j.action_id) j.policy, j.action, j.relid::int8 AS relid, j.partition_schema AS schema, j.partition_name AS name,
              j.parent_schema, j.parent_table,
              j.bound_sql, j.action_id::text AS action_id,
              EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = j.relid AND NOT c.relispartition AND c.relname = j.partition_name) AS standalone
         FROM ${this.#table} j
        WHERE j.policy = ANY($1) AND j.relid IS NOT NULL
          AND ((j.step = ${step('create-table')} AND j.action IN ('create', 'relocate') AND j.status = 'done')
               -- DETACH ... CONCURRENTLY commits on its own: a crash before the journal update
               -- leaves the step 'running' although the table is detached; the catalog decides
               OR (j.step = ${step('detach')} AND j.action IN ('drop', 'archive') AND j.status IN ('done', 'running'))
               -- a concurrent detach that failed in its second phase is finished by a FINALIZE
               -- (a separate action): the table is then detached, and this action's to finish
               OR (j.step = ${step('detach')} AND j.action IN ('drop', 'archive') AND j.status = 'failed' AND j.sql LIKE '%CONCURRENTLY')
               -- these steps only ever run on a detached table (e.g. after a finalize)
               OR (j.step = ${step('export')} AND j.action = 'archive')
               OR (j.step = ${step('drop')} AND j.action = 'drop'))
          AND NOT EXISTS (SELECT 1 FROM ${this.#table} k WHERE k.action_id = j.action_id AND k.final AND k.status = 'done')
          AND j.started_at > now() - interval '30 days'
        ORDER BY j.action_id, j.id`,
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
