import type pg from 'pg';
import { quoteIdent, quoteQualified } from '../db/quote.js';
import { PARQUET_COLUMNS_SQL } from '../sql/parquet.js';
import { parquetColumn, type ParquetColumn } from './parquet-types.js';

interface Row { name: string; typname: string; elem: string | null; typmod: number; not_null: boolean; generated: boolean }

/** The table's exported columns (generated ones are recomputed on restore) and how each goes to Parquet. */
export async function readParquetColumns(client: pg.Client, table: { schema: string; name: string }): Promise<ParquetColumn[]> {
  const r = await client.query<Row>(PARQUET_COLUMNS_SQL, [quoteQualified(table.schema, table.name)]);
  return r.rows.filter((c) => !c.generated).map((c) => parquetColumn({ name: c.name, typname: c.typname, ...(c.elem ? { elem: c.elem } : {}), typmod: c.typmod, notNull: c.not_null }));
}

/** The binary COPY that feeds the encoder: every column as itself, those without a Parquet type as text. */
export function parquetCopySql(table: { schema: string; name: string }, columns: readonly ParquetColumn[]): string {
  const list = columns.map((c) => (c.asText ? `${quoteIdent(c.name)}::text AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(', ');
  return `COPY (SELECT ${list} FROM ${quoteQualified(table.schema, table.name)}) TO STDOUT (FORMAT binary)`;
}
