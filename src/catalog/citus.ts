import type pg from 'pg';
import { onCitus } from '../db/connect.js';
import { quoteQualified } from '../db/quote.js';
import { CITUS_TABLES_SQL, DISTRIBUTION_COLUMN_SQL } from '../sql/citus.js';
import type { CitusTable, ObservedTable } from './types.js';

interface Row { oid: string; kind: CitusTable['kind']; distribution_column: string | null; colocation_id: number | null; shard_count: number; partition_shards: number }

/**
 * On a Citus coordinator (`version`: the extension's, from the catalog query), how Citus holds each
 * of the given tables, by OID: one query on the coordinator's metadata, no worker asked; a table
 * Citus does not know is `none`. Partition OIDs are the coordinator's own (never tableoid, which
 * names worker shards there).
 */
export async function readCitus(client: pg.Client, version: string, oids: readonly number[]): Promise<Map<number, CitusTable>> {
  const rows = oids.length === 0 ? [] : (await client.query<Row>(CITUS_TABLES_SQL, [oids])).rows;
  const byOid = new Map(rows.map((r) => [Number(r.oid), r]));
  return new Map(oids.map((oid) => {
    const r = byOid.get(oid);
    const citus: CitusTable = r
      ? { version, kind: r.kind, distributionColumn: r.distribution_column, colocationId: r.colocation_id, shardCount: r.shard_count, partitionShards: r.partition_shards }
      : { version, kind: 'none', distributionColumn: null, colocationId: null, shardCount: 0, partitionShards: 0 };
    return [oid, citus];
  }));
}

/**
 * The table with how Citus holds it. A table in Citus' metadata keeps its rows in shards (on the
 * workers, or a shard table on the coordinator for a Citus local table): the coordinator's own
 * relation is an empty shell, so its size says nothing of the rows and is dropped (a DEFAULT is
 * then counted through the coordinator, never assumed empty).
 */
export function withCitus(t: ObservedTable, citus: CitusTable): ObservedTable {
  if (citus.kind === 'none') return { ...t, citus };
  return { ...t, citus, partitions: t.partitions.map(({ heapBytes: _shell, ...p }) => p) };
}

/** One line on how Citus holds the table, for validate --db and plan. */
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

/** The distribution column of a distributed Citus table; null for any other table, and off Citus. */
export async function distributionColumnOf(client: pg.Client, table: { schema: string; name: string }): Promise<string | null> {
  if (!onCitus(client)) return null;
  const r = await client.query<{ column: string }>(DISTRIBUTION_COLUMN_SQL, [quoteQualified(table.schema, table.name)]);
  return r.rows[0]?.column ?? null;
}

/** Why a distributed table is not archived in binary format (said by validate and by the archive). */
export const BINARY_ON_CITUS =
  "Citus exports a binary COPY (what binary and parquet archives read) as a SELECT whose rows arrive from the shards in no fixed order, so the archive could never be proven equal to the table before DROP: use retention.archive.format: csv (Citus streams CSV shard by shard)";
