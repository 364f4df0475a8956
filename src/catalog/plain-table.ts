import type pg from 'pg';
import type { PartitionRef } from '../model/refs.js';
import { keyStatsSql, PLAIN_TABLE_SQL } from '../sql/convert-catalog.js';
import type { PolicyDef } from '../sql/convert-ddl.js';
import { toGrants, type RawGrant } from './read-tables.js';
import type { AclGrant } from './types.js';

/**
 * A plain table as `partwarden convert` sees it: everything a partitioned copy of it must carry,
 * and everything that could stop the conversion (planner/convert-*.ts decide which).
 */
export interface PlainTable {
  readonly oid: number;
  /** 'r' plain table, 'p' partitioned (already converted), others refused. */
  readonly relkind: string;
  /** 'p' permanent, 'u' unlogged, 't' temporary. */
  readonly persistence: string;
  readonly owner: string;
  readonly currentRole: string;
  readonly canManage: boolean;
  readonly canCreateInSchema: boolean;
  readonly serverVersionNum: number;
  readonly comment: string | null;
  readonly replicaIdentity: 'd' | 'f' | 'n' | 'i';
  readonly rls: boolean;
  readonly rlsForced: boolean;
  readonly grants: readonly AclGrant[];
  readonly columns: readonly PlainColumn[];
  readonly indexes: readonly PlainIndex[];
  readonly checks: readonly PlainCheck[];
  readonly outgoing: readonly PlainForeignKey[];
  readonly incoming: readonly IncomingForeignKey[];
  readonly triggers: readonly PlainTrigger[];
  readonly policies: readonly PlainPolicy[];
  readonly views: readonly DependentView[];
  readonly rules: readonly string[];
  /** Functions whose body (BEGIN ATOMIC) refers to the table by OID. */
  readonly functions: readonly string[];
  readonly publications: ReadonlyArray<{ readonly name: string; readonly viaRoot: boolean }>;
  readonly subscriptions: readonly string[];
  readonly children: readonly PartitionRef[];
  readonly parents: readonly PartitionRef[];
  readonly statistics: readonly string[];
  /** The table convert builds next to it (its work name), when a conversion is under way. */
  readonly tempParent?: { readonly schema: string; readonly name: string; readonly partitioned: boolean; readonly comment: string | null; readonly partitions: readonly string[] };
  /** A relation already has the historical partition's name. */
  readonly historyTaken: boolean;
  /** A partitioned table's partitions (a converted table: the historical one among them). */
  readonly partitions: ReadonlyArray<{ readonly name: string; readonly bound: string; readonly comment: string | null; readonly indexes: readonly string[] }>;
}

export interface PlainColumn {
  readonly name: string;
  readonly type: string;
  /** A domain's base type. */
  readonly baseType?: string;
  readonly notNull: boolean;
  /** '' none, 'a' GENERATED ALWAYS, 'd' BY DEFAULT. */
  readonly identity: string;
  readonly generated: string;
  readonly comment: string | null;
  /** The sequence of an identity or a serial column (pg_get_serial_sequence). */
  readonly sequence: PartitionRef | null;
  /** Column privileges (pg_attribute.attacl), for grantees other than the owner. */
  readonly grants: readonly AclGrant[];
}

export interface PlainIndex {
  readonly name: string;
  readonly unique: boolean;
  readonly primary: boolean;
  readonly valid: boolean;
  readonly replicaIdentity: boolean;
  /** The PRIMARY KEY, UNIQUE or EXCLUDE constraint the index belongs to. */
  readonly constraint: string | null;
  readonly contype: 'p' | 'u' | 'x' | null;
  readonly deferrable: boolean;
  readonly deferred: boolean;
  /** Key columns; null for an expression. */
  readonly columns: ReadonlyArray<string | null>;
  readonly partial: boolean;
  readonly expressions: boolean;
  /** pg_get_indexdef after `USING `: `btree (id, ts) INCLUDE (x) WHERE ...`. */
  readonly tail: string;
  /** The constraint's definition (pg_get_constraintdef): `PRIMARY KEY (id, ts)`. */
  readonly condef: string | null;
  /** A btree on plain columns and nothing else (it can be widened by the key). */
  readonly simple: boolean;
}

export interface PlainCheck {
  readonly name: string;
  readonly def: string;
  readonly validated: boolean;
  readonly comment: string | null;
  readonly noInherit: boolean;
}

export interface PlainForeignKey {
  readonly name: string;
  readonly def: string;
  readonly validated: boolean;
}

export interface IncomingForeignKey extends PlainForeignKey {
  readonly table: PartitionRef;
  readonly canManage: boolean;
  readonly partitioned: boolean;
  /** The referenced columns of the converted table. */
  readonly columns: readonly string[];
}

export interface PlainTrigger {
  readonly name: string;
  readonly def: string;
  readonly row: boolean;
  readonly transition: boolean;
  /** pg_trigger.tgenabled: O (origin), D (disabled), R (replica), A (always). */
  readonly enabled: string;
}

/** A row level security policy as pg_policies shows it (the swap recreates it on the new table). */
export type PlainPolicy = PolicyDef;

export interface DependentView {
  readonly ref: PartitionRef;
  /** 'v' view, 'm' materialized view. */
  readonly kind: string;
  readonly def: string;
  readonly options: readonly string[];
  readonly canManage: boolean;
}

export interface KeyStats {
  /** The smallest and largest key as text (null: no row). */
  readonly lo: string | null;
  readonly hi: string | null;
  readonly nulls: boolean;
}

interface Row {
  oid: string; relkind: string; persistence: string; owner: string; current_role: string; can_manage: boolean; can_create: boolean;
  server_version_num: number; comment: string | null; replident: PlainTable['replicaIdentity']; rls: boolean; rls_forced: boolean;
  grants: RawGrant[];
  columns: Array<{ name: string; type: string; base: string | null; not_null: boolean; identity: string; generated: string; comment: string | null; sequence: [string, string] | null; grants: RawGrant[] }>;
  indexes: Array<Omit<PlainIndex, 'replicaIdentity' | 'contype'> & { replident: boolean; contype: PlainIndex['contype'] }>;
  checks: Array<Omit<PlainCheck, 'noInherit'> & { no_inherit: boolean }>;
  outgoing: PlainForeignKey[];
  incoming: Array<PlainForeignKey & { schema: string; table: string; can_manage: boolean; partitioned: boolean; columns: string[] }>;
  triggers: PlainTrigger[];
  policies: Array<Omit<PlainPolicy, 'withCheck'> & { with_check: string | null }>;
  views: Array<{ schema: string; name: string; kind: string; def: string; options: string[] | null; can_manage: boolean }>;
  rules: string[]; functions: string[]; publications: Array<{ name: string; via_root: boolean }>; subscriptions: string[];
  children: Array<[string, string]>; parents: Array<[string, string]>; statistics: string[];
  temp_parent: { schema: string; name: string; partitioned: boolean; comment: string | null; partitions: string[] } | null;
  history_taken: boolean;
  partitions: PlainTable['partitions'];
}

/** The table `t` and what depends on it; undefined when it does not exist. `names`: convert's work name for the new parent, the historical partition's name. */
export async function readPlainTable(client: pg.Client, t: PartitionRef, names: { readonly tempParent: string; readonly history: string }): Promise<PlainTable | undefined> {
  const r = await client.query<Row>(PLAIN_TABLE_SQL, [t.schema, t.name, names.tempParent, names.history]);
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    oid: Number(row.oid), relkind: row.relkind, persistence: row.persistence, owner: row.owner, currentRole: row.current_role,
    canManage: row.can_manage, canCreateInSchema: row.can_create, serverVersionNum: row.server_version_num, comment: row.comment,
    replicaIdentity: row.replident, rls: row.rls, rlsForced: row.rls_forced, grants: toGrants(row.grants),
    columns: row.columns.map((c) => ({ name: c.name, type: c.type, ...(c.base ? { baseType: c.base } : {}), notNull: c.not_null, identity: c.identity, generated: c.generated, comment: c.comment, sequence: c.sequence ? { schema: c.sequence[0], name: c.sequence[1] } : null, grants: toGrants(c.grants) })),
    indexes: row.indexes.map(({ replident, ...x }) => ({ ...x, replicaIdentity: replident })),
    checks: row.checks.map(({ no_inherit, ...c }) => ({ ...c, noInherit: no_inherit })),
    outgoing: row.outgoing,
    incoming: row.incoming.map((f) => ({ name: f.name, def: f.def, validated: f.validated, table: { schema: f.schema, name: f.table }, canManage: f.can_manage, partitioned: f.partitioned, columns: f.columns })),
    triggers: row.triggers,
    policies: row.policies.map(({ with_check, ...p }) => ({ ...p, withCheck: with_check })),
    views: row.views.map((v) => ({ ref: { schema: v.schema, name: v.name }, kind: v.kind, def: v.def, options: v.options ?? [], canManage: v.can_manage })),
    rules: row.rules, functions: row.functions, publications: row.publications.map((p) => ({ name: p.name, viaRoot: p.via_root })),
    subscriptions: row.subscriptions, children: row.children.map(ref), parents: row.parents.map(ref), statistics: row.statistics,
    ...(row.temp_parent ? { tempParent: row.temp_parent } : {}),
    historyTaken: row.history_taken,
    partitions: row.partitions,
  };
}

const ref = ([schema, name]: [string, string]): PartitionRef => ({ schema, name });

/** min/max of the key and whether it has NULLs (see keyStatsSql). */
export async function readKeyStats(client: pg.Client, t: PartitionRef, column: string, uuid: boolean): Promise<KeyStats> {
  const r = await client.query<KeyStats>(keyStatsSql(t, column, uuid));
  return r.rows[0]!;
}
