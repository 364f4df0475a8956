import type pg from 'pg';
import { quoteIdent, quoteQualified } from '../db/quote.js';

export interface ArchivedColumn {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
  /** Expression of a STORED generated column (not exported; PostgreSQL recomputes it). */
  readonly generated?: string;
}

/** The columns of a table as the manifest records them (types from format_type). */
export async function readColumns(client: pg.Client, table: { schema: string; name: string }): Promise<ArchivedColumn[]> {
  const r = await client.query<{ name: string; type: string; not_null: boolean; generated: string | null }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [quoteQualified(table.schema, table.name)],
  );
  return r.rows.map((c) => ({ name: c.name, type: c.type, notNull: c.not_null, ...(c.generated ? { generated: c.generated } : {}) }));
}

/** CREATE TABLE for a restore: same columns, types, NOT NULL and generated columns. */
export function createTableDdl(table: { schema: string; name: string }, columns: readonly ArchivedColumn[]): string {
  const cols = columns.map((c) => `${quoteIdent(c.name)} ${c.type}${c.generated ? ` GENERATED ALWAYS AS (${c.generated}) STORED` : ''}${c.notNull ? ' NOT NULL' : ''}`);
  return `CREATE TABLE ${quoteQualified(table.schema, table.name)} (${cols.join(', ')})`;
}

/** The exported columns (generated ones are recomputed on restore), quoted for COPY. */
export function copyColumnList(columns: readonly ArchivedColumn[]): string {
  return columns.filter((c) => !c.generated).map((c) => quoteIdent(c.name)).join(', ');
}
