/**
 * For the pg_attribute row aliased `a`: `[typname, elem, typmod]` of its type as a Parquet export
 * sees it — a domain's base type (and the domain's typmod), an array's element type, an enum as
 * text (its binary form is its label).
 */
export const parquetTypeSql = (a: string): string => `(SELECT json_build_array(
         CASE WHEN b.typtype = 'e' THEN 'text' ELSE b.typname::text END,
         CASE WHEN b.typcategory = 'A' THEN (SELECT CASE WHEN e.typtype = 'e' THEN 'text' ELSE e.typname::text END FROM pg_type e WHERE e.oid = b.typelem) END,
         CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE ${a}.atttypmod END)
    FROM pg_type t JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
   WHERE t.oid = ${a}.atttypid)`;

/** $1: a table (regclass). Its columns for a Parquet export, in column order, generated ones marked (they are not exported). */
export const PARQUET_COLUMNS_SQL = `
SELECT a.attname AS name, ${parquetTypeSql('a')} AS pg, a.attnotnull AS not_null, a.attgenerated <> '' AS generated
  FROM pg_attribute a
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;
