import type pg from 'pg';
import { quoteQualified } from './quote.js';

/** A table by schema and name (structurally the model's PartitionRef: db sits below model/). */
type PartitionRef = { readonly schema: string; readonly name: string };

/** OID of a relation by name (null when it does not exist). */
export async function relid(client: pg.Client, t: PartitionRef): Promise<number | null> {
  const r = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::int8 AS oid', [quoteQualified(t.schema, t.name)]);
  return r.rows[0]!.oid === null ? null : Number(r.rows[0]!.oid);
}

/** A table's OID and whether it is a partition now, by name (oid null when it does not exist). */
export async function tableState(client: pg.Client, t: PartitionRef): Promise<{ oid: number | null; attached: boolean }> {
  const r = await client.query<{ oid: string | null; attached: boolean | null }>(
    'SELECT c.oid::int8 AS oid, c.relispartition AS attached FROM pg_class c WHERE c.oid = to_regclass($1)',
    [quoteQualified(t.schema, t.name)],
  );
  const row = r.rows[0];
  return { oid: row?.oid ? Number(row.oid) : null, attached: row?.attached === true };
}

/** Whether a concurrent detach of `child` was interrupted (pg_inherits.inhdetachpending, PG >= 14). */
export async function isDetachPending(client: pg.Client, child: PartitionRef): Promise<boolean> {
  const r = await client.query<{ pending: boolean }>('SELECT i.inhdetachpending AS pending FROM pg_inherits i WHERE i.inhrelid = to_regclass($1)', [quoteQualified(child.schema, child.name)]);
  return r.rows[0]?.pending === true;
}

/** Rows counted exactly at removal up to this many; above it the planner's estimate is journaled (rows_exact false). */
export const REMOVAL_COUNT_LIMIT = 1_000_000;

/** A partition's rows for the audit trail: exact up to REMOVAL_COUNT_LIMIT, else reltuples. */
export async function countRows(client: pg.Client, t: PartitionRef): Promise<{ rows: number; rowsExact: boolean }> {
  const name = quoteQualified(t.schema, t.name);
  const r = await client.query<{ n: string; est: number }>(
    `SELECT (SELECT count(*) FROM (SELECT 1 FROM ${name} LIMIT ${REMOVAL_COUNT_LIMIT + 1}) s)::int8 AS n, (SELECT reltuples FROM pg_class WHERE oid = $1::regclass)::float8 AS est`,
    [name],
  );
  const n = Number(r.rows[0]!.n);
  return n <= REMOVAL_COUNT_LIMIT ? { rows: n, rowsExact: true } : { rows: Math.max(n, Math.round(r.rows[0]!.est)), rowsExact: false };
}
