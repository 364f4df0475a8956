import { quoteIdent, quoteLiteral, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';

/*
 * The statements of `partwarden convert` (planner/convert-*.ts put them in order). Pure, tested by
 * exact string in test/unit/convert-sql.test.ts; names are always quoted, values escaped.
 */

const q = (t: PartitionRef) => quoteQualified(t.schema, t.name);
const cols = (names: readonly string[]) => names.map(quoteIdent).join(', ');

/** A unique index that also holds the partition key, built while writes go on. */
export function createIndexConcurrentlySql(index: string, t: PartitionRef, columns: readonly string[]): string {
  return `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(index)} ON ${q(t)} USING btree (${cols(columns)})`;
}

/** What a killed CREATE INDEX CONCURRENTLY leaves behind (an INVALID index) goes before it is built again. */
export function dropIndexConcurrentlySql(index: PartitionRef): string {
  return `DROP INDEX CONCURRENTLY IF EXISTS ${q(index)}`;
}

export function dropIndexSql(index: PartitionRef): string {
  return `DROP INDEX ${q(index)}`;
}

/** The CHECK that makes ATTACH scan-free: added NOT VALID (brief lock, no scan), validated later. */
export function addCheckNotValidSql(t: PartitionRef, name: string, predicate: string): string {
  return `ALTER TABLE ${q(t)} ADD CONSTRAINT ${quoteIdent(name)} CHECK (${predicate}) NOT VALID`;
}

/** `key IS NOT NULL AND key >= oldest AND key < cutoff`: what the historical partition's bound FROM (oldest) TO (cutoff) means. */
export function withinBoundsSql(column: string, fromLiteral: string, toLiteral: string): string {
  const c = quoteIdent(column);
  return `${c} IS NOT NULL AND ${c} >= ${fromLiteral} AND ${c} < ${toLiteral}`;
}

/**
 * The new parent: the old table's columns (types, defaults, generated columns, identity, NOT NULL,
 * storage, compression, column comments), partitioned by the policy's key. Indexes and constraints
 * are added one by one (each old one has its counterpart, under a work name).
 */
export function createParentSql(parent: PartitionRef, like: PartitionRef, column: string): string {
  return `CREATE TABLE ${q(parent)} (LIKE ${q(like)} INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS) PARTITION BY RANGE (${quoteIdent(column)})`;
}

/** ALTER TABLE ... ADD CONSTRAINT name <definition as pg_get_constraintdef prints it>. */
export function addConstraintSql(t: PartitionRef, name: string, definition: string): string {
  return `ALTER TABLE ${q(t)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`;
}

/** PRIMARY KEY (a, b) / UNIQUE (a, b), with the old constraint's deferrability. */
export function keyConstraintDef(primary: boolean, columns: readonly string[], deferrable: boolean, deferred: boolean): string {
  return `${primary ? 'PRIMARY KEY' : 'UNIQUE'} (${cols(columns)})${deferrableSql(deferrable, deferred)}`;
}

const deferrableSql = (deferrable: boolean, deferred: boolean) => (deferrable ? ` DEFERRABLE INITIALLY ${deferred ? 'DEFERRED' : 'IMMEDIATE'}` : '');

/** An index on the new parent from the old index's definition after USING (pg_get_indexdef). */
export function createIndexOnSql(index: string, t: PartitionRef, unique: boolean, tail: string): string {
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index)} ON ${q(t)} USING ${tail}`;
}

/** The swap's first statement: every table it changes, in the order given. */
export function lockTablesSql(tables: readonly PartitionRef[]): string {
  return `LOCK TABLE ${tables.map(q).join(', ')} IN ACCESS EXCLUSIVE MODE`;
}

/**
 * The new parent's identity sequence carries on where the old column's stopped: one statement,
 * read and set under the swap's lock (no insert can draw a value between the two).
 */
export function carrySequenceSql(parent: PartitionRef, column: string, oldSequence: PartitionRef): string {
  const old = `${quoteLiteral(q(oldSequence))}::regclass`;
  return `SELECT setval(pg_get_serial_sequence(${quoteLiteral(q(parent))}, ${quoteLiteral(column)}), coalesce(pg_sequence_last_value(${old}), s.seqstart), pg_sequence_last_value(${old}) IS NOT NULL) FROM pg_sequence s WHERE s.seqrelid = ${old}`;
}

export function renameTableSql(t: PartitionRef, to: string): string {
  return `ALTER TABLE ${q(t)} RENAME TO ${quoteIdent(to)}`;
}

/** Renaming an index renames the constraint it belongs to as well. */
export function renameIndexSql(index: PartitionRef, to: string): string {
  return `ALTER INDEX ${q(index)} RENAME TO ${quoteIdent(to)}`;
}

/** A widened unique index becomes the old table's PRIMARY KEY / UNIQUE constraint (it takes the constraint's name). */
export function constraintUsingIndexSql(t: PartitionRef, name: string, primary: boolean, index: string, deferrable: boolean, deferred: boolean): string {
  return `ALTER TABLE ${q(t)} ADD CONSTRAINT ${quoteIdent(name)} ${primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdent(index)}${deferrableSql(deferrable, deferred)}`;
}

/** SET NOT NULL: no scan, a validated CHECK proves it. */
export function setNotNullSql(t: PartitionRef, column: string): string {
  return `ALTER TABLE ${q(t)} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`;
}

export function dropIdentitySql(t: PartitionRef, column: string): string {
  return `ALTER TABLE ${q(t)} ALTER COLUMN ${quoteIdent(column)} DROP IDENTITY`;
}

/** A serial column's sequence belongs to the new parent's column (it goes with that table). */
export function sequenceOwnedBySql(sequence: PartitionRef, t: PartitionRef, column: string): string {
  return `ALTER SEQUENCE ${q(sequence)} OWNED BY ${q(t)}.${quoteIdent(column)}`;
}

export function rowSecuritySql(t: PartitionRef, force: boolean): string {
  return `ALTER TABLE ${q(t)} ${force ? 'FORCE' : 'ENABLE'} ROW LEVEL SECURITY`;
}

export interface PolicyDef {
  readonly name: string;
  readonly permissive: string;
  readonly cmd: string;
  readonly roles: readonly string[];
  readonly qual: string | null;
  readonly withCheck: string | null;
}

/** CREATE POLICY from pg_policies (roles `public` stays the keyword PUBLIC). */
export function createPolicySql(t: PartitionRef, p: PolicyDef): string {
  const roles = p.roles.map((r) => (r === 'public' ? 'PUBLIC' : quoteIdent(r))).join(', ');
  return `CREATE POLICY ${quoteIdent(p.name)} ON ${q(t)} AS ${p.permissive === 'RESTRICTIVE' ? 'RESTRICTIVE' : 'PERMISSIVE'} FOR ${policyCommand(p.cmd)} TO ${roles}` +
    (p.qual !== null ? ` USING (${p.qual})` : '') + (p.withCheck !== null ? ` WITH CHECK (${p.withCheck})` : '');
}

function policyCommand(cmd: string): string {
  if (!['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'].includes(cmd)) throw new Error(`unknown policy command ${cmd}`);
  return cmd;
}

export function dropTriggerSql(t: PartitionRef, name: string): string {
  return `DROP TRIGGER ${quoteIdent(name)} ON ${q(t)}`;
}

/** A trigger that is not plainly enabled keeps its state (tgenabled D, R, A). */
export function triggerStateSql(t: PartitionRef, name: string, enabled: string): string | undefined {
  const how = ({ D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' } as Record<string, string>)[enabled];
  return how ? `ALTER TABLE ${q(t)} ${how} TRIGGER ${quoteIdent(name)}` : undefined;
}

/** A view recreated on the new parent, with its options (check_option, security_barrier, ...). */
export function replaceViewSql(v: PartitionRef, options: readonly string[], definition: string): string {
  const withSql = options.length > 0 ? ` WITH (${options.map((o) => `${viewOption(o.slice(0, o.indexOf('=')))} = ${quoteLiteral(o.slice(o.indexOf('=') + 1))}`).join(', ')})` : '';
  return `CREATE OR REPLACE VIEW ${q(v)}${withSql} AS ${definition.trim().replace(/;$/, '')}`;
}

function viewOption(name: string): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a view option: ${JSON.stringify(name)}`);
  return name;
}

/** A foreign key re-pointed at the new parent: added NOT VALID (no scan under the swap's lock), validated after. */
export function addForeignKeyNotValidSql(t: PartitionRef, name: string, definition: string): string {
  return addConstraintSql(t, name, definition.endsWith(' NOT VALID') ? definition : `${definition} NOT VALID`);
}

export function publicationTableSql(publication: string, op: 'ADD' | 'DROP', t: PartitionRef): string {
  return `ALTER PUBLICATION ${quoteIdent(publication)} ${op} TABLE ${q(t)}`;
}

export function clearCommentSql(t: PartitionRef): string {
  return `COMMENT ON TABLE ${q(t)} IS NULL`;
}

export function replicaIdentityIndexSql(t: PartitionRef, index: string): string {
  return `ALTER TABLE ${q(t)} REPLICA IDENTITY USING INDEX ${quoteIdent(index)}`;
}

/**
 * The new parent's identity sequence takes the old one's name (DROP IDENTITY dropped that one):
 * its own name came from the work name, and only the server knows it, hence the DO block.
 */
export function renameIdentitySequenceSql(t: PartitionRef, column: string, to: string): string {
  return `DO $partwarden$ BEGIN EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(${quoteLiteral(q(t))}, ${quoteLiteral(column)}), ${quoteLiteral(to)}); END $partwarden$`;
}

/** DROP TABLE of convert's new parent (and its partitions), in the same statement as the proof that it holds no row. */
export function dropEmptyTableSql(t: PartitionRef): string {
  return `DO $partwarden$ BEGIN IF EXISTS (SELECT 1 FROM ${q(t)}) THEN RAISE EXCEPTION '% holds rows; not dropping it', ${quoteLiteral(q(t))}; END IF; DROP TABLE ${q(t)}; END $partwarden$`;
}

export function renameSequenceSql(sequence: PartitionRef, to: string): string {
  return `ALTER SEQUENCE ${q(sequence)} RENAME TO ${quoteIdent(to)}`;
}

/** An identity column again (convert --undo), on a sequence of the given name. */
export function addIdentitySql(t: PartitionRef, column: string, always: boolean, sequence: PartitionRef): string {
  return `ALTER TABLE ${q(t)} ALTER COLUMN ${quoteIdent(column)} ADD GENERATED ${always ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY (SEQUENCE NAME ${q(sequence)})`;
}

/** Every row of `from` into `to`, identity values as they are. */
export function copyRowsSql(from: PartitionRef, to: PartitionRef, columns: readonly string[]): string {
  return `INSERT INTO ${q(to)} (${cols(columns)}) OVERRIDING SYSTEM VALUE SELECT ${cols(columns)} FROM ${q(from)}`;
}

/** Raises unless `to` holds as many rows outside `[bounds]` as `from` holds: the proof before `from` is dropped. */
export function rowsArrivedSql(from: PartitionRef, to: PartitionRef, inBounds: string): string {
  return `DO $partwarden$ BEGIN IF (SELECT count(*) FROM ${q(from)}) <> (SELECT count(*) FROM ${q(to)} WHERE NOT (${inBounds})) ` +
    `THEN RAISE EXCEPTION 'not every row of % reached %; nothing is changed', ${quoteLiteral(q(from))}, ${quoteLiteral(q(to))}; END IF; END $partwarden$`;
}

/** A column privilege: GRANT SELECT ("col") ON TABLE t TO role. */
export function columnGrantSql(t: PartitionRef, column: string, privilege: string, grantee: string | null, grantable: boolean): string {
  if (!/^[A-Z]+$/.test(privilege)) throw new Error(`not a privilege: ${JSON.stringify(privilege)}`);
  return `GRANT ${privilege} (${quoteIdent(column)}) ON TABLE ${q(t)} TO ${grantee === null ? 'PUBLIC' : quoteIdent(grantee)}${grantable ? ' WITH GRANT OPTION' : ''}`;
}
