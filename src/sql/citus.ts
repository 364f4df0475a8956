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
