import type { ObservedPartition, ObservedTable, OpenWork } from '../catalog/types.js';
import type { ArchiveSpec, Policy } from '../config/types.js';
import { quoteQualified } from '../db/quote.js';
import { attachDefaultSql, attachSql, createLikeSql, detachSql, dropSql, finalizeSql, moveRowsWhereSql } from '../executor/sql.js';
import type { Action, PartitionRef, PolicyHealth, PolicyPlan, Problem } from './actions.js';
import { displayName } from '../config/qualified-name.js';
import { renderName } from './naming.js';

const sameRef = (a: PartitionRef, b: PartitionRef) => a.schema === b.schema && a.name === b.name;

/** `parent` on an action only when it is not the policy's table. */
export const parentField = (parent: PartitionRef, policyTable: PartitionRef): { parent?: PartitionRef } =>
  sameRef(parent, policyTable) ? {} : { parent };

/**
 * Interrupted DETACH ... CONCURRENTLY (pg_inherits.inhdetachpending): finalized before anything
 * else, since no other detach can run on the parent meanwhile.
 */
export function finalizeActions(policy: string, parent: PartitionRef, policyTable: PartitionRef, partitions: readonly ObservedPartition[], bounds: (p: ObservedPartition) => string): Action[] {
  return partitions
    .filter((p) => p.detachPending)
    .map((p) => {
      const ref = { schema: p.schema, name: p.name };
      return {
        kind: 'finalize' as const, policy, partition: ref, boundSql: '', bounds: bounds(p), ...parentField(parent, policyTable),
        reason: 'an interrupted DETACH ... CONCURRENTLY left it pending; its rows are invisible through the parent until finalized',
        sql: [finalizeSql(parent, ref)],
      };
    });
}

export interface ResumeOptions {
  readonly policy: Policy;
  readonly table: ObservedTable;
  readonly openWork: readonly OpenWork[];
  /** WHERE clause selecting a bound's rows in DEFAULT (for resuming a relocation), or undefined. */
  readonly predicateFor: (boundSql: string) => string | undefined;
  /** Human-readable bounds of a bound clause. */
  readonly showBound: (boundSql: string) => string;
  readonly archiveSql: (ref: PartitionRef, detach: boolean, concurrently: boolean) => string[];
}

/** Multi-step work a crash interrupted (journal + catalog agree it is half done), resumed. */
export function resumeActions(o: ResumeOptions): Action[] {
  const actions: Action[] = [];
  const policyTable = o.policy.table;
  const defaultPart = o.table.partitions.find((p) => p.isDefault);
  for (const w of o.openWork) {
    if (!w.standalone) continue;
    const ref = { schema: w.schema, name: w.name };
    const parent = w.parent;
    const base = { policy: o.policy.name, partition: ref, boundSql: w.boundSql, bounds: o.showBound(w.boundSql), ...parentField(parent, policyTable) };
    if (w.action === 'drop') {
      actions.push({ ...base, kind: 'drop', reason: 'resume: detached by an earlier run that stopped before DROP', sql: [dropSql(ref)], relid: w.relid, actionId: w.actionId });
      continue;
    }
    if (w.action === 'archive') {
      actions.push({ ...base, kind: 'archive', reason: 'resume: detached by an earlier run; archive, verify, then drop', sql: o.archiveSql(ref, false, false), resume: true, relid: w.relid, actionId: w.actionId });
      continue;
    }
    const attach = w.boundSql === 'DEFAULT' ? attachDefaultSql(parent, ref) : attachSql(parent, ref, w.boundSql);
    const resume = { ...base, kind: 'attach' as const, relid: w.relid, actionId: w.actionId };
    const predicate = o.predicateFor(w.boundSql);
    if (w.action === 'relocate' && defaultPart && predicate && sameRef(parent, policyTable)) {
      // rows may still wait in DEFAULT: move what is left and attach in one transaction
      const moveBatchSql = moveRowsWhereSql({ schema: defaultPart.schema, name: defaultPart.name }, ref, predicate, insertableColumns(o.table), o.policy.default.relocateBatchRows);
      actions.push({ ...resume, reason: 'resume: relocation from DEFAULT stopped before ATTACH', sql: [moveBatchSql, attach], moveBatchSql });
      continue;
    }
    actions.push({ ...resume, reason: 'resume: created by an earlier run that stopped before ATTACH', sql: [attach] });
  }
  return actions;
}

/**
 * The partitions plus the tables a crashed run created and did not attach yet (the resume
 * attaches them): planning treats them as present so they are not created twice.
 */
export function withResumed(partitions: readonly ObservedPartition[], openWork: readonly OpenWork[], parent: PartitionRef): ObservedPartition[] {
  const pending = openWork
    .filter((w) => w.standalone && (w.action === 'create' || w.action === 'relocate') && sameRef(w.parent, parent) && w.boundSql !== 'DEFAULT')
    .map((w) => ({ oid: w.relid, schema: w.schema, name: w.name, boundExpr: w.boundSql, isDefault: false, detachPending: false, isPartitioned: false, estimatedRows: 0 }));
  return [...partitions, ...pending];
}

/** Columns a row move writes (generated columns are recomputed). */
export const insertableColumns = (t: ObservedTable): string[] => t.columns.filter((c) => !c.generated).map((c) => c.name);

/** default.create: a DEFAULT partition named {table}_default (byte-aware), when none exists. */
export function defaultCreateAction(policy: Policy, table: ObservedTable, usedNames: Set<string>): Action | { problem: string } | undefined {
  if (!policy.default.create || table.partitions.some((p) => p.isDefault)) return undefined;
  const name = renderName('{table}_default', { schema: policy.table.schema, table: policy.table.name });
  if (!name) return { problem: `cannot name a DEFAULT partition for ${policy.table.name} within 63 bytes` };
  if (usedNames.has(name)) return { problem: `default.create: a table named ${name} already exists and is not the DEFAULT partition; attach it as DEFAULT by hand or rename it` };
  usedNames.add(name);
  const ref = { schema: policy.table.schema, name };
  const createSql = [createLikeSql(ref, policy.table)];
  return {
    kind: 'create', policy: policy.name, partition: ref, boundSql: 'DEFAULT', bounds: 'DEFAULT',
    reason: 'default.create: no DEFAULT partition yet', createSql, sql: [...createSql, attachDefaultSql(policy.table, ref)],
  };
}

/** Retention/onRemoved actions for one partition: detach, drop or archive. */
export function removalAction(
  policy: Policy,
  part: ObservedPartition,
  how: 'detach' | 'drop' | 'archive',
  concurrently: boolean,
  bounds: string,
  reason: string,
  archiveSql: (ref: PartitionRef, detach: boolean, concurrently: boolean) => string[],
): Action {
  const ref = { schema: part.schema, name: part.name };
  const base = { policy: policy.name, partition: ref, bounds, reason, concurrently };
  if (how === 'detach') return { ...base, kind: 'detach', boundSql: '', sql: [detachSql(policy.table, ref, concurrently)] };
  if (how === 'drop') return { ...base, kind: 'drop', boundSql: '', sql: [detachSql(policy.table, ref, concurrently), dropSql(ref)] };
  return { ...base, kind: 'archive', boundSql: part.boundExpr, sql: archiveSql(ref, true, concurrently), resume: false };
}

/** What an archive runs, for `plan` (the COPY options depend on the policy's format). */
export function archiveSqlFor(parent: PartitionRef, archive: ArchiveSpec | undefined, partitioned: (ref: PartitionRef) => boolean) {
  return (ref: PartitionRef, detach: boolean, concurrently: boolean): string[] => {
    const table = quoteQualified(ref.schema, ref.name);
    const opts = archive?.format === 'binary' ? '(FORMAT binary)' : '(FORMAT csv, HEADER true)';
    const copy = partitioned(ref) ? `COPY (SELECT * FROM ${table}) TO STDOUT ${opts}` : `COPY ${table} TO STDOUT ${opts}`;
    return [
      ...(detach ? [detachSql(parent, ref, concurrently)] : []),
      `LOCK TABLE ${table} IN SHARE MODE`,
      copy,
      ...(archive?.afterArchive === 'keep' ? [] : [dropSql(ref)]),
    ];
  };
}

/** Rows in DEFAULT as observed (see observe.defaultRowCount). */
export interface DefaultRowCount {
  readonly rows: number;
  readonly exact: boolean;
}

/** The health figures every plan carries. */
export function healthOf(table: ObservedTable, defaultRows: DefaultRowCount | undefined, hashSkew?: number): PolicyHealth {
  const def = table.partitions.find((p) => p.isDefault);
  return {
    partitions: table.partitions.length,
    ...(def && defaultRows ? { defaultRows: { partition: def.name, rows: defaultRows.rows, exact: defaultRows.exact } } : {}),
    ...(hashSkew !== undefined ? { hashSkew } : {}),
  };
}

/** default.maxRows: rows above it are a (non-blocking) default_rows violation. */
export function defaultRowsProblem(policy: Policy, table: ObservedTable, count: DefaultRowCount | undefined) {
  const def = table.partitions.find((p) => p.isDefault);
  if (!def || !count || count.rows <= policy.default.maxRows) return undefined;
  return {
    policy: policy.name,
    rule: 'default_rows' as const,
    partition: def.name,
    blocking: false,
    message: `DEFAULT partition ${def.name} holds ${count.exact ? '' : 'about '}${count.rows} row(s), more than default.maxRows (${policy.default.maxRows}): rows are arriving for values or ranges no partition covers`,
  };
}

/** max / mean of the remainders' estimated rows (1 = even); undefined when statistics are missing. */
export function hashSkew(partitions: readonly ObservedPartition[]): number | undefined {
  const rows = partitions.map((p) => p.estimatedRows);
  const total = rows.reduce((a, b) => a + b, 0);
  if (rows.length < 2 || total <= 0) return undefined;
  return Math.round((Math.max(...rows) / (total / rows.length)) * 100) / 100;
}

/**
 * The end every planner shares: the DEFAULT partition created last (new partitions attach first,
 * without a DEFAULT to scan), the default.maxRows check, and the plan's identity and health.
 */
export function finishPlan(policy: Policy, table: ObservedTable, usedNames: Set<string>, actions: Action[], problems: Problem[], defaultCount: DefaultRowCount | undefined): PolicyPlan {
  const def = defaultCreateAction(policy, table, usedNames);
  if (def && 'problem' in def) problems.push({ policy: policy.name, rule: 'naming', message: def.problem });
  else if (def) actions.push(def);
  const tooMany = defaultRowsProblem(policy, table, defaultCount);
  if (tooMany) problems.push(tooMany);
  return { policy: policy.name, database: policy.database, table: displayName(policy.table), actions, problems, health: healthOf(table, defaultCount) };
}
