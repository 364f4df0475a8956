import { quoteIdent, quoteLiteral, quoteQualified } from '../db/quote.js';
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
export function createLikeSql(child: PartitionRef, parent: PartitionRef, place: TablePlacement = {}): string {
  return `CREATE ${place.unlogged ? 'UNLOGGED ' : ''}TABLE ${q(child)} (LIKE ${q(parent)} INCLUDING ALL EXCLUDING IDENTITY)${placementSql(place)}`;
}

/** Where and how a new table is stored: what PARTITION OF takes from the parent and LIKE does not. */
export interface TablePlacement {
  /** The parent's access method, when set (partitioned tables carry one from PostgreSQL 17). */
  readonly accessMethod?: string;
  /** The parent's tablespace, when it is not the database's default. */
  readonly tablespace?: string;
  /** Storage parameters (`toast.` prefixed for TOAST), as [name, value]: WITH (name = 'value', ...). */
  readonly parameters?: ReadonlyArray<readonly [string, string]>;
  readonly unlogged?: boolean;
}

/** ` USING am TABLESPACE ts` (the order CREATE TABLE wants), or nothing. */
function placementSql(p: TablePlacement): string {
  // a parent's access method (and so USING on a partitioned child) exists from PostgreSQL 17 on
  const params = p.parameters && p.parameters.length > 0 ? ` WITH (${p.parameters.map(([k, v]) => `${parameterName(k)} = ${quoteLiteral(v)}`).join(', ')})` : '';
  return (p.accessMethod ? ` USING ${quoteIdent(p.accessMethod)}` : '') + params + (p.tablespace ? ` TABLESPACE ${quoteIdent(p.tablespace)}` : '');
}

/** A storage parameter name (`fillfactor`, `toast.autovacuum_enabled`): letters, digits, _ and one `toast.` prefix only. */
function parameterName(name: string): string {
  if (!/^(toast\.)?[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a storage parameter name: ${JSON.stringify(name)}`);
  return name;
}

/** COMMENT ON TABLE. */
export function commentSql(t: PartitionRef, comment: string): string {
  return `COMMENT ON TABLE ${q(t)} IS ${quoteLiteral(comment)}`;
}

/** `ALTER TABLE ... OWNER TO role`: a new partition belongs to the parent's owner, not to the role that created it. */
export function ownerSql(t: PartitionRef, owner: string): string {
  return `ALTER TABLE ${q(t)} OWNER TO ${quoteIdent(owner)}`;
}

/** One GRANT of table privileges (`grantee` null: PUBLIC), as the parent's ACL holds them. */
export function grantSql(t: PartitionRef, privileges: readonly string[], grantee: string | null, grantable: boolean): string {
  return `GRANT ${privileges.join(', ')} ON TABLE ${q(t)} TO ${grantee === null ? 'PUBLIC' : quoteIdent(grantee)}${grantable ? ' WITH GRANT OPTION' : ''}`;
}

/** REPLICA IDENTITY FULL or NOTHING (the default needs no statement). */
export function replicaIdentitySql(t: PartitionRef, identity: 'full' | 'nothing'): string {
  return `ALTER TABLE ${q(t)} REPLICA IDENTITY ${identity.toUpperCase()}`;
}

/**
 * REPLICA IDENTITY USING INDEX on a new table: the index LIKE copied from the parent's replica
 * identity index is the unique, non-partial one on the same columns (found by column name, so
 * dropped columns of the parent do not matter). One statement (a DO block); it fails, and with it
 * the create, when no such index exists.
 */
export function replicaIndexSql(t: PartitionRef, parentIndex: PartitionRef): string {
  const cols = (indexOid: string) =>
    `(SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index x, unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attnum = k.attnum WHERE x.indexrelid = ${indexOid} AND a.attrelid = x.indrelid)`;
  return [
    'DO $partwarden$ DECLARE idx name; BEGIN',
    `SELECT ci.relname INTO idx FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid WHERE i.indrelid = ${quoteLiteral(q(t))}::regclass AND i.indisunique AND i.indpred IS NULL AND ${cols('i.indexrelid')} = ${cols(`${quoteLiteral(q(parentIndex))}::regclass`)} ORDER BY ci.relname LIMIT 1;`,
    `IF idx IS NULL THEN RAISE EXCEPTION 'no index of % matches the replica identity index %', ${quoteLiteral(q(t))}, ${quoteLiteral(q(parentIndex))}; END IF;`,
    `EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', ${quoteLiteral(q(t))}, idx);`,
    'END $partwarden$',
  ].join(' ');
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

/**
 * Every row matching `predicate`, in one statement: what DELETE removes, RETURNING hands to the
 * INSERT, so no row is lost or copied twice whatever writers do meanwhile. For Citus, which cannot
 * pick rows by ctid across shards (a batch): the coordinator runs the DELETE on every shard and
 * inserts what it returned.
 */
export function moveAllRowsWhereSql(from: PartitionRef, target: PartitionRef, predicate: string, columns: readonly string[]): string {
  const cols = columns.map(quoteIdent).join(', ');
  return `WITH moved AS (DELETE FROM ${q(from)} WHERE ${predicate} RETURNING ${cols}) INSERT INTO ${q(target)} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM moved`;
}

/** `CREATE TABLE child (LIKE parent ...) PARTITION BY HASH|LIST (column)`: a new child that is itself partitioned. */
export function createPartitionedLikeSql(child: PartitionRef, parent: PartitionRef, strategy: 'hash' | 'list', column: string, place: TablePlacement = {}): string {
  // a partitioned table has no storage: no parameters, no persistence of its own
  const { parameters: _p, unlogged: _u, ...where } = place;
  return `CREATE TABLE ${q(child)} (LIKE ${q(parent)} INCLUDING ALL EXCLUDING IDENTITY) PARTITION BY ${strategy.toUpperCase()} (${quoteIdent(column)})${placementSql(where)}`;
}

/**
 * A sub-partition of a child that is not attached yet: nobody else uses that child, so
 * PARTITION OF takes no lock anyone waits for.
 */
export function createPartitionOfSql(sub: PartitionRef, child: PartitionRef, boundSql: string, place: Pick<TablePlacement, 'parameters' | 'unlogged'> = {}): string {
  return `CREATE ${place.unlogged ? 'UNLOGGED ' : ''}TABLE ${q(sub)} PARTITION OF ${q(child)} ${boundSql}${placementSql({ ...(place.parameters ? { parameters: place.parameters } : {}) })}`;
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

/**
 * ANALYZE of these tables: fresh statistics for partitions a relocation filled (and the DEFAULT it
 * emptied), or for a partitioned parent (autovacuum never analyzes one). SHARE UPDATE EXCLUSIVE.
 */
export function analyzeSql(tables: readonly PartitionRef[]): string {
  return `ANALYZE ${tables.map(q).join(', ')}`;
}

/** REVOKE ALL of one grantee (null: PUBLIC): the first half of setting a partition's grants back to the parent's. */
export function revokeAllSql(t: PartitionRef, grantee: string | null): string {
  return `REVOKE ALL ON TABLE ${q(t)} FROM ${grantee === null ? 'PUBLIC' : quoteIdent(grantee)}`;
}

/** ALTER TABLE ... SET (storage parameters): SHARE UPDATE EXCLUSIVE for fillfactor and autovacuum settings, no rewrite. */
export function setParametersSql(t: PartitionRef, parameters: ReadonlyArray<readonly [string, string]>): string {
  return `ALTER TABLE ${q(t)} SET (${parameters.map(([k, v]) => `${parameterName(k)} = ${quoteLiteral(v)}`).join(', ')})`;
}

/** `ALTER TABLE ... SET ACCESS METHOD` (PostgreSQL 15+): rewrites the table, ACCESS EXCLUSIVE on it (not on its parent) until commit. */
export function setAccessMethodSql(table: PartitionRef, accessMethod: string): string {
  return `ALTER TABLE ${q(table)} SET ACCESS METHOD ${quoteIdent(accessMethod)}`;
}
