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

/** How a sub-partitioned child is partitioned, for the manifest (one level down). */
export interface Partitioning {
  /** pg_get_partkeydef: `HASH (tenant_id)`, `LIST (region)`. */
  readonly partitionBy: string;
  readonly subpartitions: ReadonlyArray<{ readonly name: string; readonly bounds: string }>;
}

export async function readPartitioning(client: pg.Client, relid: number): Promise<Partitioning | undefined> {
  const r = await client.query<{ key: string | null; subs: Array<{ name: string; bounds: string }> }>(
    `SELECT pg_get_partkeydef($1::oid) AS key,
            (SELECT coalesce(json_agg(json_build_object('name', c.relname, 'bounds', pg_get_expr(c.relpartbound, 0)) ORDER BY c.relname), '[]')
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::oid) AS subs`,
    [relid],
  );
  const row = r.rows[0];
  if (!row?.key) return undefined;
  return { partitionBy: row.key, subpartitions: row.subs };
}

/** Sub-partition name for a restore under another name: the child's prefix is swapped, else `<target>_<n>`. */
export function renamedSub(original: string, child: string, target: string, index: number): string {
  const renamed = original.startsWith(child) ? target + original.slice(child.length) : `${target}_${index}`;
  let out = '';
  for (const ch of renamed) {
    if (Buffer.byteLength(out + ch, 'utf8') > 63) break;
    out += ch;
  }
  return out;
}

/** Every statement that recreates the table: the table itself, then (when partitioned) its sub-partitions. */
export function restoreDdl(target: { schema: string; name: string }, original: string, columns: readonly ArchivedColumn[], p?: Partitioning): string[] {
  const table = createTableDdl(target, columns);
  if (!p) return [table];
  return [
    `${table} PARTITION BY ${p.partitionBy}`,
    ...p.subpartitions.map((s, i) => `CREATE TABLE ${quoteQualified(target.schema, renamedSub(s.name, original, target.name, i))} PARTITION OF ${quoteQualified(target.schema, target.name)} ${s.bounds}`),
  ];
}
