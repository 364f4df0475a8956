import type pg from 'pg';
import type { CitusTable, ObservedTable } from '../catalog/types.js';
import { CITUS_TABLES_SQL } from '../sql/citus.js';

interface Row { oid: string; kind: CitusTable['kind']; distribution_column: string | null; colocation_id: number | null; shard_count: number; partition_shards: number }

/**
 * On a Citus coordinator, how Citus holds each observed table (one query on the coordinator's
 * metadata); a table Citus does not know is `none`. No query at all when the catalog query found
 * no Citus. Partition OIDs are the coordinator's own (never tableoid, which names worker shards).
 */
export async function withCitus(client: pg.Client, tables: readonly ObservedTable[]): Promise<ObservedTable[]> {
  const version = tables[0]?.citusVersion;
  if (version === undefined) return [...tables];
  const oids = tables.filter((t) => t.exists).map((t) => t.oid);
  const rows = oids.length === 0 ? [] : (await client.query<Row>(CITUS_TABLES_SQL, [oids])).rows;
  const byOid = new Map(rows.map((r) => [Number(r.oid), r]));
  return tables.map((t) => {
    if (!t.exists) return t;
    const r = byOid.get(t.oid);
    const citus: CitusTable = r
      ? { version, kind: r.kind, distributionColumn: r.distribution_column, colocationId: r.colocation_id, shardCount: r.shard_count, partitionShards: r.partition_shards }
      : { version, kind: 'none', distributionColumn: null, colocationId: null, shardCount: 0, partitionShards: 0 };
    return { ...t, citus };
  });
}

/** One line on how Citus holds the table, for validate --db, plan and status. */
export function describeCitus(c: CitusTable): string {
  switch (c.kind) {
    case 'distributed':
      return `Citus ${c.version}: distributed by ${c.distributionColumn ?? '?'} (${c.shardCount} shards, colocation ${c.colocationId ?? '-'}; partitions ${c.partitionShards} shards)`;
    case 'reference':
      return `Citus ${c.version}: reference table (a copy on every node)`;
    case 'local':
      return `Citus ${c.version}: Citus local table (on the coordinator)`;
    default:
      return `Citus ${c.version}: not distributed (a plain table of the coordinator)`;
  }
}
