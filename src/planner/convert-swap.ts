import type { ParentDress } from '../catalog/types.js';
import type { PlainTable } from '../catalog/plain-table.js';
import type { PartitionRef } from '../model/refs.js';
import { attachSql, commentSql, dropConstraintSql } from '../sql/ddl.js';
import {
  addForeignKeyNotValidSql, carrySequenceSql, constraintUsingIndexSql, createPolicySql, dropIdentitySql, dropIndexSql, dropTriggerSql, lockTablesSql,
  publicationTableSql, renameIndexSql, renameTableSql, replaceViewSql, rowSecuritySql, sequenceOwnedBySql, setNotNullSql, triggerStateSql, clearCommentSql, replicaIdentityIndexSql, renameIdentitySequenceSql, columnGrantSql,
} from '../sql/convert-ddl.js';
import { BOUND_CHECK, UNDO_MARKER, type UndoRecord } from './convert-names.js';
import { alongside, carriedIndexes, identityColumns, indexesToWiden, optional, type ConvertInputs } from './convert-inputs.js';
import { dressStatements } from './dress.js';

/**
 * The swap: one transaction under lock_timeout (retried whole), catalog changes only, so the
 * table's writers wait for a few milliseconds of work once every lock is held. In order:
 * 1. lock what it changes, the table first: the order its writers take locks in (a DELETE that
 *    cascades locks the table, then the referencing one), so a writer and the swap do not wait
 *    for each other; whatever waits, lock_timeout (shorter than deadlock_timeout) ends the
 *    swap's attempt first and it is retried;
 * 2. the identity sequence of the new parent carries on from the old one;
 * 3. the old indexes take their historical names (a widened twin replaces a key without the
 *    partition key), the table becomes the historical partition by name, the new parent and its
 *    indexes take the old names;
 * 4. ATTACH ... FOR VALUES FROM (oldest) TO (cutoff): no scan, the validated CHECK implies it;
 *    the CHECK goes;
 * 5. what LIKE does not carry: serial sequence ownership, comment, owner, grants, replica
 *    identity, row security and its policies, triggers, dependent views, foreign keys that
 *    reference the table (added NOT VALID, validated in the finish step), publications.
 */
export function swapStatements(inp: ConvertInputs, temp: PartitionRef, boundSql: string, premade: readonly PartitionRef[]): string[] {
  const { table: t, policy, names } = inp;
  const ref = policy.table;
  const history: PartitionRef = { schema: ref.schema, name: names.history };
  const identity = identityColumns(t);
  return [
    lockTablesSql([ref, ...alongside(t)]),
    ...identity.map((c) => carrySequenceSql(temp, c.name, c.sequence!)),
    ...renames(inp, history),
    ...(t.columns.find((c) => c.name === policy.range.column)?.notNull ? [] : [setNotNullSql(history, policy.range.column)]),
    ...identity.map((c) => dropIdentitySql(history, c.name)),
    attachSql(ref, history, boundSql),
    ...identity.map((c) => renameIdentitySequenceSql(ref, c.name, c.sequence!.name)),
    dropConstraintSql(history, BOUND_CHECK),
    ...t.columns.filter((c) => c.identity === '' && c.sequence).map((c) => sequenceOwnedBySql(c.sequence!, ref, c.name)),
    t.comment !== null ? commentSql(ref, t.comment) : clearCommentSql(ref),
    commentSql(history, UNDO_MARKER + JSON.stringify(undoRecord(inp))),
    ...dress(t, ref, [ref, ...premade], history, inp),
    ...t.columns.flatMap((c) => c.grants.map((g) => columnGrantSql(ref, c.name, g.privilege, g.grantee, g.grantable))),
    ...rowSecurity(t, ref),
    ...t.triggers.flatMap((g) => [dropTriggerSql(history, g.name), g.def, ...optional(triggerStateSql(ref, g.name, g.enabled))]),
    ...t.views.filter((v) => v.kind === 'v').map((v) => replaceViewSql(v.ref, v.options, v.def)),
    ...t.incoming.flatMap((f) => [dropConstraintSql(f.table, f.name), addForeignKeyNotValidSql(f.table, f.name, f.def)]),
    ...t.publications.flatMap((p) => [publicationTableSql(p.name, 'ADD', ref), publicationTableSql(p.name, 'DROP', history)]),
  ];
}


/** Step 3: old indexes to their historical names, the table to the historical name, the new ones to the old names. */
function renames(inp: ConvertInputs, history: PartitionRef): string[] {
  const { table: t, policy, names } = inp;
  const ref = policy.table;
  const at = (name: string): PartitionRef => ({ schema: ref.schema, name });
  const widened = new Set(indexesToWiden(t, policy.range.column).map((x) => x.name));
  const carried = carriedIndexes(t);
  const old = carried.flatMap((x) => {
    const to = names.historyIndex(x.name);
    if (!widened.has(x.name)) return [renameIndexSql(at(x.name), to)];
    // the narrow key goes; its widened twin takes its place (and, for a constraint, becomes one)
    if (x.constraint) return [dropConstraintSql(ref, x.constraint), constraintUsingIndexSql(ref, to, x.primary, names.widened(x.name), x.deferrable, x.deferred)];
    return [dropIndexSql(at(x.name)), renameIndexSql(at(names.widened(x.name)), to)];
  });
  return [
    ...old,
    renameTableSql(ref, history.name),
    ...carried.map((x) => renameIndexSql(at(names.parentIndex(x.name)), x.name)),
    renameTableSql({ schema: ref.schema, name: names.tempParent }, ref.name),
  ];
}

/**
 * Owner, grants and replica identity of the new parent and its first partitions, as new
 * partitions get them (planner/dress.ts). The historical partition keeps its own; a replica
 * identity index it lost to widening points at the widened twin.
 */
function dress(t: PlainTable, ref: PartitionRef, tables: readonly PartitionRef[], history: PartitionRef, inp: ConvertInputs): string[] {
  const replicaIndex = t.indexes.find((x) => x.replicaIdentity);
  const d: ParentDress = {
    owner: t.owner, currentRole: t.currentRole, maySetOwner: true, ownerCanCreate: true, grants: t.grants,
    replicaIdentity: ({ d: 'default', f: 'full', n: 'nothing', i: 'index' } as const)[t.replicaIdentity],
    ...(replicaIndex ? { replicaIndex: { schema: ref.schema, name: replicaIndex.name } } : {}),
  };
  const widenedReplica = replicaIndex && indexesToWiden(t, inp.policy.range.column).some((x) => x.name === replicaIndex.name);
  return [
    ...tables.flatMap((x) => dressStatements(x, d)),
    ...(widenedReplica ? [replicaIdentityIndexSql(history, inp.names.historyIndex(replicaIndex.name))] : []),
  ];
}

function rowSecurity(t: PlainTable, ref: PartitionRef): string[] {
  return [
    ...(t.rls ? [rowSecuritySql(ref, false)] : []),
    ...(t.rlsForced ? [rowSecuritySql(ref, true)] : []),
    ...t.policies.map((p) => createPolicySql(ref, p)),
  ];
}

/** What convert --undo cannot read from the catalog afterwards: the unique keys before widening. */
function undoRecord(inp: ConvertInputs): UndoRecord {
  return {
    widened: indexesToWiden(inp.table, inp.policy.range.column).filter((x) => x.valid).map((x) => ({
      index: x.name, constraint: x.constraint, primary: x.primary, columns: x.columns as string[], deferrable: x.deferrable, deferred: x.deferred,
    })),
  };
}
