import { quoteIdent, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';

/*
 * COPY and LOCK statements of the archive pipeline, pure and tested by exact string: `plan`
 * prints these very strings, the export and the drop's proof run them.
 */

const q = (t: PartitionRef) => quoteQualified(t.schema, t.name);

/** COPY options of an archive format; the manifest records them for a restore with psql alone. */
export function copyOptionsSql(format: 'csv' | 'binary'): string {
  return format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT binary)';
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
