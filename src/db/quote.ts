/**
 * The one place that turns names and values into SQL text. DDL cannot take bind parameters
 * (partition bounds, table names), so everything that ends up in DDL goes through here.
 */

/** Quotes one identifier: `my "table"` -> `"my ""table"""`. Always quotes, so case and unicode survive. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}

/** A schema-qualified name, each part quoted: `"public"."Events"`. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal. Uses E'' only when backslashes are present, so the result is correct whatever
 * `standard_conforming_strings` says: `O'Brien` -> `'O''Brien'`, `a\b` -> ` E'a\\b'`.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('literal contains a NUL byte');
  const body = value.replaceAll("'", "''");
  if (!value.includes('\\')) return `'${body}'`;
  return ` E'${body.replaceAll('\\', '\\\\')}'`;
}

/** A typed literal for DDL: `'2024-01-01 00:00:00+00'::timestamptz`. */
export function typedLiteral(value: string, sqlType: string): string {
  return `${quoteLiteral(value)}::${sqlType}`;
}
