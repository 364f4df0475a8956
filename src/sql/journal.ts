import { quoteIdent } from '../db/quote.js';
import type { StepName } from '../model/steps.js';

/**
 * The journal's statements (`<stateSchema>.journal`). `t` is the journal table, already quoted
 * (journalTable). Every value is a parameter; the placeholders are documented per statement.
 */

/** `"<stateSchema>".journal`. */
export const journalTable = (stateSchema: string): string => `${quoteIdent(stateSchema)}.journal`;

/**
 * A step name as an SQL literal: the journal's queries name steps only through this, so renaming
 * a step (model/steps.ts) is a compile error here instead of a silently broken resume.
 */
export const stepLiteral = (name: StepName): string => `'${name}'`;
const step = stepLiteral;

export const createJournalSchemaSql = (stateSchema: string): string => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(stateSchema)}`;

export const createJournalSql = (t: string): string => `CREATE TABLE IF NOT EXISTS ${t} (
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
)`;

/** $1: the journal table's name (regclass); n = 4 when every audit column exists. */
export const AUDIT_COLUMNS_SQL =
  "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('bounds', 'reason', 'rows_exact', 'storage_key') AND NOT attisdropped";

export const addAuditColumnsSql = (t: string): string =>
  `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS bounds text, ADD COLUMN IF NOT EXISTS reason text, ADD COLUMN IF NOT EXISTS rows_exact boolean, ADD COLUMN IF NOT EXISTS storage_key text`;

export const createJournalIndexSql = (t: string): string => `CREATE INDEX IF NOT EXISTS journal_open_idx ON ${t} (policy, action_id) WHERE status = 'done'`;

/** $1: the state schema. Whether it exists, is usable, or may be created, by which role. */
export const JOURNAL_ACCESS_SQL = `SELECT n.oid IS NOT NULL AS exists,
              coalesce(has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE'), false) AS usable,
              has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
              current_user AS role
         FROM (SELECT 1) x LEFT JOIN pg_namespace n ON n.nspname = $1`;

/** $1 policy, $2/$3 partition schema/name, $4 the fenced-error prefix pattern. */
export const archiveBackoffSql = (t: string): string => `WITH attempts AS (
         SELECT status, finished_at, sum(CASE WHEN status = 'done' AND final THEN 1 ELSE 0 END) OVER (ORDER BY id DESC) AS later_success
           FROM ${t}
          WHERE policy = $1 AND partition_schema = $2 AND partition_name = $3 AND action = 'archive' AND status <> 'running'
            AND (step IN (${step('export')}, ${step('verify')}, ${step('manifest')}) OR (status = 'done' AND final))
            -- another replica's attempt stopped by its fence is not a failure of the store
            AND coalesce(error, '') NOT LIKE $4)
       SELECT count(*)::int AS failures, max(finished_at) + least(interval '1 hour', interval '1 minute' * power(2, greatest(count(*) - 1, 0))) AS retry_after,
              coalesce(max(finished_at) + least(interval '1 hour', interval '1 minute' * power(2, greatest(count(*) - 1, 0))) > now(), false) AS waiting
         FROM attempts WHERE status = 'failed' AND later_success = 0`;

/** $1 policies. */
export const archiveFailuresSql = (t: string): string => `SELECT DISTINCT ON (policy, partition_schema, partition_name) policy, partition_name AS partition, status, error
         FROM ${t}
        WHERE policy = ANY($1) AND action = 'archive' AND status <> 'running' AND (status = 'failed' OR final)
          AND started_at > now() - interval '30 days'
        ORDER BY policy, partition_schema, partition_name, id DESC`;

/** $1 policy, $2/$3 partition schema/name. */
export const unfinishedUploadsSql = (t: string): string => `SELECT DISTINCT storage_key AS k FROM ${t}
        WHERE policy = $1 AND partition_schema = $2 AND partition_name = $3 AND step = ${step('export')} AND status <> 'done'
          AND storage_key IS NOT NULL AND started_at > now() - interval '30 days'`;

/** $1..$16: action_id, run_id, policy, parent schema/table, partition schema/name, relid, action, step, final, bound_sql, sql, bounds, reason, storage_key. */
export const journalStartSql = (t: string): string => `INSERT INTO ${t} (action_id, run_id, policy, parent_schema, parent_table, partition_schema, partition_name, relid, action, step, final, bound_sql, sql, status, bounds, reason, storage_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'running', $14, $15, $16) RETURNING id`;

/** $1 id, $2 status, $3 attempts, $4 sqlstate, $5 error, $6 relid, $7 rows, $8 rows_exact. */
export const journalFinishSql = (t: string): string => `UPDATE ${t} SET status = $2, attempts = $3, sqlstate = $4, error = $5, relid = coalesce($6, relid), rows = $7, rows_exact = $8,
              finished_at = clock_timestamp(), duration_ms = extract(epoch FROM clock_timestamp() - started_at) * 1000
        WHERE id = $1`;

/**
 * $1 policies. Multi-step actions whose first step took effect and whose final step did not,
 * joined with the catalog: `standalone` says the table is still there, under the same OID, not attached.
 */
export const openWorkSql = (t: string): string => `SELECT DISTINCT ON (j.action_id) j.policy, j.action, j.relid::int8 AS relid, j.partition_schema AS schema, j.partition_name AS name,
              j.parent_schema, j.parent_table,
              j.bound_sql, j.action_id::text AS action_id,
              EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = j.relid AND NOT c.relispartition AND c.relname = j.partition_name) AS standalone
         FROM ${t} j
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
          AND NOT EXISTS (SELECT 1 FROM ${t} k WHERE k.action_id = j.action_id AND k.final AND k.status = 'done')
          AND j.started_at > now() - interval '30 days'
        ORDER BY j.action_id, j.id`;

/**
 * $1 policies. Per policy: when its parent was last analyzed (action analyze) and when a partition
 * was last added or removed (the final step of such an action), in ms since 1970, from the
 * database's clock.
 */
export const parentAnalysisSql = (t: string): string => `SELECT policy,
       (extract(epoch FROM max(finished_at) FILTER (WHERE action = 'analyze')) * 1000)::float8 AS analyzed,
       (extract(epoch FROM max(finished_at) FILTER (WHERE action IN ('create', 'relocate', 'attach', 'detach', 'drop', 'archive'))) * 1000)::float8 AS changed
  FROM ${t}
 WHERE policy = ANY($1) AND status = 'done' AND final AND started_at > now() - interval '30 days'
 GROUP BY policy`;

/**
 * $1 policy, $2 schema, $3 table. Whether a conversion swapped the table in and its finish step
 * (validate the re-pointed foreign keys, ANALYZE) has not completed since.
 */
export const convertFinishPendingSql = (t: string): string => `SELECT EXISTS (
  SELECT 1 FROM ${t} s
   WHERE s.policy = $1 AND s.partition_schema = $2 AND s.partition_name = $3 AND s.action = 'convert' AND s.step = ${step('convert-swap')}
     -- 'running': killed after its COMMIT, before the journal knew (the table is partitioned: it committed)
     AND s.status IN ('done', 'running')
     AND NOT EXISTS (SELECT 1 FROM ${t} f WHERE f.policy = s.policy AND f.partition_schema = s.partition_schema AND f.partition_name = s.partition_name
                        AND f.action = 'convert' AND f.step = ${step('convert-finish')} AND f.status = 'done' AND f.id > s.id)) AS pending`;
