/**
 * $1: a table (regclass). Its columns for a Parquet export, in column order: the base type of a
 * domain (and its typmod), an array's element type, an enum as text (its binary form is its
 * label), generated columns marked (they are not exported).
 */
export const PARQUET_COLUMNS_SQL = `
SELECT a.attname AS name,
       CASE WHEN b.typtype = 'e' THEN 'text' ELSE b.typname::text END AS typname,
       CASE WHEN b.typcategory = 'A' THEN (SELECT CASE WHEN e.typtype = 'e' THEN 'text' ELSE e.typname::text END FROM pg_type e WHERE e.oid = b.typelem) END AS elem,
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
       a.attnotnull AS not_null,
       a.attgenerated <> '' AS generated
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;
