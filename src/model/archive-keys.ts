/** A path segment from an identifier: percent-encoded, so any name round-trips and never escapes its folder. */
export function keySegment(identifier: string): string {
  return encodeURIComponent(identifier).replaceAll('.', '%2E').replaceAll('*', '%2A');
}

interface TableName {
  readonly schema: string;
  readonly name: string;
}

/**
 * layout: hive — where a partition's verified Parquet file is published for query engines:
 * `<database>/<schema>.<parent>/<column>=<lower bound>/part-0.parquet`, each part percent-encoded
 * (engines decode it: DuckDB reads `day_from=2026-01-01` as a DATE). The per-partition layout
 * never has a literal "." in its second segment (keySegment encodes it), so the two never meet,
 * and a glob `<database>/<schema>.<parent>/*\/*.parquet` sees only published files.
 */
export function hiveKey(database: string, parent: TableName, column: string, boundSql: string): string {
  return `${hiveTablePrefix(database, parent)}${keySegment(column)}=${keySegment(lowerBoundText(boundSql))}/part-0.parquet`;
}

/** The folder engines glob for a table's whole published history (`<database>/<schema>.<parent>/`). */
export const hiveTablePrefix = (database: string, parent: TableName): string => `${keySegment(database)}/${keySegment(parent.schema)}.${keySegment(parent.name)}/`;

/**
 * A single-column range partition's lower bound as PostgreSQL prints it (`FOR VALUES FROM
 * ('2026-01-01') TO (...)` gives 2026-01-01; MINVALUE stays MINVALUE). Anything else (multi-column
 * keys, LIST or HASH bounds) is an error naming the bound: no file is published under a guess.
 */
export function lowerBoundText(boundSql: string): string {
  const m = /^FOR VALUES FROM \((.*)\) TO \(.*\)$/s.exec(boundSql.trim());
  const from = m?.[1]!.trim();
  if (from === undefined) throw new Error(`layout: hive needs a range partition bound, got ${boundSql}`);
  if (/^'(?:[^']|'')*'$/.test(from)) return from.slice(1, -1).replaceAll("''", "'");
  if (/^(?:-?\d+|MINVALUE)$/.test(from)) return from;
  throw new Error(`layout: hive needs a single-column range bound, got ${boundSql}`);
}
