/** Names of the violation rules (SPEC §4). */
export type ViolationRule =
  | 'future_partitions_low'
  | 'expired_attached'
  | 'default_rows'
  | 'coverage_gap'
  | 'too_many_partitions'
  | 'too_many_shards'
  | 'hash_remainder_missing'
  | 'hash_modulus_mismatch'
  | 'list_partition_missing'
  | 'list_partition_undeclared'
  | 'probe_not_pruned'
  | 'detached_pending_archive'
  | 'archive_failed'
  | 'policy_table_mismatch'
  | 'key_outlier'
  | 'managed_elsewhere'
  | 'partition_drift'
  | 'retention_guard';

import type { CitusTable } from '../catalog/types.js';
import type { PartitionRef } from '../model/refs.js';
import type { Step } from '../model/steps.js';

export type { PartitionRef };

/**
 * One small, named change. Plain data: `plan` prints it, tests assert on it, the journal stores
 * it. `steps` is its program; `sql` lists the statements in the order the executor sends them,
 * one statement per query.
 */
export type Action =
  | (ActionBase<'create'> & CreateDetails) // CREATE TABLE ... LIKE (and its sub-partitions), then ATTACH
  | (ActionBase<'relocate'> & RelocateDetails & CreateDetails) // CREATE TABLE ... LIKE, move rows out of DEFAULT in batches, ATTACH
  | (ActionBase<'attach'> & { readonly relid: number; readonly actionId: string; readonly moveBatchSql?: string; readonly defaultGuard?: DefaultGuard }) // resume a create/relocate whose ATTACH did not happen
  | ActionBase<'detach'> // retention action detach
  | (ActionBase<'drop'> & { readonly relid?: number; readonly actionId?: string }) // detach (if attached) then DROP
  | ActionBase<'finalize'> // DETACH ... FINALIZE of an interrupted concurrent detach
  | (ActionBase<'archive'> & ArchiveDetails) // detach (unless resuming), export, upload, verify, manifest, drop
  | (ActionBase<'cleanup'> & { readonly table: PartitionRef; readonly constraint: string }) // drop a guard constraint an interrupted run left on DEFAULT
  | (ActionBase<'tier'> & { readonly relid: number; readonly accessMethod: string }) // rewrite an old partition with another table access method (retention.afterAge)
  | ActionBase<'repair'> // set an existing partition's owner, grants, replica identity, storage parameters back to the parent's
  | ActionBase<'analyze'> // ANALYZE of the partitioned parent (analyze: parent) after partitions were added or removed
  | ActionBase<'convert'>; // partwarden convert: one step of turning the plain table into a partitioned one (planner/convert-plan.ts)

interface ActionBase<K extends string> {
  readonly kind: K;
  readonly policy: string;
  readonly partition: PartitionRef;
  /** `FOR VALUES FROM (...) TO (...)` (empty for actions that do not need bounds). */
  readonly boundSql: string;
  /** Human-readable bounds `[from, to)`. */
  readonly bounds: string;
  readonly reason: string;
  /** The program the executor runs, step by step (see model/steps.ts). */
  readonly steps: readonly Step[];
  /** All statements of `steps`, in order: what `plan` prints (never read by the executor). */
  readonly sql: readonly string[];
  /** The table the partition is attached to / detached from, when not the policy's table (a sub-partitioned child). */
  readonly parent?: PartitionRef;
  /** For detach/drop: whether DETACH ... CONCURRENTLY is used. */
  readonly concurrently?: boolean;
}

export interface CreateDetails {
  /** Statements that create the new (not yet attached) table, run in one transaction with its journal entry. */
  readonly createSql: readonly string[];
  /** Present when a non-empty DEFAULT partition exists: ATTACH without scanning it (see DefaultGuard). */
  readonly defaultGuard?: DefaultGuard;
}

/**
 * The CHECK-constraint route to ATTACH next to a DEFAULT partition: a constraint on DEFAULT that
 * excludes the new partition's rows is added NOT VALID, validated without blocking writes, and
 * dropped in the ATTACH's own transaction; ATTACH then skips its scan of DEFAULT.
 */
export interface DefaultGuard {
  readonly defaultPartition: PartitionRef;
  /** `partwarden_pending_<hash of the partition's name>`. */
  readonly constraint: string;
  /** ADD CONSTRAINT ... NOT VALID; absent when resuming with the constraint already in place. */
  readonly addSql?: string;
  readonly validateSql: string;
  /** Runs in the ATTACH's transaction. */
  readonly dropSql: string;
}

export interface ArchiveDetails {
  /** Resuming: the table is already detached (journal + catalog agree). */
  readonly resume: boolean;
  readonly relid?: number;
  readonly actionId?: string;
}

export interface RelocateDetails {
  readonly defaultPartition: PartitionRef;
  /** Statement that moves one batch; repeated until it moves no row. */
  readonly moveBatchSql: string;
}

export interface Problem {
  readonly policy: string;
  readonly rule: ViolationRule | 'unmanaged_partition' | 'naming';
  readonly partition?: string;
  readonly message: string;
  /** Overrides the rule's default: does this problem mean work could not be done (apply exits 1)? */
  readonly blocking?: boolean;
}

/** What a plan observed about the table, beyond actions: reported by plan/status, exported as metrics. */
export interface PolicyHealth {
  /** Attached partitions (the DEFAULT included). */
  readonly partitions: number;
  /** Rows in the DEFAULT partition: exact when counting was cheap, else the planner's estimate. */
  readonly defaultRows?: { readonly partition: string; readonly rows: number; readonly exact: boolean };
  /** Hash policies: rows of the fullest remainder / the mean (1 = even), from planner statistics. */
  readonly hashSkew?: number;
  /** Range policies, as attached now (before this plan's actions). */
  readonly range?: RangeHealth;
}

export interface RangeHealth {
  /** Attached partitions whose lower bound is ahead of now (or of max(key)). */
  readonly futurePartitions: number;
  /** Grid cells from the current one up to the premake horizon that no attached partition covers. */
  readonly missingAhead: number;
  /** Grid cells between the oldest kept partition and the current one that nothing covers. */
  readonly gapsBehind: number;
  /** Attached partitions past retention. */
  readonly expiredAttached: number;
  /** Lowest and highest finite bounds of the attached partitions, for display. */
  readonly oldestBound?: string;
  readonly newestBound?: string;
  /** Upper bound of the newest attached partition as Unix ms (time keys only). */
  readonly coverageEndMs?: number;
}

/** A removal the policy calls for that retention.maxPerRun leaves to a later run. */
export interface DeferredRemoval {
  readonly kind: Action['kind'];
  readonly partition: string;
  readonly bounds: string;
  readonly reason: string;
}

export interface PolicyPlan {
  readonly policy: string;
  readonly database: string;
  readonly table: string;
  readonly actions: readonly Action[];
  readonly problems: readonly Problem[];
  /** Upper bound of the newest partition after the plan is applied, for display. */
  readonly coverageEnd?: string;
  readonly health?: PolicyHealth;
  /** Removals beyond retention.maxPerRun: planned, shown, done by the next runs. */
  readonly deferred?: readonly DeferredRemoval[];
  /** On a Citus coordinator: how Citus holds the table. */
  readonly citus?: CitusTable;
}
