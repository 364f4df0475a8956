import type { PlainTable } from '../catalog/plain-table.js';
import type { RangePolicy } from '../config/types.js';
import { displayIdent, displayName } from '../config/qualified-name.js';
import { quoteIdent, quoteQualified } from '../db/quote.js';
import { BOUND_CHECK } from './convert-names.js';
import { indexesToWiden } from './convert-inputs.js';

/**
 * What stops a conversion before anything changes (each refusal names the object and what the DBA
 * can do), and what a DBA should know before it runs. Pure: planner/convert-plan.ts calls it with
 * what catalog/plain-table.ts read.
 */
export interface Preflight {
  readonly refusals: readonly string[];
  readonly warnings: readonly string[];
}

export function preflight(policy: RangePolicy, t: PlainTable, opts: { readonly hasNullKeys: boolean; readonly historyName: string; readonly resuming: boolean }): Preflight {
  const name = displayName(policy.table);
  const key = policy.range.column;
  const refusals: string[] = [];
  const warnings: string[] = [];
  if (t.relkind !== 'r') refusals.push(`${name} is not a plain table (relkind ${t.relkind}); convert turns a plain table into a partitioned one`);
  if (t.persistence !== 'p') refusals.push(`${name} is ${t.persistence === 'u' ? 'UNLOGGED' : 'TEMPORARY'}; a partitioned table cannot be: ${t.persistence === 'u' ? `ALTER TABLE ${quoteQualified(policy.table.schema, policy.table.name)} SET LOGGED first` : 'convert a permanent table'}`);
  if (!t.canManage) refusals.push(`role ${t.currentRole} cannot alter ${name} (owned by ${t.owner}): run convert as the owner, or GRANT ${quoteIdent(t.owner)} TO ${quoteIdent(t.currentRole)}`);
  if (!t.canCreateInSchema) refusals.push(`role ${t.currentRole} has no CREATE privilege on schema ${displayIdent(policy.table.schema)}: GRANT CREATE ON SCHEMA ${quoteIdent(policy.table.schema)} TO ${quoteIdent(t.currentRole)}`);
  if (policy.subpartition) refusals.push(`policy ${policy.name} sub-partitions its partitions; convert makes single-level tables only (convert with a policy without subpartition, then change it)`);
  const column = t.columns.find((c) => c.name === key);
  if (!column) refusals.push(`${name} has no column "${key}" (the policy's range.column)`);
  if (opts.hasNullKeys) refusals.push(`${name} has rows where ${key} IS NULL: a partitioned table cannot hold them; fill or delete them first (SELECT count(*) FROM ${quoteQualified(policy.table.schema, policy.table.name)} WHERE ${quoteIdent(key)} IS NULL)`);
  if (t.historyTaken && !opts.resuming) refusals.push(`the historical partition's name ${opts.historyName} is taken by another relation in schema ${displayIdent(policy.table.schema)}; pass --history-name`);
  refusals.push(...dependents(t, name), ...keys(t, name, key), ...constraints(t, name));
  warnings.push(...widening(t, key));
  for (const p of t.publications.filter((p) => !p.viaRoot)) {
    warnings.push(`publication ${p.name} has publish_via_partition_root = false: after the conversion changes are published under each partition's name (ALTER PUBLICATION ${quoteIdent(p.name)} SET (publish_via_partition_root = true) keeps the table's name)`);
  }
  if (t.statistics.length > 0) warnings.push(`extended statistics ${t.statistics.join(', ')} stay on the historical partition; create them on ${name} again if the planner needs them there`);
  return { refusals, warnings };
}

/** Objects that would be left pointing at the old table, or that a partitioned table cannot have. */
function dependents(t: PlainTable, name: string): string[] {
  const out: string[] = [];
  for (const r of t.rules) out.push(`rule ${r} on ${name}: rules are not carried over; drop it (DROP RULE ${quoteIdent(r)} ON ...) and recreate it afterwards`);
  for (const v of t.views.filter((v) => v.kind === 'm')) out.push(`materialized view ${displayName(v.ref)} depends on ${name}: drop it and create it again after the conversion`);
  for (const v of t.views.filter((v) => v.kind === 'v' && !v.canManage)) out.push(`view ${displayName(v.ref)} depends on ${name} and this role cannot replace it: run convert as its owner`);
  for (const f of t.functions) out.push(`function ${f} refers to ${name} in a BEGIN ATOMIC body: it would keep pointing at the historical partition; drop it and create it again afterwards`);
  if (t.parents.length > 0) out.push(`${name} inherits from ${t.parents.map(displayName).join(', ')}: a table in an inheritance tree cannot become partitioned`);
  if (t.children.length > 0) out.push(`${t.children.map(displayName).join(', ')} ${t.children.length === 1 ? 'inherits' : 'inherit'} from ${name}: a table in an inheritance tree cannot become partitioned`);
  for (const s of t.subscriptions) out.push(`subscription ${s} replicates into ${name}: disable it (ALTER SUBSCRIPTION ${quoteIdent(s)} DISABLE) and convert the table on the publisher's side first`);
  for (const g of t.triggers.filter((g) => g.row && g.transition)) out.push(`row trigger ${g.name} on ${name} uses transition tables (REFERENCING), which partitions cannot have: make it a statement trigger first`);
  return out;
}

/** Unique keys and foreign keys: what a partitioned table allows. */
function keys(t: PlainTable, name: string, key: string): string[] {
  const out: string[] = [];
  for (const x of t.indexes.filter((x) => x.contype === 'x')) out.push(`exclusion constraint ${x.constraint ?? x.name} on ${name}: convert does not carry exclusion constraints; drop it first`);
  for (const x of indexesToWiden(t, key).filter((x) => !x.simple)) {
    out.push(`unique index ${x.name} (${x.tail}) does not include ${key}: a partitioned table enforces uniqueness only with the partition key, and convert widens only plain btree indexes on columns; add ${key} to it (or drop it) first`);
  }
  for (const f of t.incoming) {
    if (!f.columns.includes(key)) {
      out.push(`foreign key ${f.name} on ${displayName(f.table)} references ${name} (${f.columns.join(', ')}), which does not include ${key}: a partitioned table can only be referenced by a key that includes its partition key; add ${key} to ${displayName(f.table)}, reference (${[...f.columns, key].join(', ')}) and drop ${f.name}, then convert`);
    } else if (f.partitioned) {
      out.push(`foreign key ${f.name} is on a partitioned table ${displayName(f.table)}: it cannot be re-pointed without a full scan under lock; drop it, convert, then add it again`);
    } else if (!f.canManage) {
      out.push(`foreign key ${f.name} on ${displayName(f.table)} must be re-pointed at the new table, and this role cannot alter ${displayName(f.table)}: run convert as its owner`);
    } else if (!f.validated) {
      out.push(`foreign key ${f.name} on ${displayName(f.table)} is NOT VALID: validate it first (ALTER TABLE ... VALIDATE CONSTRAINT ${quoteIdent(f.name)})`);
    }
  }
  return out;
}

/** CHECK and outgoing foreign keys must be valid: the parent's copies are matched with them on ATTACH. */
function constraints(t: PlainTable, name: string): string[] {
  const out: string[] = [];
  for (const c of t.checks.filter((c) => c.name !== BOUND_CHECK && !c.validated)) out.push(`CHECK constraint ${c.name} on ${name} is NOT VALID: validate it first (ALTER TABLE ... VALIDATE CONSTRAINT ${quoteIdent(c.name)})`);
  for (const f of t.outgoing.filter((f) => !f.validated)) out.push(`foreign key ${f.name} on ${name} is NOT VALID: validate it first (ALTER TABLE ... VALIDATE CONSTRAINT ${quoteIdent(f.name)})`);
  return out;
}

function widening(t: PlainTable, key: string): string[] {
  return indexesToWiden(t, key)
    .filter((x) => x.simple)
    .map((x) => `${x.primary ? 'PRIMARY KEY' : x.constraint ? 'UNIQUE constraint' : 'unique index'} ${x.constraint ?? x.name} (${x.columns.join(', ')}) becomes (${[...x.columns, key].join(', ')}): a partitioned table enforces uniqueness only together with the partition key (values drawn from a sequence or identity stay unique anyway)`);
}
