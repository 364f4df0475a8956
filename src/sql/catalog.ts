import { parquetTypeSql } from './parquet.js';
import { quoteIdent, quoteLiteral, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';

/*
 * The per-table lookups of an observation, pure and tested by exact string. Each is one branch
 * of a UNION ALL (observe runs them for 50 tables at a time) returning a row tagged with `i`.
 */

const q = (t: PartitionRef) => quoteQualified(t.schema, t.name);

/**
 * An integer policy's current point and its DEFAULT's maximum: `m` is max(key) of the rows below
 * `upperLiteral` (the newest partition's upper bound; one index probe per partition at most, and
 * rows in DEFAULT above every partition are out of range), `d` the DEFAULT's own max(key).
 */
export function maxKeysSql(i: number, parent: PartitionRef, column: string, upperLiteral: string | undefined, defaultPartition: PartitionRef | undefined): string {
  const col = quoteIdent(column);
  const m = upperLiteral === undefined ? 'NULL' : `(SELECT max(${col}) FROM ${q(parent)} WHERE ${col} < ${upperLiteral})`;
  const d = defaultPartition ? `(SELECT max(${col}) FROM ${q(defaultPartition)})` : 'NULL';
  return `SELECT ${i} AS i, ${m}::text AS m, ${d}::text AS d`;
}

/** Whether a partition holds at least one row (the first visible tuple ends the scan). */
export function holdsRowsSql(t: PartitionRef): string {
  return `SELECT ${quoteLiteral(t.schema)}::text AS s, ${quoteLiteral(t.name)}::text AS n, EXISTS (SELECT 1 FROM ${q(t)}) AS has`;
}

/** Rows of a DEFAULT partition, counted up to `limit` + 1 (bounded cost; the planner's estimate above). */
export function boundedCountSql(i: number, t: PartitionRef, limit: number): string {
  return `SELECT ${i} AS i, (SELECT count(*) FROM (SELECT 1 FROM ${q(t)} LIMIT ${limit + 1}) s)::int8 AS n`;
}

/** Which of the predicates match a row of `t`: one branch each, present when it matches. */
export function matchesSql(t: PartitionRef, predicates: readonly string[]): string {
  return predicates.map((p, i) => `SELECT ${i} AS i WHERE EXISTS (SELECT 1 FROM ${q(t)} WHERE ${p})`).join(' UNION ALL ');
}

/**
 * A table's grants other than its owner's (aclexplode of relacl): as [grantee or null for PUBLIC,
 * privilege, grant option] JSON, and as a sorted text array to compare two tables' (grantors aside).
 */
export const grantsJson = (rel: string) =>
  `(SELECT coalesce(json_agg(json_build_array(CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable)), '[]')
                                  FROM aclexplode(${rel}.relacl) a WHERE a.grantee <> ${rel}.relowner)`;
const grantKeys = (rel: string) =>
  `(SELECT array_agg(g ORDER BY g) FROM (SELECT a.grantee::text || ':' || a.privilege_type || ':' || a.is_grantable::text FROM aclexplode(${rel}.relacl) a WHERE a.grantee <> ${rel}.relowner) x(g))`;

/**
 * Everything partwarden needs to know about all of a database's managed tables, in ONE query
 * (whatever the number of tables): relkind, partition strategy and key, columns, partitions
 * with their bounds and pending-detach state (pg_inherits.inhdetachpending, PG >= 14),
 * privileges and referencing foreign keys.
 */
export const READ_TABLES_SQL = `
WITH targets AS (
  SELECT t.schema_name, t.table_name, t.idx, c.oid AS relid, t.template_schema,
         (SELECT tc.oid FROM pg_namespace tn JOIN pg_class tc ON tc.relnamespace = tn.oid WHERE tn.nspname = t.template_schema AND tc.relname = t.template_name) AS template_oid
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(schema_name, table_name, template_schema, template_name, idx)
  LEFT JOIN pg_namespace n ON n.nspname = t.schema_name
  LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
),
-- pg_constraint has no index on confrelid: scan it once for all tables, not once per table
fks AS (
  SELECT con.confrelid, json_agg(con.conrelid::regclass::text) AS referenced_by
    FROM pg_constraint con
   WHERE con.contype = 'f' AND con.confrelid IN (SELECT relid FROM targets WHERE relid IS NOT NULL)
   GROUP BY con.confrelid
),
-- foreign keys that reference one partition itself (not clones of a key on the parent: conparentid = 0): its DROP fails
part_fks AS (
  SELECT i.inhparent, json_agg(json_build_array(ch.relname, con.conrelid::regclass::text, con.conname) ORDER BY ch.relname, con.conname) AS fks
    FROM pg_constraint con
    JOIN pg_inherits i ON i.inhrelid = con.confrelid
    JOIN pg_class ch ON ch.oid = con.confrelid
   WHERE con.contype = 'f' AND con.conparentid = 0 AND i.inhparent IN (SELECT relid FROM targets WHERE relid IS NOT NULL)
   GROUP BY i.inhparent
)
SELECT t.idx::int AS idx,
       c.oid::int8 AS oid,
       c.relkind::text AS relkind,
       pt.partstrat::text AS partstrat,
       -- a domain's key also shows its base type (domains over domains followed to the end)
       (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'base',
                 (WITH RECURSIVE d AS (
                    SELECT ty.oid, ty.typtype, ty.typbasetype, ty.typtypmod, a.atttypmod AS mod FROM pg_type ty WHERE ty.oid = a.atttypid AND ty.typtype = 'd'
                    UNION ALL SELECT b.oid, b.typtype, b.typbasetype, b.typtypmod, d.typtypmod FROM d JOIN pg_type b ON b.oid = d.typbasetype WHERE d.typtype = 'd')
                  SELECT format_type(d.oid, d.mod) FROM d WHERE d.typtype <> 'd')) ORDER BY k.ord), '[]')
          FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
          LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum AND k.attnum <> 0) AS key_columns,
       (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'generated', a.attgenerated <> '', 'notNull', a.attnotnull, 'pg', ${parquetTypeSql('a')}) ORDER BY a.attnum), '[]')
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       -- one positional array per partition (see RawPartition): a 13-key object for each of
       -- 32,000 partitions was half of this query's time; the extras exist for the DEFAULT and
       -- partitioned children only
       (SELECT coalesce(json_agg(json_build_array(
                 ch.oid::int8, chn.nspname, ch.relname, pg_get_expr(ch.relpartbound, 0), i.inhdetachpending, ch.relkind, ch.reltuples,
                 CASE WHEN ch.relkind = 'p' OR ch.oid = pt.partdefid THEN json_build_object(
                   -- a partitioned child: its own strategy, key column and partitions (one level down)
                   'substrat', cpt.partstrat,
                   'subkey', CASE WHEN ch.relkind = 'p' THEN (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = ch.oid AND a.attnum = cpt.partattrs[0] AND cpt.partnatts = 1) END,
                   'sub', CASE WHEN ch.relkind = 'p' THEN (
                     SELECT coalesce(json_agg(json_build_array(g.oid::int8, gn.nspname, g.relname, pg_get_expr(g.relpartbound, 0), i2.inhdetachpending, g.relkind, g.reltuples) ORDER BY g.relname), '[]')
                       FROM pg_inherits i2 JOIN pg_class g ON g.oid = i2.inhrelid JOIN pg_namespace gn ON gn.oid = g.relnamespace
                      WHERE i2.inhparent = ch.oid) END,
                   -- the DEFAULT's heap size: 0 bytes means no rows at all, and its row count is skipped
                   'heap_bytes', CASE WHEN ch.oid = pt.partdefid AND ch.relkind = 'r' THEN pg_relation_size(ch.oid) END,
                   -- CHECK constraints partwarden adds to a DEFAULT partition while attaching next to it
                   'pending_checks', CASE WHEN ch.oid = pt.partdefid THEN (SELECT coalesce(json_agg(con.conname ORDER BY con.conname), '[]') FROM pg_constraint con
                                       WHERE con.conrelid = ch.oid AND con.contype = 'c' AND con.conname LIKE 'partwarden\\_pending\\_%') END)
                 END,
                 -- drift from the parent (planner/drift.ts): only for a partition that differs, so most rows carry null
                 CASE WHEN ch.relowner <> c.relowner
                        OR (ch.relacl IS DISTINCT FROM c.relacl AND grants.parent IS DISTINCT FROM ${grantKeys('ch')})
                        OR (ch.relkind = 'r' AND c.relreplident <> 'd' AND ch.relreplident <> c.relreplident)
                        OR (ch.relkind = 'r' AND c.reltablespace <> 0 AND ch.reltablespace <> c.reltablespace)
                   THEN json_build_object(
                     'owner', pg_get_userbyid(ch.relowner),
                     'grants', ${grantsJson('ch')},
                     'replident', ch.relreplident::text,
                     'tablespace', (SELECT spcname FROM pg_tablespace WHERE oid = ch.reltablespace)) END,
                 ch.reloptions,
                 -- a table access method other than heap (oid 2), such as columnar (retention.afterAge)
                 CASE WHEN ch.relkind = 'r' AND ch.relam <> 2 THEN (SELECT am.amname FROM pg_am am WHERE am.oid = ch.relam) END
                 ) ORDER BY ch.relname), '[]')
          FROM pg_inherits i
          JOIN pg_class ch ON ch.oid = i.inhrelid
          JOIN pg_namespace chn ON chn.oid = ch.relnamespace
          LEFT JOIN pg_partitioned_table cpt ON cpt.partrelid = ch.oid
         WHERE i.inhparent = c.oid) AS partitions,
       CASE WHEN c.oid IS NULL THEN false ELSE pg_has_role(c.relowner, 'USAGE') END AS can_manage,
       CASE WHEN n.oid IS NULL THEN false ELSE has_schema_privilege(n.oid, 'CREATE') END AS can_create,
       coalesce(fks.referenced_by, '[]') AS referenced_by,
       coalesce(part_fks.fks, '[]') AS partition_fks,
       -- pg_partman's schema when it is installed (reconcile/managed-elsewhere.ts reads its part_config then)
       (SELECT en.nspname FROM pg_extension e JOIN pg_namespace en ON en.oid = e.extnamespace WHERE e.extname = 'pg_partman') AS partman_schema,
       -- Citus' version when it is installed (reconcile/citus.ts reads pg_dist_partition then)
       (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'citus') AS citus_version,
       -- table access methods installed (retention.afterAge converts to one of them)
       (SELECT coalesce(array_agg(am.amname::text ORDER BY am.amname), '{}') FROM pg_am am WHERE am.amtype = 't') AS table_ams,
       -- what a new partition must carry from the parent (planner/dress.ts)
       CASE WHEN c.oid IS NOT NULL THEN json_build_object(
         'owner', pg_get_userbyid(c.relowner),
         'current_role', current_user,
         -- ALTER ... OWNER needs the right to SET ROLE to the owner (MEMBER before 16) and the owner's CREATE on the schema
         'may_set_owner', CASE WHEN current_setting('server_version_num')::int >= 160000 THEN pg_has_role(c.relowner, 'SET') ELSE pg_has_role(c.relowner, 'MEMBER') END,
         'owner_can_create', has_schema_privilege(c.relowner, n.oid, 'CREATE'),
         'grants', ${grantsJson('c')},
         'replident', c.relreplident::text,
         'replident_index', (SELECT json_build_array(xn.nspname, xc.relname) FROM pg_index x JOIN pg_class xc ON xc.oid = x.indexrelid JOIN pg_namespace xn ON xn.oid = xc.relnamespace
                              WHERE x.indrelid = c.oid AND x.indisreplident),
         'tablespace', (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace),
         'access_method', (SELECT amname FROM pg_am WHERE oid = c.relam)) END AS dress,
       -- what a parent cannot carry (storage parameters, TOAST parameters, UNLOGGED, a comment): from the
       -- policy's template table, else from the newest partition (the highest OID: the last created)
       CASE WHEN t.template_schema IS NOT NULL AND t.template_oid IS NULL THEN json_build_object('missing', true)
            WHEN c.oid IS NOT NULL THEN (
         SELECT json_build_object('source', xn.nspname || '.' || x.relname, 'is_template', t.template_oid IS NOT NULL, 'reloptions', x.reloptions,
                                  'toast', tx.reloptions, 'unlogged', x.relpersistence = 'u', 'comment', obj_description(x.oid, 'pg_class'))
           -- the source's OID first (OFFSET 0 keeps it a value): a coalesce() in the join condition would scan pg_class per table
           -- and max() of a cast: ORDER BY oid DESC LIMIT 1 walks pg_inherits by inhrelid, backwards, across all tables
           FROM (SELECT coalesce(t.template_oid, (SELECT max(i.inhrelid::int8)::oid FROM pg_inherits i
                                                   WHERE i.inhparent = c.oid AND i.inhrelid IS DISTINCT FROM pt.partdefid)) AS oid OFFSET 0) src
           -- (a sub-partitioned newest child has no storage of its own: no template then)
           JOIN pg_class x ON x.oid = src.oid AND (x.relkind = 'r' OR t.template_oid IS NOT NULL)
           JOIN pg_namespace xn ON xn.oid = x.relnamespace LEFT JOIN pg_class tx ON tx.oid = x.reltoastrelid) END AS template
FROM targets t
LEFT JOIN pg_class c ON c.oid = t.relid
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
-- the parent's grants (not the owner's), once per table, to compare each partition's with
LEFT JOIN LATERAL (SELECT ${grantKeys('c')} AS parent) grants ON true
LEFT JOIN fks ON fks.confrelid = c.oid
LEFT JOIN part_fks ON part_fks.inhparent = c.oid
ORDER BY t.idx`;

/** A row if the table holds any (the cheapest emptiness test: stops at the first row). */
export function anyRowSql(t: PartitionRef): string {
  return `SELECT 1 FROM ${q(t)} LIMIT 1`;
}
