import type pg from 'pg';
import { quoteQualified } from '../db/quote.js';
import { parquetColumn, pgColumnOf, type ParquetColumn, type PgTypeRow } from '../model/parquet-types.js';
import { PARQUET_COLUMNS_SQL } from '../sql/parquet.js';

interface Row { name: string; pg: PgTypeRow; not_null: boolean; generated: boolean }

/** The table's exported columns (generated ones are recomputed on restore) and how each goes to Parquet. */
export async function readParquetColumns(client: pg.Client, table: { schema: string; name: string }): Promise<ParquetColumn[]> {
  const r = await client.query<Row>(PARQUET_COLUMNS_SQL, [quoteQualified(table.schema, table.name)]);
  return r.rows.filter((c) => !c.generated).map((c) => parquetColumn(pgColumnOf(c.name, c.pg, c.not_null)));
}
