import { quoteIdent, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';

/*
 * COPY and LOCK statements of the archive pipeline, pure and tested by exact string: `plan`
 * prints these very strings, the export and the drop's proof run them.
 */

const q = (t: PartitionRef) => quoteQualified(t.schema, t.name);

/** COPY options of an archive format; the manifest records them for a restore with psql alone. */
export function copyOptionsSql(format: 'csv' | 'binary' | 'parquet'): string {
  // a Parquet archive is restored by partwarden, which feeds COPY text
  return format === 'csv' ? '(FORMAT csv, HEADER true)' : format === 'binary' ? '(FORMAT binary)' : '(FORMAT text)';
}

/**
 * The export's COPY: explicit columns (generated ones are recomputed on restore). A partitioned
 * table cannot be COPied directly: `COPY (SELECT ...)` reads through its partitions.
 */
export function copyOutSql(table: PartitionRef, columns: readonly string[], format: 'csv' | 'binary', partitioned: boolean): string {
  const cols = columns.map(quoteIdent).join(', ');
  return partitioned ? `COPY (SELECT ${cols} FROM ${q(table)}) TO STDOUT ${copyOptionsSql(format)}` : `COPY ${q(table)} (${cols}) TO STDOUT ${copyOptionsSql(format)}`;
}

/** The restore's COPY, with the options the manifest recorded. */
export function copyInSql(table: PartitionRef, columns: readonly string[], options: string): string {
  return `COPY ${q(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN ${options}`;
}

/** SHARE: no writer can change the table while it is exported. ACCESS EXCLUSIVE: the drop's proof and DROP. */
export function lockTableSql(table: PartitionRef, mode: 'SHARE' | 'ACCESS EXCLUSIVE'): string {
  return `LOCK TABLE ${q(table)} IN ${mode} MODE`;
}

/**
 * The export's COPY for a Parquet archive: binary (each value in its exact send format), every
 * column as itself except those with no faithful Parquet type, read as their text (`::text`).
 */
export function parquetCopySql(table: PartitionRef, columns: ReadonlyArray<{ readonly name: string; readonly asText: boolean }>): string {
  const list = columns.map((c) => (c.asText ? `${quoteIdent(c.name)}::text AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(', ');
  return `COPY (SELECT ${list} FROM ${q(table)}) TO STDOUT (FORMAT binary)`;
}
