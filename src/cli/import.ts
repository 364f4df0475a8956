import { parseArgs } from 'node:util';
import { policyFromPartman, type IntervalParts, type PartmanConfig } from '../config/from-pg-partman.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import { connect } from '../db/connect.js';
import { EXTENSIONS_SQL, importPartConfigSql } from '../sql/partman.js';
import { UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';

interface Row {
  parent_table: string; control: string; partition_interval: string; interval_parts: IntervalParts | null; premake: number; epoch: string;
  retention: string | null; retention_parts: IntervalParts | null; retention_keep_table: boolean; retention_schema: string | null;
  datetime_string: string | null; template_table: string | null; template_reloptions: string | null; inherit_privileges: boolean;
  automatic_maintenance: string; has_default: boolean; sub_partitioned: boolean;
}

const toConfig = (r: Row): PartmanConfig => ({
  parentTable: r.parent_table, control: r.control, partitionInterval: r.partition_interval, intervalParts: r.interval_parts, premake: r.premake, epoch: r.epoch,
  retention: r.retention, retentionParts: r.retention_parts, retentionKeepTable: r.retention_keep_table, retentionSchema: r.retention_schema,
  datetimeString: r.datetime_string, templateTable: r.template_table, templateReloptions: r.template_reloptions, inheritPrivileges: r.inherit_privileges,
  automaticMaintenance: r.automatic_maintenance, hasDefault: r.has_default, subPartitioned: r.sub_partitioned,
});

/**
 * `partwarden import pg-partman --db NAME [--table SCHEMA.TABLE]`: prints, for every table in
 * pg_partman's part_config, the policy that does what pg_partman does for it (YAML documents, the
 * review notes as comments). Changes nothing; the config file gives the database's URL only.
 */
export async function importCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const [source, ...rest] = args;
  if (source !== 'pg-partman') throw new UsageError(`unknown import source ${JSON.stringify(source ?? '')} (use: import pg-partman --db NAME)`);
  let values: { config?: string; db?: string; table?: string };
  try {
    values = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, table: { type: 'string' } }, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const file = values.config ?? process.env.PARTWARDEN_CONFIG ?? 'partwarden.yaml';
  const problems: ConfigProblem[] = [];
  const config = loadConfigFile(file, process.env, problems);
  if (!config) throw new ConfigError(problems);
  const name = values.db ?? (config.databases.size === 1 ? [...config.databases.keys()][0] : undefined);
  const db = name === undefined ? undefined : config.databases.get(name);
  if (!db) throw new UsageError(`--db: name one of the config's databases (${[...config.databases.keys()].join(', ')})`);
  const client = await connect(db);
  try {
    const schema = (await client.query<{ partman: string | null; partman_version: string | null }>(EXTENSIONS_SQL)).rows[0]!;
    if (schema.partman === null) {
      io.err(`database ${db.name}: pg_partman is not installed; nothing to import`);
      return EXIT.FAILURE;
    }
    const rows = (await client.query<Row>(importPartConfigSql(schema.partman), [values.table ?? null])).rows;
    io.out(`# yaml-language-server: $schema=../schema/policy.schema.json\n# imported from pg_partman ${schema.partman_version} (${schema.partman}.part_config) in database ${db.name}: review, then partwarden validate --db and plan`);
    for (const imported of rows.map((r) => policyFromPartman(toConfig(r), db.name, schema.partman!))) {
      if (imported.yaml) io.out(`---\n${imported.yaml}`);
      else io.err(`${imported.table}: not imported: ${imported.notes.join('; ')}`);
    }
    if (rows.length === 0) io.err(`database ${db.name}: ${schema.partman}.part_config lists no table${values.table ? ` named ${values.table}` : ''}`);
    return EXIT.OK;
  } finally {
    await client.end().catch(() => undefined);
  }
}
