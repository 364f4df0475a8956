import { quoteLiteral, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';

/**
 * Citus' metadata on a coordinator. $1: the tables' OIDs. How each is held (partmethod 'h' (and the
 * legacy 'a'/'r'): distributed; 'n' with repmodel 't': reference; 'n' otherwise: Citus local), its
 * distribution column, colocation group, and shard counts of the table and of its partitions, from
 * the coordinator's catalog alone (no worker is asked).
 */
export const CITUS_TABLES_SQL = `
SELECT p.logicalrelid::oid::int8 AS oid,
       CASE WHEN p.partmethod IN ('h', 'a', 'r') THEN 'distributed' WHEN p.repmodel = 't' THEN 'reference' ELSE 'local' END AS kind,
       CASE WHEN p.partkey IS NULL THEN NULL ELSE column_to_column_name(p.logicalrelid, p.partkey) END AS distribution_column,
       NULLIF(p.colocationid, 0) AS colocation_id,
       (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid)::int AS shard_count,
       (SELECT count(*) FROM pg_inherits i JOIN pg_dist_shard s ON s.logicalrelid = i.inhrelid WHERE i.inhparent = p.logicalrelid)::int AS partition_shards
  FROM pg_dist_partition p
 WHERE p.logicalrelid = ANY ($1::oid[])`;


/**
 * A table distributed like its parent (same column, shard count and colocation group), unless it
 * already is: rows moved into it then go from shard to shard and ATTACH copies nothing. Citus reads
 * the column as the exact attribute name and the table names as (quoted) SQL names.
 */
export function distributeColocatedSql(table: PartitionRef, column: string, parent: PartitionRef): string {
  const name = (t: PartitionRef) => quoteLiteral(quoteQualified(t.schema, t.name));
  return `SELECT create_distributed_table(${name(table)}, ${quoteLiteral(column)}, colocate_with => ${name(parent)}) WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = ${name(table)}::regclass)`;
}

/**
 * First in a transaction that modifies rows and then changes a distributed table's definition:
 * Citus refuses DDL on shards that the same transaction touched over several connections per
 * worker; sequential mode uses one.
 */
export const CITUS_SEQUENTIAL_SQL = "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'";

/** $1: a table (regclass). Its distribution column when it is a distributed (hash) Citus table; no row otherwise. */
export const DISTRIBUTION_COLUMN_SQL = `
SELECT column_to_column_name(logicalrelid, partkey) AS column
  FROM pg_dist_partition
 WHERE logicalrelid = $1::regclass AND partmethod = 'h'`;
