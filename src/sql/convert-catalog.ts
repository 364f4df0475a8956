import { quoteIdent, quoteQualified } from '../db/quote.js';
import type { PartitionRef } from '../model/refs.js';
import { grantsJson } from './catalog.js';

/*
 * What `partwarden convert` reads about a plain table before it plans anything: one query for the
 * table and everything that depends on it (catalog/plain-table.ts turns the row into PlainTable).
 * $1 schema, $2 table, $3 the name of the new parent while it is built, $4 the historical partition's name.
 */

export const PLAIN_TABLE_SQL = `
WITH t AS (
  SELECT c.* FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2
)
SELECT c.oid::int8 AS oid, c.relkind::text AS relkind, c.relpersistence::text AS persistence,
       pg_get_userbyid(c.relowner) AS owner, current_user AS current_role,
       pg_has_role(c.relowner, 'USAGE') AS can_manage,
       has_schema_privilege(c.relnamespace, 'CREATE') AS can_create,
       current_setting('server_version_num')::int AS server_version_num,
       obj_description(c.oid, 'pg_class') AS comment,
       c.relreplident::text AS replident, c.relrowsecurity AS rls, c.relforcerowsecurity AS rls_forced,
       ${grantsJson('c')} AS grants,
       (SELECT coalesce(json_agg(json_build_object(
                 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                 'base', (SELECT format_type(bt.typbasetype, bt.typtypmod) FROM pg_type bt WHERE bt.oid = a.atttypid AND bt.typtype = 'd'),
                 'not_null', a.attnotnull, 'identity', a.attidentity::text, 'generated', a.attgenerated::text,
                 'comment', col_description(c.oid, a.attnum),
                 -- column privileges (GRANT SELECT (col) ...): LIKE does not copy them
                 'grants', (SELECT coalesce(json_agg(json_build_array(CASE WHEN g.grantee = 0 THEN NULL ELSE pg_get_userbyid(g.grantee) END, g.privilege_type, g.is_grantable)), '[]')
                              FROM aclexplode(a.attacl) g WHERE g.grantee <> c.relowner),
                 'sequence', (SELECT json_build_array(sn.nspname, s.relname) FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace
                               WHERE s.oid = pg_get_serial_sequence(quote_ident($1) || '.' || quote_ident($2), a.attname)::regclass)) ORDER BY a.attnum), '[]')
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       -- indexes: the definition after USING (pg_get_indexdef's head is rebuilt for the new parent)
       (SELECT coalesce(json_agg(json_build_object(
                 'name', xc.relname, 'unique', x.indisunique, 'primary', x.indisprimary, 'valid', x.indisvalid, 'replident', x.indisreplident,
                 'constraint', con.conname, 'contype', con.contype::text, 'deferrable', con.condeferrable, 'deferred', con.condeferred,
                 'columns', (SELECT json_agg(CASE WHEN k.attnum = 0 THEN NULL ELSE (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = k.attnum) END ORDER BY k.ord)
                               FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) WHERE k.ord <= x.indnkeyatts),
                 'partial', x.indpred IS NOT NULL, 'expressions', x.indexprs IS NOT NULL, 'condef', pg_get_constraintdef(con.oid),
                 -- a plain btree on columns (nothing else: no opclass, order, INCLUDE, predicate): one that can be widened by the key
                 'simple', d.def = d.head || 'btree (' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                                                           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) || ')',
                 'tail', substr(d.def, length(d.head) + 1)) ORDER BY xc.relname), '[]')
          FROM pg_index x JOIN pg_class xc ON xc.oid = x.indexrelid
          -- the definition, and its head as pg_get_indexdef writes it for this table
          CROSS JOIN LATERAL (SELECT pg_get_indexdef(x.indexrelid) AS def, 'CREATE ' || CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' ||
                                     quote_ident(xc.relname) || ' ON ' || quote_ident($1) || '.' || quote_ident($2) || ' USING ' AS head) d
          LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = c.oid AND con.contype IN ('p', 'u', 'x')
         WHERE x.indrelid = c.oid) AS indexes,
       (SELECT coalesce(json_agg(json_build_object('name', con.conname, 'def', pg_get_constraintdef(con.oid), 'validated', con.convalidated,
                 'comment', obj_description(con.oid, 'pg_constraint'), 'no_inherit', con.connoinherit) ORDER BY con.conname), '[]')
          FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'c') AS checks,
       (SELECT coalesce(json_agg(json_build_object('name', con.conname, 'def', pg_get_constraintdef(con.oid), 'validated', con.convalidated) ORDER BY con.conname), '[]')
          FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'f') AS outgoing,
       (SELECT coalesce(json_agg(json_build_object('name', con.conname, 'schema', rn.nspname, 'table', r.relname, 'def', pg_get_constraintdef(con.oid),
                 'validated', con.convalidated, 'can_manage', pg_has_role(r.relowner, 'USAGE'), 'partitioned', r.relkind = 'p',
                 'columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)) ORDER BY rn.nspname, r.relname, con.conname), '[]')
          FROM pg_constraint con JOIN pg_class r ON r.oid = con.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE con.contype = 'f' AND con.confrelid = c.oid AND con.conrelid <> c.oid) AS incoming,
       (SELECT coalesce(json_agg(json_build_object('name', g.tgname, 'def', pg_get_triggerdef(g.oid), 'row', (g.tgtype & 1) = 1,
                 'transition', g.tgoldtable IS NOT NULL OR g.tgnewtable IS NOT NULL, 'enabled', g.tgenabled::text) ORDER BY g.tgname), '[]')
          FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) AS triggers,
       (SELECT coalesce(json_agg(json_build_object('name', p.policyname, 'permissive', p.permissive, 'cmd', p.cmd, 'roles', p.roles,
                 'qual', p.qual, 'with_check', p.with_check) ORDER BY p.policyname), '[]')
          FROM pg_policies p WHERE p.schemaname = $1 AND p.tablename = $2) AS policies,
       -- views on the table (their _RETURN rule depends on it): recreated on the new parent
       (SELECT coalesce(json_agg(json_build_object('schema', vn.nspname, 'name', v.relname, 'kind', v.relkind::text, 'def', pg_get_viewdef(v.oid),
                 'options', v.reloptions, 'can_manage', pg_has_role(v.relowner, 'USAGE')) ORDER BY vn.nspname, v.relname), '[]')
          FROM (SELECT DISTINCT rw.ev_class FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
                 WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND rw.ev_class <> c.oid) dv
          JOIN pg_class v ON v.oid = dv.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace) AS views,
       (SELECT coalesce(json_agg(rw.rulename ORDER BY rw.rulename), '[]') FROM pg_rewrite rw WHERE rw.ev_class = c.oid) AS rules,
       (SELECT coalesce(json_agg(p.oid::regprocedure::text ORDER BY 1), '[]') FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
         WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid) AS functions,
       (SELECT coalesce(json_agg(json_build_object('name', pb.pubname, 'via_root', pb.pubviaroot) ORDER BY pb.pubname), '[]')
          FROM pg_publication_rel pr JOIN pg_publication pb ON pb.oid = pr.prpubid WHERE pr.prrelid = c.oid) AS publications,
       (SELECT coalesce(json_agg(s.subname ORDER BY s.subname), '[]') FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid WHERE sr.srrelid = c.oid) AS subscriptions,
       (SELECT coalesce(json_agg(json_build_array(kn.nspname, k.relname) ORDER BY kn.nspname, k.relname), '[]')
          FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid JOIN pg_namespace kn ON kn.oid = k.relnamespace WHERE i.inhparent = c.oid) AS children,
       (SELECT coalesce(json_agg(json_build_array(kn.nspname, k.relname) ORDER BY kn.nspname, k.relname), '[]')
          FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhparent JOIN pg_namespace kn ON kn.oid = k.relnamespace WHERE i.inhrelid = c.oid) AS parents,
       (SELECT coalesce(json_agg(s.stxname ORDER BY s.stxname), '[]') FROM pg_statistic_ext s WHERE s.stxrelid = c.oid) AS statistics,
       (SELECT json_build_object('schema', qn.nspname, 'name', q.relname, 'partitioned', q.relkind = 'p', 'comment', obj_description(q.oid, 'pg_class'),
                                 'partitions', (SELECT coalesce(json_agg(pc.relname ORDER BY pc.relname), '[]') FROM pg_inherits pi JOIN pg_class pc ON pc.oid = pi.inhrelid WHERE pi.inhparent = q.oid))
          FROM pg_class q JOIN pg_namespace qn ON qn.oid = q.relnamespace WHERE qn.nspname = $1 AND q.relname = $3) AS temp_parent,
       EXISTS (SELECT 1 FROM pg_class q JOIN pg_namespace qn ON qn.oid = q.relnamespace WHERE qn.nspname = $1 AND q.relname = $4) AS history_taken,
       -- once converted: its partitions (the historical one carries the undo record in its comment)
       (SELECT coalesce(json_agg(json_build_object('name', pc.relname, 'bound', pg_get_expr(pc.relpartbound, pc.oid), 'comment', obj_description(pc.oid, 'pg_class'),
                 'indexes', (SELECT coalesce(json_agg(xc.relname ORDER BY xc.relname), '[]') FROM pg_index x JOIN pg_class xc ON xc.oid = x.indexrelid WHERE x.indrelid = pc.oid AND x.indisvalid))
                 ORDER BY pc.relname), '[]')
          FROM pg_inherits pi JOIN pg_class pc ON pc.oid = pi.inhrelid WHERE pi.inhparent = c.oid AND c.relkind = 'p') AS partitions
FROM t c`;

/**
 * The key's smallest and largest values as text (UTC, ISO: the connection's settings), and whether
 * any row has none. ORDER BY ... LIMIT 1 works for every btree type (uuid has no min()) and is one
 * index probe when the key is indexed.
 */
export function keyStatsSql(t: PartitionRef, column: string, uuid: boolean): string {
  const col = quoteIdent(column);
  const table = quoteQualified(t.schema, t.name);
  // a UUIDv7's first 48 bits are its millisecond: the bound of that millisecond reads back as a key
  const shown = uuid ? `substr(${col}::text, 1, 13) || '-7000-8000-000000000000'` : `${col}::text`;
  // the output is named k: ORDER BY "col" would otherwise sort by the text (an output column of that name wins)
  const end = (dir: string) => `(SELECT ${shown} AS k FROM ${table} WHERE ${col} IS NOT NULL ORDER BY ${table}.${col} ${dir} LIMIT 1)`;
  return `SELECT ${end('ASC')} AS lo, ${end('DESC')} AS hi, EXISTS (SELECT 1 FROM ${table} WHERE ${col} IS NULL) AS nulls`;
}
