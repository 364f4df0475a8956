import { quoteIdent, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';

/*
 * Pure SQL builders, tested by exact string. Every builder returns exactly one statement: pg's
 * simple protocol runs a multi-statement string as one implicit transaction, which DETACH
 * CONCURRENTLY refuses (25001).
 */

const q = (t: PartitionRef) => quoteQualified(t.schema, t.name);

/**
 * `CREATE TABLE "s"."c" (LIKE "s"."p" INCLUDING ALL EXCLUDING IDENTITY)` — no lock on the parent
 * beyond ACCESS SHARE. Identity is excluded: ATTACH refuses a table with its own identity column
 * (PG >= 17), and on older versions the partition must use the parent's sequence anyway.
 */
export function createLikeSql(child: PartitionRef, parent: PartitionRef): string {
  return `CREATE TABLE ${q(child)} (LIKE ${q(parent)} INCLUDING ALL EXCLUDING IDENTITY)`;
}

/** `FOR VALUES FROM (a) TO (b)` with already-escaped literals. */
export function rangeBoundSql(fromLiteral: string, toLiteral: string): string {
  return `FOR VALUES FROM (${fromLiteral}) TO (${toLiteral})`;
}

/** ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent (PG >= 12): reads and writes go on. */
export function attachSql(parent: PartitionRef, child: PartitionRef, boundSql: string): string {
  return `ALTER TABLE ${q(parent)} ATTACH PARTITION ${q(child)} ${boundSql}`;
}

/**
 * DETACH PARTITION; CONCURRENTLY (PG >= 14, not allowed with a DEFAULT partition or in a
 * transaction block) takes only SHARE UPDATE EXCLUSIVE, plain DETACH takes ACCESS EXCLUSIVE.
 */
export function detachSql(parent: PartitionRef, child: PartitionRef, concurrently: boolean): string {
  return `ALTER TABLE ${q(parent)} DETACH PARTITION ${q(child)}${concurrently ? ' CONCURRENTLY' : ''}`;
}

/** Completes an interrupted DETACH ... CONCURRENTLY (PG >= 14). */
export function finalizeSql(parent: PartitionRef, child: PartitionRef): string {
  return `ALTER TABLE ${q(parent)} DETACH PARTITION ${q(child)} FINALIZE`;
}

/** Drops a table that is no longer attached (no lock on the former parent). */
export function dropSql(child: PartitionRef): string {
  return `DROP TABLE ${q(child)}`;
}

/**
 * Moves up to `limit` rows of [from, to) from the DEFAULT partition into `target` in one
 * statement: the DELETE and the INSERT commit together, so a row is never in neither table.
 */
export function moveRowsSql(
  from: PartitionRef,
  target: PartitionRef,
  column: string,
  fromLiteral: string,
  toLiteral: string,
  columns: readonly string[],
  limit: number,
): string {
  return moveRowsWhereSql(from, target, rangePredicateSql(column, fromLiteral, toLiteral), columns, limit);
}

/** Rows of [from, to): `"col" >= a AND "col" < b` with already-escaped literals. */
export function rangePredicateSql(column: string, fromLiteral: string, toLiteral: string): string {
  const key = quoteIdent(column);
  return `${key} >= ${fromLiteral} AND ${key} < ${toLiteral}`;
}

/** Same as moveRowsSql, for rows matching `predicate` (list values). */
export function moveRowsWhereSql(from: PartitionRef, target: PartitionRef, predicate: string, columns: readonly string[], limit: number): string {
  const cols = columns.map(quoteIdent).join(', ');
  return (
    `WITH moved AS (DELETE FROM ${q(from)} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${q(from)} ` +
    `WHERE ${predicate} LIMIT ${limit} FOR UPDATE)) RETURNING ${cols}) ` +
    `INSERT INTO ${q(target)} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM moved`
  );
}

/** `CREATE TABLE child (LIKE parent ...) PARTITION BY HASH|LIST (column)`: a new child that is itself partitioned. */
export function createPartitionedLikeSql(child: PartitionRef, parent: PartitionRef, strategy: 'hash' | 'list', column: string): string {
  return `${createLikeSql(child, parent)} PARTITION BY ${strategy.toUpperCase()} (${quoteIdent(column)})`;
}

/**
 * A sub-partition of a child that is not attached yet: nobody else uses that child, so
 * PARTITION OF takes no lock anyone waits for.
 */
export function createPartitionOfSql(sub: PartitionRef, child: PartitionRef, boundSql: string): string {
  return `CREATE TABLE ${q(sub)} PARTITION OF ${q(child)} ${boundSql}`;
}

/** ATTACH ... DEFAULT. */
export function attachDefaultSql(parent: PartitionRef, child: PartitionRef): string {
  return `ALTER TABLE ${q(parent)} ATTACH PARTITION ${q(child)} DEFAULT`;
}

/**
 * A CHECK on the DEFAULT partition that excludes the rows of a partition about to be attached:
 * added NOT VALID (a brief ACCESS EXCLUSIVE, no scan), validated (SHARE UPDATE EXCLUSIVE: reads
 * and writes go on during the scan), it lets ATTACH skip its scan of the DEFAULT, which would
 * otherwise run under ACCESS EXCLUSIVE (PostgreSQL docs, ALTER TABLE ... ATTACH PARTITION).
 * `NOT (predicate)` is what PostgreSQL's prover matches against the DEFAULT's new constraint; a
 * NULL key passes it, as it does the DEFAULT's constraint.
 */
export function addDefaultGuardSql(def: PartitionRef, constraint: string, predicate: string): string {
  return `ALTER TABLE ${q(def)} ADD CONSTRAINT ${quoteIdent(constraint)} CHECK (NOT (${predicate})) NOT VALID`;
}

export function validateConstraintSql(table: PartitionRef, constraint: string): string {
  return `ALTER TABLE ${q(table)} VALIDATE CONSTRAINT ${quoteIdent(constraint)}`;
}

export function dropConstraintSql(table: PartitionRef, constraint: string): string {
  return `ALTER TABLE ${q(table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(constraint)}`;
}
