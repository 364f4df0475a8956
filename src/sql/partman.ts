import { quoteIdent } from '../db/quote.js';

/*
 * What pg_partman (and its schedulers) still manage in this database: read to warn that two
 * tools would act on one table, and by `partwarden import pg-partman`.
 */

/** The schemas of the pg_partman and pg_cron extensions (null when not installed). */
export const EXTENSIONS_SQL = `SELECT (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman') AS partman,
       -- pg_cron's extension lives in pg_catalog; its tables are always in the schema cron
       (SELECT 'cron' FROM pg_extension WHERE extname = 'pg_cron') AS cron,
       (SELECT extversion FROM pg_extension WHERE extname = 'pg_partman') AS partman_version,
       -- pg_settings, not current_setting(): a role that may not read a setting gets no row instead of an error
       coalesce((SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'), '') ~ 'pg_partman_bgw'
         AND current_database() = ANY (string_to_array(replace(coalesce((SELECT setting FROM pg_settings WHERE name = 'pg_partman_bgw.dbname'), ''), ' ', ''), ',')) AS bgw`;

/** $1: parent tables as `schema.table`. The part_config rows of those tables. */
export const partConfigSql = (schema: string): string =>
  `SELECT parent_table, automatic_maintenance FROM ${quoteIdent(schema)}.part_config WHERE lower(parent_table) = ANY ($1::text[])`;

/** pg_cron jobs of this database that run pg_partman's maintenance. */
export const cronJobsSql = (schema: string): string =>
  `SELECT jobid::int8 AS jobid, schedule, command FROM ${quoteIdent(schema)}.job WHERE command ILIKE '%run_maintenance%' AND database = current_database() ORDER BY jobid`;

/**
 * Every part_config row, as `partwarden import pg-partman` reads it: the interval decomposed by
 * PostgreSQL (months, days, seconds) for time keys, the text for integer keys.
 */
const parts = (col: string) =>
  `CASE WHEN ${col} IS NULL OR ${col} ~ '^[0-9]+$' THEN NULL ELSE json_build_array(
         extract(year FROM ${col}::interval)::int * 12 + extract(month FROM ${col}::interval)::int,
         extract(day FROM ${col}::interval)::int,
         extract(epoch FROM (${col}::interval - date_trunc('day', ${col}::interval)))::int8) END`;

export const importPartConfigSql = (schema: string): string => `SELECT pc.parent_table, pc.control, pc.partition_interval, ${parts('pc.partition_interval')} AS interval_parts,
       pc.premake, pc.epoch, pc.retention, ${parts('pc.retention')} AS retention_parts, pc.retention_keep_table, pc.retention_schema, pc.datetime_string,
       pc.template_table, coalesce(pc.inherit_privileges, false) AS inherit_privileges, pc.automatic_maintenance,
       (SELECT array_to_string(c.reloptions, ', ') FROM pg_class c WHERE c.oid = to_regclass(pc.template_table)) AS template_reloptions,
       EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent AND pt.partdefid = i.inhrelid
                WHERE i.inhparent = to_regclass(pc.parent_table)) AS has_default,
       EXISTS (SELECT 1 FROM ${quoteIdent(schema)}.part_config_sub s WHERE s.sub_parent = pc.parent_table) AS sub_partitioned
  FROM ${quoteIdent(schema)}.part_config pc
 WHERE $1::text IS NULL OR lower(pc.parent_table) = lower($1)
 ORDER BY pc.parent_table`;
