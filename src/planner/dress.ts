import type { AclGrant, ObservedTable, ParentDress } from '../catalog/types.js';
import type { TemplateSpec } from '../config/types.js';
import { quoteIdent } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';
import { commentSql, createLikeSql, createPartitionedLikeSql, createPartitionOfSql, grantSql, ownerSql, replicaIdentitySql, replicaIndexSql, type TablePlacement } from '../sql/ddl.js';

/**
 * New partitions look like the DBA's: CREATE TABLE ... LIKE copies columns, defaults,
 * constraints, indexes and storage, but not the owner, the grants, the replica identity, the
 * tablespace or the access method (PARTITION OF copies the last two only). Everything here runs in
 * the create step's transaction, so no partition is ever attached half-dressed.
 */

/** Table privileges in the order GRANT is usually written. */
const ORDER = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'];

/** The parent's grants as GRANT statements: one per grantee and grant option, privileges in a fixed order. */
export function grantStatements(t: PartitionRef, grants: readonly AclGrant[]): string[] {
  const groups = new Map<string, { grantee: string | null; grantable: boolean; privileges: Set<string> }>();
  for (const g of grants) {
    const key = JSON.stringify([g.grantee, g.grantable]);
    const group = groups.get(key) ?? { grantee: g.grantee, grantable: g.grantable, privileges: new Set<string>() };
    group.privileges.add(g.privilege);
    groups.set(key, group);
  }
  const rank = (p: string) => (ORDER.includes(p) ? ORDER.indexOf(p) : ORDER.length);
  return [...groups.values()]
    .sort((a, b) => (a.grantee ?? '').localeCompare(b.grantee ?? '') || Number(a.grantable) - Number(b.grantable))
    .map((g) => grantSql(t, [...g.privileges].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)), g.grantee, g.grantable));
}

/**
 * What follows the CREATE of one new table: its grants (given while this role owns it), its
 * owner, its replica identity. Nothing when the parent needs nothing carried.
 */
export function dressStatements(t: PartitionRef, dress: ParentDress | undefined): string[] {
  if (!dress) return [];
  const out = grantStatements(t, dress.grants);
  if (dress.owner !== dress.currentRole && dress.maySetOwner && dress.ownerCanCreate) out.push(ownerSql(t, dress.owner));
  if (dress.replicaIdentity === 'full' || dress.replicaIdentity === 'nothing') out.push(replicaIdentitySql(t, dress.replicaIdentity));
  if (dress.replicaIdentity === 'index' && dress.replicaIndex) out.push(replicaIndexSql(t, dress.replicaIndex));
  return out;
}

/**
 * Why this role cannot give new partitions the parent's owner, with the GRANT that fixes it
 * (undefined when it can, or nothing needs giving). New partitions are then created anyway: a
 * missing partition is an outage, a wrong owner is drift (validate --db and status say so).
 */
export function ownerFix(dress: ParentDress, schema: string): string | undefined {
  if (dress.owner === dress.currentRole || (dress.maySetOwner && dress.ownerCanCreate)) return undefined;
  const fixes = [
    ...(dress.maySetOwner ? [] : [`GRANT ${quoteIdent(dress.owner)} TO ${quoteIdent(dress.currentRole)}`]),
    ...(dress.ownerCanCreate ? [] : [`GRANT CREATE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(dress.owner)}`]),
  ];
  return `new partitions cannot be given the table's owner ${dress.owner} by ${dress.currentRole} (they stay ${dress.currentRole}'s); fix: ${fixes.join('; ')}`;
}

/**
 * What a new table is made with besides LIKE: the parent's access method and tablespace, and what
 * a partitioned parent cannot carry: storage and TOAST parameters, UNLOGGED, a comment. Those come
 * from the policy's `template` (its values first, then its template table's) or else from the
 * newest partition (the last created; its comment is its own and is not copied).
 */
export interface TableShape {
  readonly placement: TablePlacement;
  readonly comment?: string;
  readonly dress?: ParentDress;
}

/** name=value of pg_class.reloptions as [name, value]. */
export const parseReloptions = (options: readonly string[], prefix = ''): Array<[string, string]> =>
  options.map((o) => [`${prefix}${o.slice(0, o.indexOf('='))}`, o.slice(o.indexOf('=') + 1)]);

export function tableShape(table: ObservedTable, template: TemplateSpec | undefined): TableShape {
  const source = table.template && !table.template.missing ? table.template : undefined;
  const parameters = new Map<string, string>([...parseReloptions(source?.reloptions ?? []), ...parseReloptions(source?.toastOptions ?? [], 'toast.')]);
  for (const [k, v] of Object.entries(template?.storage ?? {})) parameters.set(k, v);
  for (const [k, v] of Object.entries(template?.toast ?? {})) parameters.set(`toast.${k}`, v);
  const unlogged = template?.unlogged ?? source?.unlogged ?? false;
  const comment = template?.comment ?? (source?.isTemplate ? source.comment : undefined);
  return {
    placement: {
      ...(table.dress?.tablespace ? { tablespace: table.dress.tablespace } : {}),
      ...(table.dress?.accessMethod ? { accessMethod: table.dress.accessMethod } : {}),
      ...(parameters.size > 0 ? { parameters: [...parameters] } : {}),
      ...(unlogged ? { unlogged } : {}),
    },
    ...(comment !== undefined ? { comment } : {}),
    ...(table.dress ? { dress: table.dress } : {}),
  };
}

/** The create step of a plain new partition `ref` of `parent`, dressed like it. */
export function createChildSql(ref: PartitionRef, parent: PartitionRef, shape: TableShape): string[] {
  return [createLikeSql(ref, parent, shape.placement), ...commentOf(ref, shape), ...dressStatements(ref, shape.dress)];
}

const commentOf = (t: PartitionRef, shape: TableShape): string[] => (shape.comment !== undefined ? [commentSql(t, shape.comment)] : []);

/**
 * The create step of a sub-partitioned new child and all its sub-partitions (PARTITION OF the
 * child, which is attached to nothing yet): each of them dressed like the policy's table.
 */
export function createPartitionedChildSql(
  ref: PartitionRef,
  parent: PartitionRef,
  sub: { readonly strategy: 'hash' | 'list'; readonly column: string },
  subs: ReadonlyArray<{ readonly ref: PartitionRef; readonly boundSql: string }>,
  shape: TableShape,
): string[] {
  // the replica identity of a partitioned table has no effect: only its leaves publish changes
  const childDress = shape.dress && { ...shape.dress, replicaIdentity: 'default' as const };
  const { parameters, unlogged } = shape.placement;
  return [
    createPartitionedLikeSql(ref, parent, sub.strategy, sub.column, shape.placement),
    ...commentOf(ref, shape),
    ...dressStatements(ref, childDress),
    ...subs.flatMap((m) => [
      createPartitionOfSql(m.ref, ref, m.boundSql, { ...(parameters ? { parameters } : {}), ...(unlogged ? { unlogged } : {}) }),
      ...commentOf(m.ref, shape),
      ...dressStatements(m.ref, shape.dress),
    ]),
  ];
}
