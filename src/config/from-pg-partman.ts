/**
 * `partwarden import pg-partman`: one pg_partman `part_config` row as an equivalent policy, for a
 * DBA to review. Pure: the CLI reads the rows (sql/partman.ts). pg_partman 4.x and 5.x keep the
 * columns read here.
 */

/** [months, days, seconds] of an interval, as PostgreSQL decomposes it. */
export type IntervalParts = readonly [months: number, days: number, seconds: number];

export interface PartmanConfig {
  readonly parentTable: string;
  readonly control: string;
  /** The interval as pg_partman stores it (`1 day`, `1 mon`, `01:00:00`, `100000`). */
  readonly partitionInterval: string;
  /** Time intervals decomposed; null for an integer (id) interval. */
  readonly intervalParts: IntervalParts | null;
  readonly premake: number;
  readonly epoch: string;
  readonly retention: string | null;
  readonly retentionParts: IntervalParts | null;
  readonly retentionKeepTable: boolean;
  readonly retentionSchema: string | null;
  readonly datetimeString: string | null;
  readonly templateTable: string | null;
  readonly templateReloptions: string | null;
  readonly inheritPrivileges: boolean;
  readonly automaticMaintenance: string;
  readonly hasDefault: boolean;
  readonly subPartitioned: boolean;
}

export interface ImportedPolicy {
  readonly table: string;
  /** The policy document, with the review notes as YAML comments; undefined when it cannot be expressed. */
  readonly yaml?: string;
  readonly notes: readonly string[];
}

/** A time interval in policy words (`1 day`, `1 month`, `1 quarter`, `6 hours`), or undefined. */
export function intervalText([months, days, seconds]: IntervalParts): string | undefined {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (months > 0 && days === 0 && seconds === 0) {
    if (months % 12 === 0) return plural(months / 12, 'year');
    return months === 3 ? '1 quarter' : plural(months, 'month');
  }
  if (months === 0 && days > 0 && seconds === 0) return days % 7 === 0 ? plural(days / 7, 'week') : plural(days, 'day');
  if (months === 0 && days === 0 && seconds > 0 && seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  return undefined;
}

/** pg_partman's datetime_string (`YYYY_MM_DD`, `YYYY"q"Q`, `YYYY_MM_DD_HH24MI`) as a name template, or why not. */
export function namingFrom(datetimeString: string): { naming: string } | { why: string } {
  let out = '{table}_p';
  const tokens: Readonly<Record<string, string>> = { YYYY: '{YYYY}', MM: '{MM}', DD: '{DD}', HH24: '{HH}', Q: '{Q}', MI: '00', SS: '00' };
  for (let rest = datetimeString; rest.length > 0; ) {
    const quoted = /^"([^"]*)"/.exec(rest);
    const token = Object.keys(tokens).find((t) => rest.startsWith(t));
    if (quoted) {
      out += quoted[1];
      rest = rest.slice(quoted[0].length);
    } else if (token) {
      out += tokens[token];
      rest = rest.slice(token.length);
    } else if (/^[_\-.]/.test(rest)) {
      out += rest[0];
      rest = rest.slice(1);
    } else return { why: `datetime_string ${JSON.stringify(datetimeString)} has tokens partwarden's names do not have (${rest})` };
  }
  return { naming: out };
}

const yamlString = (s: string) => (/^[A-Za-z_][A-Za-z0-9_. /{}-]*$/.test(s) && !/^(true|false|null|yes|no|on|off)$/i.test(s) ? s : JSON.stringify(s));
const policyName = (table: string) => table.replace(/^[^.]*\./, '').replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]/, 'p$&').slice(0, 100);

/** The policy equivalent to one part_config row (what pg_partman does for the table today). */
export function policyFromPartman(c: PartmanConfig, database: string, configSchema: string): ImportedPolicy {
  const notes: string[] = [];
  const table = c.parentTable;
  if (c.epoch !== 'none') return { table, notes: [`epoch: ${c.epoch}: integer keys holding epoch times are not supported yet; kept out`] };
  if (c.subPartitioned) notes.push('pg_partman sub-partitions this table (part_config_sub): add a subpartition: section by hand if partwarden should create them');
  const time = c.intervalParts !== null;
  const interval = time ? intervalText(c.intervalParts!) : c.partitionInterval;
  if (interval === undefined) return { table, notes: [`partition_interval ${c.partitionInterval} is not a whole number of hours, days, weeks, months or years; kept out`] };
  const range = [`    column: ${yamlString(c.control)}`, `    interval: ${time ? interval : Number(interval)}`, `    premake: ${c.premake}`];
  if (time && c.datetimeString) {
    const n = namingFrom(c.datetimeString);
    if ('naming' in n) range.push(`    naming: ${JSON.stringify(n.naming)}`);
    else notes.push(`${n.why}: new partitions get partwarden's default names (existing ones are adopted by their bounds)`);
  }
  if (!time) range.push('    naming: "{table}_p{start}"');
  const spec = [`  database: ${yamlString(database)}`, `  table: ${yamlString(table)}`, '  strategy: range', '  range:', ...range];
  if (c.hasDefault) spec.push('  default:', '    create: true');
  if (c.templateTable) {
    spec.push(`  template: ${yamlString(c.templateTable)}`);
    notes.push(`template_table ${c.templateTable}${c.templateReloptions ? ` (storage parameters: ${c.templateReloptions})` : ''}: new partitions take its storage parameters, TOAST parameters, UNLOGGED and comment (template:); indexes and constraints come from the parent`);
  }
  spec.push(...retentionLines(c, time, Number(interval), notes));
  if (c.inheritPrivileges) notes.push('inherit_privileges: partwarden always gives new partitions the parent\'s grants and owner');
  notes.push(
    c.automaticMaintenance === 'on'
      ? `pg_partman still maintains this table: before applying, UPDATE ${configSchema}.part_config SET automatic_maintenance = 'off' WHERE parent_table = '${table.replaceAll("'", "''")}'`
      : `pg_partman's automatic maintenance of this table is off already`,
  );
  const yaml = [
    ...notes.map((n) => `# ${n}`),
    'apiVersion: partwarden/v1',
    'kind: PartitionPolicy',
    'metadata:',
    `  name: ${yamlString(policyName(table))}`,
    `  description: ${JSON.stringify(`imported from pg_partman (${configSchema}.part_config)`)}`,
    'spec:',
    ...spec,
  ].join('\n');
  return { table, yaml, notes };
}

/** pg_partman's retention as partwarden's (nothing when the table has none). */
function retentionLines(c: PartmanConfig, time: boolean, step: number, notes: string[]): string[] {
  if (c.retention === null || c.retention === '') return [];
  const action = c.retentionKeepTable || c.retentionSchema ? 'detach' : 'drop';
  if (c.retentionSchema) notes.push(`retention_schema ${c.retentionSchema}: pg_partman moves expired tables there; partwarden detaches them in place (or archives them: action: archive)`);
  if (time) {
    const keep = c.retentionParts ? intervalText(c.retentionParts) : undefined;
    if (!keep) {
      notes.push(`retention ${c.retention} is not a whole number of hours, days, weeks, months or years: set retention.keep by hand`);
      return [];
    }
    return ['  retention:', `    keep: ${keep}`, `    action: ${action}`];
  }
  const keepPartitions = Math.max(1, Math.ceil(Number(c.retention) / step));
  notes.push(`pg_partman removes id partitions below max(${c.control}) - ${c.retention}; keepPartitions: ${keepPartitions} keeps as many partitions holding rows (of ${step} ids each)`);
  return ['  retention:', `    keepPartitions: ${keepPartitions}`, `    action: ${action}`];
}
