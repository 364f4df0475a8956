import { createHash } from 'node:crypto';
import type { ObservedPartition, ObservedTable, OpenWork } from '../catalog/types.js';
import type { ArchiveSpec, Policy } from '../config/types.js';
import {
  addDefaultGuardSql, analyzeSql, attachDefaultSql, attachSql, detachSql, dropConstraintSql, dropSql, finalizeSql, validateConstraintSql,
} from '../sql/ddl.js';
import { copyOutSql, lockTableSql, parquetCopySql } from '../sql/copy.js';
import { parquetColumn, pgColumnOf } from '../model/parquet-types.js';
import type { Action, DefaultGuard, PartitionRef, PolicyHealth, PolicyPlan, Problem } from './actions.js';
import { program, steps, type Step } from '../model/steps.js';
import { displayName } from '../config/qualified-name.js';
import { renderName } from '../model/naming.js';
import { createChildSql, tableShape } from './dress.js';
import { planDrift } from './drift.js';
import { rowMove } from './relocate.js';

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
        ...program([steps.finalize(finalizeSql(parent, ref))]),
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
  readonly archiveSteps: ArchiveSteps;
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
      actions.push({ ...base, kind: 'drop', reason: 'resume: detached by an earlier run that stopped before DROP', ...program([steps.drop([dropSql(ref)])]), relid: w.relid, actionId: w.actionId });
      continue;
    }
    if (w.action === 'archive') {
      actions.push({ ...base, kind: 'archive', reason: 'resume: detached by an earlier run; archive, verify, then drop', ...program(o.archiveSteps(ref, false, false)), resume: true, relid: w.relid, actionId: w.actionId });
      continue;
    }
    const attach = w.boundSql === 'DEFAULT' ? attachDefaultSql(parent, ref) : attachSql(parent, ref, w.boundSql);
    const resume = { ...base, kind: 'attach' as const, relid: w.relid, actionId: w.actionId };
    const guardName = defaultGuardName(ref);
    if (defaultPart?.pendingChecks?.includes(guardName)) {
      // stopped between adding the DEFAULT's guard constraint and ATTACH: validate, then attach
      const defRef = { schema: defaultPart.schema, name: defaultPart.name };
      const defaultGuard: DefaultGuard = { defaultPartition: defRef, constraint: guardName, validateSql: validateConstraintSql(defRef, guardName), dropSql: dropConstraintSql(defRef, guardName) };
      actions.push({ ...resume, reason: 'resume: stopped between guarding DEFAULT and ATTACH', ...program([steps.validateGuard(defaultGuard.validateSql), steps.attach([attach, defaultGuard.dropSql])]), defaultGuard });
      continue;
    }
    const predicate = o.predicateFor(w.boundSql);
    if (w.action === 'relocate' && defaultPart && predicate && sameRef(parent, policyTable)) {
      // rows may still wait in DEFAULT: move what is left and attach in one transaction
      const defRef = { schema: defaultPart.schema, name: defaultPart.name };
      const move = rowMove(o.table, parent, ref, defRef, predicate, o.policy.default.relocateBatchRows);
      actions.push({ ...resume, reason: 'resume: relocation from DEFAULT stopped before ATTACH', ...program([steps.drainAndAttach(move.moveSql, attach, move.drainSetup), steps.analyze(analyzeSql([ref, defRef]))]), moveBatchSql: move.moveSql });
      continue;
    }
    actions.push({ ...resume, reason: 'resume: created by an earlier run that stopped before ATTACH', ...program([steps.attach([attach])]) });
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

/** Name of the DEFAULT's guard constraint for one partition: stable across runs, at most 35 bytes. */
export function defaultGuardName(ref: PartitionRef): string {
  return `partwarden_pending_${createHash('sha256').update(`${ref.schema}\0${ref.name}`).digest('hex').slice(0, 16)}`;
}

/**
 * The guard for attaching `ref` (rows matching `predicate`) next to the DEFAULT partition, when
 * there is one worth guarding: an empty DEFAULT costs ATTACH nothing to scan, and a partitioned
 * DEFAULT is left to PostgreSQL.
 */
export function defaultGuardFor(table: ObservedTable, defaultCount: DefaultRowCount | undefined, ref: PartitionRef, predicate: string): DefaultGuard | undefined {
  const def = table.partitions.find((p) => p.isDefault);
  if (!def || def.isPartitioned || (defaultCount?.exact && defaultCount.rows === 0)) return undefined;
  const defRef = { schema: def.schema, name: def.name };
  const constraint = defaultGuardName(ref);
  return {
    defaultPartition: defRef, constraint,
    addSql: addDefaultGuardSql(defRef, constraint, predicate),
    validateSql: validateConstraintSql(defRef, constraint),
    dropSql: dropConstraintSql(defRef, constraint),
  };
}

/** A create action: CREATE (one transaction), then ATTACH, guarded when a DEFAULT would be scanned. */
export function createAction(
  base: { policy: string; partition: PartitionRef; boundSql: string; bounds: string; parent?: PartitionRef },
  reason: string,
  createSql: string[],
  attach: string,
  defaultGuard?: DefaultGuard,
): Action {
  if (!defaultGuard) return { ...base, kind: 'create', reason, createSql, ...program([steps.createTable(createSql), steps.attach([attach])]) };
  return {
    ...base, kind: 'create', reason: `${reason}; DEFAULT guarded so ATTACH does not scan it`, createSql, defaultGuard,
    ...program([
      steps.createTable(createSql), steps.guardDefault(defaultGuard.addSql!), steps.validateGuard(defaultGuard.validateSql), steps.attach([attach, defaultGuard.dropSql]),
    ]),
  };
}

/**
 * Guard constraints on DEFAULT that no action of this plan will finish: left by a run that
 * stopped and whose table is gone. They would reject rows of that range, so they are dropped.
 */
function strayGuardActions(policy: Policy, table: ObservedTable, actions: readonly Action[]): Action[] {
  const def = table.partitions.find((p) => p.isDefault);
  if (!def?.pendingChecks?.length) return [];
  const claimed = new Set(actions.flatMap((a) => ('defaultGuard' in a && a.defaultGuard ? [a.defaultGuard.constraint] : [])));
  const defRef = { schema: def.schema, name: def.name };
  return def.pendingChecks
    .filter((c) => !claimed.has(c))
    .map((constraint) => ({
      kind: 'cleanup' as const, policy: policy.name, partition: defRef, table: defRef, constraint, boundSql: '', bounds: 'DEFAULT',
      reason: `guard constraint ${constraint} was left by an interrupted run; it would reject rows no partition takes`,
      ...program([steps.dropGuard(dropConstraintSql(defRef, constraint))]),
    }));
}

/** default.create: a DEFAULT partition named {table}_default (byte-aware), when none exists. */
export function defaultCreateAction(policy: Policy, table: ObservedTable, usedNames: Set<string>): Action | { problem: string } | undefined {
  if (!policy.default.create || table.partitions.some((p) => p.isDefault)) return undefined;
  const name = renderName('{table}_default', { schema: policy.table.schema, table: policy.table.name });
  if (!name) return { problem: `cannot name a DEFAULT partition for ${policy.table.name} within 63 bytes` };
  if (usedNames.has(name)) return { problem: `default.create: a table named ${name} already exists and is not the DEFAULT partition; attach it as DEFAULT by hand or rename it` };
  usedNames.add(name);
  const ref = { schema: policy.table.schema, name };
  const createSql = createChildSql(ref, policy.table, tableShape(table, policy.template));
  return {
    kind: 'create', policy: policy.name, partition: ref, boundSql: 'DEFAULT', bounds: 'DEFAULT',
    reason: 'default.create: no DEFAULT partition yet', createSql, ...program([steps.createTable(createSql), steps.attach([attachDefaultSql(policy.table, ref)])]),
  };
}

/**
 * Why a removal of this partition would fail every run: its DROP (drop, or archive with
 * afterArchive: drop) is refused while another table's foreign key references the partition
 * itself. Undefined when nothing stands in the way.
 */
export function removalBlocker(policy: Policy, table: ObservedTable, partition: string, how: 'detach' | 'drop' | 'archive'): Problem | undefined {
  if (how === 'detach' || (how === 'archive' && policy.retention?.archive?.afterArchive === 'keep')) return undefined;
  const refs = (table.partitionReferences ?? []).filter((r) => r.partition === partition);
  if (refs.length === 0) return undefined;
  const by = refs.map((r) => `foreign key ${r.constraint} of ${r.from}`).join(', ');
  return {
    policy: policy.name, rule: 'expired_attached', partition, blocking: true,
    message: `${partition} is due for removal (${how}) but cannot be dropped: ${by} references it; drop that constraint (or point it at the parent table) and the next run removes the partition`,
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
  archiveSteps: ArchiveSteps,
): Action {
  const ref = { schema: part.schema, name: part.name };
  const base = { policy: policy.name, partition: ref, bounds, reason, concurrently };
  const detach = steps.detach(detachSql(policy.table, ref, concurrently));
  if (how === 'detach') return { ...base, kind: 'detach', boundSql: '', ...program([detach]) };
  if (how === 'drop') return { ...base, kind: 'drop', boundSql: '', ...program([detach, steps.drop([dropSql(ref)])]) };
  return { ...base, kind: 'archive', boundSql: part.boundExpr, ...program(archiveSteps(ref, true, concurrently)), resume: false };
}

/** The program of an archive: (detach,) export, verify, manifest, and the drop unless afterArchive: keep. */
export type ArchiveSteps = (ref: PartitionRef, detach: boolean, concurrently: boolean) => Step[];

/**
 * What an archive runs: the statements the export session and the drop send (COPY with the
 * parent's non-generated columns, in its order, as the export reads them). Between them: the
 * upload, its verification and the manifest; the drop re-reads the table with the same COPY,
 * under ACCESS EXCLUSIVE, and drops it only if it still holds exactly the archived rows.
 */
export function archiveStepsFor(table: ObservedTable, parent: PartitionRef, archive: ArchiveSpec | undefined): ArchiveSteps {
  const exported = table.columns.filter((c) => !c.generated);
  const columns = exported.map((c) => c.name);
  // Parquet: the types without a faithful Parquet form are read as text (model/parquet-types.ts)
  const parquet = exported.map((c) => ({ name: c.name, asText: c.pg ? parquetColumn(pgColumnOf(c.name, c.pg, c.notNull ?? false)).asText : true }));
  return (ref, detach, concurrently) => {
    const partitioned = table.partitions.some((p) => p.name === ref.name && p.schema === ref.schema && p.isPartitioned);
    const format = archive?.format ?? 'csv';
    const copy = format === 'parquet' ? parquetCopySql(ref, parquet) : copyOutSql(ref, columns, format, partitioned);
    return [
      ...(detach ? [steps.detach(detachSql(parent, ref, concurrently))] : []),
      steps.export([lockTableSql(ref, 'SHARE'), copy]),
      steps.verify(),
      steps.manifest(),
      ...(archive?.afterArchive === 'keep' ? [] : [steps.drop([lockTableSql(ref, 'ACCESS EXCLUSIVE'), copy, dropSql(ref)])]),
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

/** Partitions this plan detaches, drops, archives or finalizes: nothing else is planned for them. */
export const leavingPartitions = (actions: readonly Action[]): Set<string> =>
  new Set(actions.filter((a) => a.kind === 'detach' || a.kind === 'drop' || a.kind === 'archive' || a.kind === 'finalize').map((a) => a.partition.name));

/**
 * The end every planner shares: the DEFAULT partition created last (new partitions attach first,
 * without a DEFAULT to scan), the default.maxRows check, and the plan's identity and health.
 */
export function finishPlan(policy: Policy, table: ObservedTable, usedNames: Set<string>, actions: Action[], problems: Problem[], defaultCount: DefaultRowCount | undefined): PolicyPlan {
  actions.unshift(...strayGuardActions(policy, table, actions));
  const def = defaultCreateAction(policy, table, usedNames);
  if (def && 'problem' in def) problems.push({ policy: policy.name, rule: 'naming', message: def.problem });
  else if (def) actions.push(def);
  const tooMany = defaultRowsProblem(policy, table, defaultCount);
  if (tooMany) problems.push(tooMany);
  const drift = planDrift(policy, table, leavingPartitions(actions));
  actions.push(...drift.actions);
  problems.push(...drift.problems);
  return { policy: policy.name, database: policy.database, table: displayName(policy.table), actions, problems, health: healthOf(table, defaultCount), ...(table.citus ? { citus: table.citus } : {}) };
}
