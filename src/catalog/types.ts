/** One child of a partitioned table as the catalog shows it. */
export interface ObservedPartition {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** pg_get_expr(relpartbound): `FOR VALUES FROM (...) TO (...)` or `DEFAULT`. */
  readonly boundExpr: string;
  readonly isDefault: boolean;
  /** `pg_inherits.inhdetachpending`: a DETACH CONCURRENTLY was interrupted (PG >= 14). */
  readonly detachPending: boolean;
  /** relkind 'p': the child is itself partitioned. */
  readonly isPartitioned: boolean;
  readonly estimatedRows: number;
  /** For a partitioned child: how it is partitioned and its own partitions. */
  readonly sub?: {
    readonly strategy: 'range' | 'list' | 'hash' | null;
    /** Single key column (null for an expression or a multi-column key). */
    readonly column: string | null;
    readonly partitions: readonly ObservedPartition[];
  };
  /** Names of `partwarden_pending_<hash>` CHECK constraints (on a DEFAULT partition). */
  readonly pendingChecks?: readonly string[];
  /** A plain DEFAULT partition's heap size (pg_relation_size): 0 means it holds no row. */
  readonly heapBytes?: number;
  /** Set when the partition differs from its parent in owner, grants, replica identity or tablespace: what it has. */
  readonly drift?: PartitionDrift;
  /** Storage parameters (`name=value`), when it has any. */
  readonly reloptions?: readonly string[];
  /** Its table access method when not heap (e.g. columnar). */
  readonly accessMethod?: string;
}

/** What a drifted partition has (compare with the parent's ParentDress). */
export interface PartitionDrift {
  readonly owner: string;
  readonly grants: readonly AclGrant[];
  readonly replicaIdentity: ParentDress['replicaIdentity'];
  readonly tablespace?: string;
}

export interface ObservedColumn {
  readonly name: string;
  readonly type: string;
  readonly generated: boolean;
  readonly notNull?: boolean;
  /** The type as a Parquet export sees it (sql/parquet.ts): decides which columns go as text. */
  readonly pg?: readonly [typname: string, elem: string | null, typmod: number];
}

/** One privilege of a table's ACL (aclexplode), for a grantee other than the owner. */
export interface AclGrant {
  /** null: PUBLIC. */
  readonly grantee: string | null;
  /** SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN. */
  readonly privilege: string;
  readonly grantable: boolean;
}

/**
 * What a new partition must carry from its parent that PostgreSQL does not copy by itself with
 * CREATE TABLE ... LIKE (and partly not even with PARTITION OF): owner, grants, replica identity,
 * tablespace, access method.
 */
export interface ParentDress {
  readonly owner: string;
  /** The connected role (a partition it creates is its own until given to the owner). */
  readonly currentRole: string;
  /** Whether this role may give a table to the owner (ALTER ... OWNER: SET on the owner role; MEMBER before PostgreSQL 16). */
  readonly maySetOwner: boolean;
  /** ALTER ... OWNER also needs the owner's CREATE on the schema. */
  readonly ownerCanCreate: boolean;
  readonly grants: readonly AclGrant[];
  readonly replicaIdentity: 'default' | 'full' | 'nothing' | 'index';
  /** The parent's replica identity index (replicaIdentity: index). */
  readonly replicaIndex?: { readonly schema: string; readonly name: string };
  /** Not the database's default. */
  readonly tablespace?: string;
  /** Set on the parent (PostgreSQL >= 17). */
  readonly accessMethod?: string;
}

/** A policy's parent table as the catalog shows it (`exists: false` when missing). */
export interface ObservedTable {
  readonly exists: boolean;
  readonly oid: number;
  /** 'p' partitioned table, 'r' plain table, 'v' view, ... */
  readonly relkind: string;
  /** 'r' range, 'l' list, 'h' hash; null when not partitioned. */
  readonly strategy: 'range' | 'list' | 'hash' | null;
  /** Partition key columns with format_type() types (and a domain's base type); an expression key shows as name `null`. */
  readonly keyColumns: readonly { readonly name: string | null; readonly type: string; readonly baseType?: string }[];
  readonly columns: readonly ObservedColumn[];
  readonly partitions: readonly ObservedPartition[];
  /** Whether the current role may run DDL on it (owner or member of the owning role). */
  readonly canManage: boolean;
  /** Whether the current role may create tables in the table's schema. */
  readonly canCreateInSchema: boolean;
  /** Tables with foreign keys that reference this table. */
  readonly referencedBy: readonly string[];
  /** The schema of the pg_partman extension, when the database has it (the same for every table). */
  readonly partmanSchema?: string;
  /** Table access methods installed in the database (pg_am, amtype 't'): heap, and e.g. columnar. */
  readonly tableAccessMethods?: readonly string[];
  /** How Citus holds the table (a Citus coordinator only; absent elsewhere). */
  readonly citus?: CitusTable;
  /** Foreign keys of other tables that reference one partition itself (its DROP would fail). */
  readonly partitionReferences?: readonly { readonly partition: string; readonly from: string; readonly constraint: string }[];
  /** Where new partitions take what a parent cannot carry from (absent: no partition yet, no template). */
  readonly template?: TemplateSource;
  /** What new partitions take from the parent (absent: nothing to carry, e.g. in planner tests). */
  readonly dress?: ParentDress;
}

/** A step of a multi-step action that finished before a crash, found in the journal. */
export interface OpenWork {
  readonly policy: string;
  readonly action: 'create' | 'relocate' | 'drop' | 'archive';
  readonly relid: number;
  readonly schema: string;
  readonly name: string;
  /** The table it was being attached to / detached from (the policy's table, or a sub-partitioned child). */
  readonly parent: { readonly schema: string; readonly name: string };
  /** The partition bound clause the work was for (`FOR VALUES ...`), for re-attaching. */
  readonly boundSql: string;
  readonly actionId: string;
  /** The table still exists with that OID and is not a partition. */
  readonly standalone: boolean;
}

/** From the journal, for analyze: parent (ms since 1970, the database's clock; null: not within 30 days). */
export interface ParentAnalysis {
  readonly analyzedAtMs: number | null;
  readonly changedAtMs: number | null;
}

/** Storage parameters, TOAST parameters, persistence and comment of a table new partitions copy. */
export interface TemplateSource {
  /** The policy names a template table that does not exist. */
  readonly missing?: boolean;
  /** `schema.name` of the table they come from. */
  readonly source?: string;
  /** From the policy's template table (else from the newest partition). */
  readonly isTemplate?: boolean;
  /** `name=value`, as pg_class.reloptions holds them. */
  readonly reloptions: readonly string[];
  readonly toastOptions: readonly string[];
  readonly unlogged: boolean;
  readonly comment?: string;
}

/** A table in Citus' metadata (pg_dist_partition), as the coordinator sees it. */
export interface CitusTable {
  readonly version: string;
  /** distributed (sharded by a column), reference (a copy on every node), local (on the coordinator), or none (not in Citus' metadata). */
  readonly kind: 'distributed' | 'reference' | 'local' | 'none';
  readonly distributionColumn: string | null;
  readonly colocationId: number | null;
  /** Shards of the parent itself (its shard_count). */
  readonly shardCount: number;
  /** Shards of all its partitions together (each partition has shardCount shards). */
  readonly partitionShards: number;
}
