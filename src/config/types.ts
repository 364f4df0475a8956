import type { CalendarInterval } from '../time/duration.js';
import type { QualifiedName } from './qualified-name.js';

export interface DatabaseConfig {
  readonly name: string;
  /** Connection URL; contains secrets, never print it (see redactUrl). */
  readonly url: string;
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** Attempts per DDL statement when the lock is not available (lock_timeout fired). */
  readonly lockRetries: number;
  /** Base delay between lock retries; grows exponentially, with jitter. */
  readonly retryDelayMs: number;
  /** Pause after each executed action before the next one (0: none). */
  readonly actionPauseMs?: number;
}

export interface StorageConfig {
  readonly url: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  readonly sse?: string;
  readonly kmsKeyId?: string;
  readonly storageClass?: string;
  readonly checksumAlgorithm?: string;
}

/** The Kubernetes Lease of leader election mode "lease". */
export interface LeaseConfig {
  readonly name: string;
  readonly namespace?: string;
  readonly identity?: string;
  readonly durationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** Which replica acts: the holder of each database's advisory lock, or the holder of a Kubernetes Lease (and the lock, as a fence). */
export type LeaderElectionConfig = { readonly mode: 'advisory-lock' } | { readonly mode: 'lease'; readonly lease: LeaseConfig };

export interface Config {
  readonly file: string;
  readonly databases: ReadonlyMap<string, DatabaseConfig>;
  readonly storage?: StorageConfig;
  /** Directory or glob, resolved against the config file's directory. */
  readonly policies: string;
  readonly schedule: string;
  /** Longest random delay before a scheduled cycle starts. */
  readonly scheduleJitterMs: number;
  readonly listen: string;
  readonly stateSchema: string;
  /** Process vs database clock difference tolerated before a warning (and, at a fixed time, before removals wait). */
  readonly clockSkewToleranceMs?: number;
  readonly leaderElection?: LeaderElectionConfig;
}

/** Where in which file a policy was declared, for error messages. */
export interface Origin {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type RangeKeyInterval =
  | { readonly kind: 'calendar'; readonly interval: CalendarInterval }
  | { readonly kind: 'step'; readonly step: bigint };

export interface RangeSpec {
  readonly column: string;
  readonly interval: RangeKeyInterval;
  readonly premake: number;
  readonly timezone: string;
  readonly naming?: string;
  readonly startFrom?: string | bigint;
  /** An integer column holding times since 1970 in these units. */
  readonly epoch?: 'seconds' | 'milliseconds' | 'microseconds';
}

export interface DefaultSpec {
  readonly create: boolean;
  readonly maxRows: number;
  readonly relocate: boolean;
  readonly relocateBatchRows: number;
}

export interface ArchiveSpec {
  readonly format: 'csv' | 'binary' | 'parquet';
  /** csv, binary: the object's compression; parquet: the codec inside the file (zstd or snappy). */
  readonly compression: 'gzip' | 'zstd' | 'snappy' | 'none';
  /** parquet: rows per row group. */
  readonly rowGroupRows?: number;
  /** gzip 1-9 (default 1), zstd 1-19 (default 3). */
  readonly compressionLevel?: number;
  readonly verify: 'checksum' | 'full';
  /** partition: SPEC §3 only; hive: the verified Parquet file is published under `<db>/<schema>.<parent>/<hiveColumn>=<lower>/part-0.parquet`. */
  readonly layout: 'partition' | 'hive';
  /** layout hive: the path column's name (default `<range column>_from`). */
  readonly hiveColumn?: string;
  /** drop: the table is dropped once its archive is verified; keep: it stays, detached. */
  readonly afterArchive: 'drop' | 'keep';
}

export interface RetentionSpec {
  readonly keep?: CalendarInterval;
  readonly keepPartitions?: number;
  /** Most removals (detach, drop, archive) one run makes for the policy; the rest wait for the next runs. */
  readonly maxPerRun: number;
  /** The DBA confirmed removals the retention guard would refuse (retention.allowMassRemoval). */
  readonly allowMassRemoval: boolean;
  /** Range policies: what happens to an expired partition. List policies: list.onRemoved decides. */
  readonly action: 'archive' | 'detach' | 'drop';
  /** Set when action is archive. */
  readonly archive?: ArchiveSpec;
}

export interface Probe {
  readonly name: string;
  readonly query: string;
  readonly maxPartitionsScanned: number;
}

export interface HealthSpec {
  readonly maxPartitions?: number;
  /** Citus: most shards of all partitions together (partitions x shard_count). */
  readonly maxShards: number;
  readonly probes: readonly Probe[];
}

/**
 * What new partitions take that a partitioned parent cannot carry. Precedence, per parameter:
 * the policy's values, then the template table's (or, without one, the newest partition's).
 */
export interface TemplateSpec {
  readonly table?: QualifiedName;
  readonly storage: Readonly<Record<string, string>>;
  readonly toast: Readonly<Record<string, string>>;
  readonly unlogged?: boolean;
  readonly comment?: string;
}

/** Statistics: relocated partitions are always analyzed; `parent` also analyzes the partitioned table after partitions change. */
export interface AnalyzeSpec {
  readonly parent: boolean;
  /** The parent is analyzed at most this often. */
  readonly minIntervalMs: number;
}

interface PolicyBase {
  readonly name: string;
  readonly origin: Origin;
  readonly database: string;
  readonly table: QualifiedName;
  readonly schedule?: string;
  readonly default: DefaultSpec;
  readonly retention?: RetentionSpec;
  readonly health: HealthSpec;
  readonly analyze: AnalyzeSpec;
  readonly template?: TemplateSpec;
  /** repair: drifted partitions are set back to the parent's owner, grants, replica identity, template parameters; report: only said. */
  readonly drift: 'repair' | 'report';
}

/** A list partition value as written in YAML; null stands for SQL NULL. */
export type ListValue = string | number | boolean | null;

export interface DeclaredListPartition {
  /** The key in the partitions map: the {key} of the name template. */
  readonly key: string;
  readonly values: readonly ListValue[];
}

export interface ListSpec {
  readonly column: string;
  readonly partitions: readonly DeclaredListPartition[];
  readonly naming: string;
  readonly onRemoved: 'keep' | 'detach' | 'archive';
}

export interface HashSpec {
  readonly column: string;
  readonly modulus: number;
  readonly naming: string;
}

/** Each new range child is itself partitioned by hash or list. */
export type SubpartitionSpec =
  | { readonly strategy: 'hash'; readonly column: string; readonly modulus: number }
  | { readonly strategy: 'list'; readonly column: string; readonly partitions: readonly DeclaredListPartition[] };

/** retention.afterAge: partitions whose upper bound <= now - age are rewritten with this table access method. */
export interface TieringSpec {
  readonly age: CalendarInterval;
  readonly accessMethod: string;
  /** Most partitions one run converts (retention.maxPerRun): each is a rewrite. */
  readonly maxPerRun: number;
}

export interface RangePolicy extends PolicyBase {
  readonly strategy: 'range';
  readonly range: RangeSpec;
  readonly subpartition?: SubpartitionSpec;
  readonly tiering?: TieringSpec;
}

export interface ListPolicy extends PolicyBase {
  readonly strategy: 'list';
  readonly list: ListSpec;
}

export interface HashPolicy extends PolicyBase {
  readonly strategy: 'hash';
  readonly hash: HashSpec;
}

export type Policy = RangePolicy | ListPolicy | HashPolicy;
