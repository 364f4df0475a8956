import * as z from 'zod';
import { parseCalendarInterval, type CalendarInterval } from '../time/duration.js';
import { isValidTimeZone } from '../time/tz.js';
import { isValidCron } from './cron.js';
import { parseIdentifier, parseQualifiedName } from './qualified-name.js';
import type { DeclaredListPartition, ListValue, RangeKeyInterval } from './types.js';
import { checkedText, either, flag, listOf, mapOf, oneOf, parsedText, refuse, scalar, section, text, whole, type Refusal } from './zod-kit.js';

/**
 * The policy file, declared once: each key's type, default, description (for the generated
 * schema/policy.schema.json) and the transform from text to what it means. Rules that span
 * several keys are in policy-rules.ts.
 */

/** archive.rowGroupRows when unset: 10,000 rows keep an export's memory under 200 MB (docs/performance.md). */
export const DEFAULT_ROW_GROUP_ROWS = 10_000;

/** retention.maxPerRun: lets a daily or hourly policy catch up over a few runs, never a mass removal in one. */
export const DEFAULT_MAX_PER_RUN = 10;

/** retention.afterArchive when unset (not a zod default: afterArchive is only allowed with action: archive). */
export const DEFAULT_AFTER_ARCHIVE = 'drop';

export const cron = checkedText({ description: 'Cron expression (node-cron syntax, 5 or 6 fields).', examples: ['*/10 * * * *', '0 * * * *'] }, (v) =>
  isValidCron(v) ? undefined : `"${v}" is not a valid cron expression (e.g. "*/10 * * * *")`,
);

/** A key column as PostgreSQL reads it (like `table:`): unquoted folds to lower case, "Quoted" is exact. */
const column = (description: string) =>
  parsedText(description, (v) => {
    const id = parseIdentifier(v);
    return typeof id === 'string' ? refuse(id) : id.name;
  });

const table = parsedText({ description: 'Schema-qualified parent table; unquoted parts fold to lower case as in SQL.', examples: ['public.events', '"Sales"."Orders"'] }, (v) => {
  const q = parseQualifiedName(v);
  return typeof q === 'string' ? refuse(q) : q;
});

const calendarInterval = parsedText(
  { description: 'Calendar interval, e.g. "1 day", "1 month".', pattern: '^\\s*\\d*\\s*[A-Za-z]+\\s*$', examples: ['1 day', '1 week', '1 month'] },
  (v): RangeKeyInterval | Refusal => {
    const i = parseCalendarInterval(v);
    if (!i) return refuse(`expected an interval like "1 day", "1 week", "1 month" or an integer step, got ${JSON.stringify(v)}`);
    if (i.unit === 'hour' && 24 % i.count !== 0) return refuse(`an hourly interval must divide a day (1, 2, 3, 4, 6, 8, 12 or 24 hours), got ${i.count}`);
    return { kind: 'calendar', interval: i };
  },
);
const integerStep = whole('Integer step for integer keys.', { min: 1 }).transform((n): RangeKeyInterval => ({ kind: 'step', step: BigInt(n) }));

const duration = parsedText({ description: 'A partition expires when its upper bound <= now - keep (time keys).', examples: ['90 days', '12 months'] }, (v): CalendarInterval | Refusal => {
  const i = parseCalendarInterval(v);
  return i ?? refuse(`expected a duration like "90 days", "12 months" or "1 year", got ${JSON.stringify(v)}`);
});

/** Checks a name template's tokens; `required` must all appear so names are unique. */
function checkTemplate(template: string, known: readonly string[], required: readonly string[]): string | undefined {
  const used = new Set<string>();
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!known.includes(m[1]!)) return `unknown token {${m[1]}} (known: ${known.map((k) => `{${k}}`).join(' ')})`;
    used.add(m[1]!);
  }
  if (/[{}]/.test(template.replace(/\{[^}]*\}/g, ''))) return 'unbalanced { or }';
  const missing = required.filter((t) => !used.has(t));
  return missing.length > 0 ? `the name must contain ${missing.map((t) => `{${t}}`).join(' ')}, or two partitions would get the same name` : undefined;
}

const template = (d: { description: string; examples: readonly string[] }, known: readonly string[], required: readonly string[]) =>
  checkedText(d, (v) => checkTemplate(v, known, required));

export function formatListValue(v: ListValue): string {
  return v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Partition key -> values; a value belongs to one partition only. Read as the ordered list of partitions. */
const listPartitions = mapOf(
  'Partition key (the name suffix) -> its values: strings, numbers, true/false, dates as strings, null for NULL.',
  listOf('Values of this partition.', scalar('A value (quote numbers that must keep their exact spelling, e.g. "1.50").'), 1),
  1,
)
  .superRefine((m, ctx) => {
    const owner = new Map<string, string>();
    for (const [key, values] of Object.entries(m)) {
      if (key.length === 0) ctx.addIssue({ code: 'custom', message: 'a partition key must not be empty', input: m });
      values.forEach((value, i) => {
        const id = value === null ? 'null' : `${typeof value}:${String(value)}`;
        const other = owner.get(id);
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: [key, i], input: value, message: `value ${formatListValue(value)} is already declared in partition "${other}"; a value can belong to one partition only` });
        else owner.set(id, key);
      });
    }
  })
  .transform((m): DeclaredListPartition[] => Object.entries(m).map(([key, values]) => ({ key, values })));

const range = section('Range partitioning: time or integer ranges.', {
  column: column('The partition key column (timestamptz, timestamp, date, smallint, integer or bigint); read like table: unquoted folds to lower case, write \'"OccurredAt"\' for mixed case.'),
  interval: either(
    calendarInterval,
    integerStep,
    'a duration like "1 day" or a positive whole number',
    'Width of one partition: "N hour|day|week|month|quarter|year" for time keys, or an integer step for integer keys.',
  ),
  premake: whole('Partitions that must exist ahead of now (or ahead of max(key) for integer keys).', { min: 1, max: 1000 }).default(4),
  timezone: checkedText({ description: 'IANA time zone in which time boundaries are aligned (DST-safe).', examples: ['UTC', 'Europe/Paris', 'America/New_York'] }, (v) =>
    isValidTimeZone(v) ? undefined : `unknown time zone ${JSON.stringify(v)} (use an IANA name like "Europe/Paris" or "UTC")`,
  ).default('UTC'),
  naming: text({
    description: 'Partition name template. Tokens: {table} {schema} {YYYY} {MM} {DD} {HH} {Q} {start} {end}. Default depends on the interval.',
    examples: ['{table}_p{YYYY}{MM}{DD}', '{table}_p{YYYY}{MM}', '{table}_p{start}'],
  }).optional(),
  epoch: oneOf(
    ['seconds', 'milliseconds', 'microseconds'],
    'The integer key column holds times since 1970 in these units: time intervals, time zones and keep work as for timestamptz, bounds are written as integers.',
  ).optional(),
  startFrom: either(
    z.string().meta({ description: 'Date or timestamp (ISO 8601).', pattern: '^\\d{4}-\\d{2}-\\d{2}' }),
    whole('Integer key value.').transform((n) => BigInt(n)),
    'a date like 2024-01-01 or a whole number',
    'Backfill from here when bootstrapping: a date/time for time keys, an integer for integer keys.',
  ).optional(),
});

const archive = section('Archive settings (action: archive).', {
  format: oneOf(['csv', 'binary', 'parquet'], 'csv (with a header row), binary (COPY binary) or parquet (queryable in place by DuckDB, Athena, Spark, Trino).').default('csv'),
  compression: oneOf(['gzip', 'zstd', 'snappy', 'none'], 'csv and binary: gzip (their default), zstd (Node.js >= 22.15) or none; parquet, inside the file: zstd (its default) or snappy.').optional().meta({ default: 'gzip (parquet: zstd)' }),
  rowGroupRows: whole('parquet: rows per row group (memory grows with it).', { min: 1000, max: 1_000_000 }).optional().meta({ default: DEFAULT_ROW_GROUP_ROWS }),
  compressionLevel: whole('gzip 1-9 (default 1: fast, parallel), zstd 1-19 (default 3). Higher is smaller and slower.', { min: 1, max: 19 }).optional(),
  verify: oneOf(['checksum', 'full'], 'checksum (size and streamed sha256), or full (re-read the object and re-hash it).').default('checksum'),
  layout: oneOf(['partition', 'hive'], 'partition: under <database>/<schema>/<parent>/<partition>/ (SPEC §3); hive (parquet, range policies): the verified file is also published as <database>/<schema>.<parent>/<hiveColumn>=<lower bound>/part-0.parquet, so one glob reads the whole archived history (docs/archive.md).').default('partition'),
  hiveColumn: text({ description: 'layout: hive: the name of the path column holding each partition\'s lower bound; never a column of the table (engines would read it instead of the rows\' own values).', examples: ['day'] }).optional().meta({ default: '<range column>_from' }),
});

const afterAge = section('Tiering (range policies with a time key): partitions this old are rewritten with another table access method, such as Citus columnar, one per transaction.', {
  age: parsedText({ description: 'A partition is converted once its upper bound <= now - age.', examples: ['30 days', '3 months'] }, (v): CalendarInterval | Refusal => {
    const i = parseCalendarInterval(v);
    return i ?? refuse(`expected a duration like "30 days" or "3 months", got ${JSON.stringify(v)}`);
  }),
  accessMethod: text({ description: 'The table access method (pg_am) to convert to: ALTER TABLE ... SET ACCESS METHOD (PostgreSQL 15+).', examples: ['columnar'] }).default('columnar'),
});

const retention = section('When partitions expire (range) or how removed ones are archived (list), and what happens to them.', {
  afterAge: afterAge.optional(),
  keep: duration.optional(),
  keepPartitions: whole('Alternative to keep (integer keys): keep the newest N partitions that hold rows, plus the current one; empty partitions never push one with rows out.', { min: 1 }).optional(),
  maxPerRun: whole('Most partitions one run removes (detach, drop, archive) for this policy, and, separately, most it converts (afterAge); the rest are planned and done over the next runs.', { min: 1, max: 10000 }).default(DEFAULT_MAX_PER_RUN),
  allowMassRemoval: flag("Confirms removals the retention guard refuses (more than half of the partitions holding rows, fewer than keepPartitions left, a clock far from the database's). For a planned catch-up: set it, let it run, remove it.").default(false),
  action: oneOf(['archive', 'detach', 'drop'], 'What to do with an expired partition.').optional(),
  archive: archive.optional(),
  afterArchive: oneOf(['drop', 'keep'], 'drop the table once its archive is verified, or keep it detached.').optional().meta({ default: DEFAULT_AFTER_ARCHIVE }),
});

/** retention and retention.archive when not written: their keys' defaults. */
export const RETENTION_DEFAULTS = retention.parse({});
export const ARCHIVE_DEFAULTS = archive.parse({});

const subpartition = section('Each new range child is itself partitioned.', {
  strategy: oneOf(['hash', 'list'], 'hash or list.'),
  column: column('Sub-partition key column (unquoted folds to lower case, "Quoted" is exact).'),
  modulus: whole('Hash modulus (strategy: hash).', { min: 1, max: 1024 }).optional(),
  partitions: listPartitions.optional(),
});

const list = section('List partitioning.', {
  column: column('The partition key column (unquoted folds to lower case, "Quoted" is exact).'),
  partitions: listPartitions,
  naming: template({ description: 'Partition name template. Tokens: {table} {schema} {key} (the key of the partitions map).', examples: ['{table}_{key}'] }, ['table', 'schema', 'key'], ['key']).default('{table}_{key}'),
  onRemoved: oneOf(['keep', 'detach', 'archive'], 'Attached partitions whose values are no longer declared: keep (a list_partition_undeclared violation), detach, or archive (retention.archive settings apply).').default('keep'),
});

const hash = section('Hash partitioning.', {
  column: column('The partition key column (unquoted folds to lower case, "Quoted" is exact).'),
  modulus: whole('Every remainder 0..modulus-1 must exist.', { min: 1, max: 1024 }),
  naming: template({ description: 'Partition name template. Tokens: {table} {schema} {remainder} {modulus}.', examples: ['{table}_h{remainder}'] }, ['table', 'schema', 'remainder', 'modulus'], ['remainder']).default('{table}_h{remainder}'),
});

/** spec.default when unset; applied when the policy is built (each key's presence matters: a hash table may have none). */
export const DEFAULT_PARTITION = { create: false, maxRows: 0, relocate: false, relocateBatchRows: 10_000 } as const;

const defaultPartition = section('The DEFAULT partition.', {
  create: flag('Create a DEFAULT partition ({table}_default) if missing (range and list).').optional().meta({ default: DEFAULT_PARTITION.create }),
  maxRows: whole('Rows in DEFAULT above this are a violation.', { min: 0 }).optional().meta({ default: DEFAULT_PARTITION.maxRows }),
  relocate: flag("Move rows of a new partition's range out of DEFAULT (batched, journaled) instead of reporting a violation.").optional().meta({ default: DEFAULT_PARTITION.relocate }),
  relocateBatchRows: whole('Rows moved per transaction when relocating.', { min: 1 }).optional().meta({ default: DEFAULT_PARTITION.relocateBatchRows }),
});

const probe = section('A pruning probe.', {
  name: text('Probe name (a metric label).'),
  query: text('A SELECT on the parent.'),
  maxPartitionsScanned: whole('Most partitions the plan may touch.', { min: 1 }),
});

const health = section('Health rules.', {
  maxPartitions: whole('Attached partitions above this are a violation.', { min: 1 }).optional(),
  maxShards: whole('Citus: shards of all partitions together (partitions x shard_count) above this are a violation (too_many_shards).', { min: 1 }).default(10000),
  probes: listOf('Queries whose plans must prune.', probe).default([]),
});

/** Storage or TOAST parameters by name (fillfactor: 90); PostgreSQL checks names and values when a partition is created. */
const parameters = (description: string) =>
  mapOf(description, z.union([z.string(), z.number(), z.boolean()], { error: 'expected a value (a number, true/false or a string)' })).superRefine((m, ctx) => {
    for (const k of Object.keys(m)) {
      if (!/^[a-z_][a-z0-9_]*$/.test(k)) ctx.addIssue({ code: 'custom', path: [k], input: k, message: `"${k}" is not a storage parameter name (lower-case letters, digits and _)` });
    }
  });

const templateTable = parsedText({ description: 'A template table (pg_partman style) new partitions take storage parameters, TOAST parameters, UNLOGGED and the comment from.', examples: ['partman.template_public_events'] }, (v) => {
  const q = parseQualifiedName(v);
  return typeof q === 'string' ? refuse(q) : q;
});

const partitionTemplate = either(
  templateTable,
  section('What a partitioned parent cannot carry, for new partitions: from a template table, and explicit values over it.', {
    table: templateTable.optional(),
    storage: parameters('Storage parameters (WITH (...)): fillfactor, autovacuum_*, ...; over those of the template table or newest partition, and set on existing partitions too (drift: repair).').optional(),
    toast: parameters('TOAST parameters (WITH (toast.*)): autovacuum_enabled, ...').optional(),
    unlogged: flag('New partitions are UNLOGGED (true) or logged (false).').optional(),
    comment: text('COMMENT ON TABLE of each new partition.').optional(),
  }),
  'a table like partman.template_events, or a map',
  'Storage parameters, TOAST parameters, UNLOGGED and a comment for new partitions (a partitioned parent cannot carry them). Default: those of the newest partition (comment excepted).',
);

const spec = section('What partwarden keeps true for the table.', {
  database: text('A database name from the config file.'),
  table,
  schedule: cron.optional(),
  strategy: oneOf(['range', 'list', 'hash'], 'Partitioning strategy; must match the table.'),
  range: range.optional(),
  subpartition: subpartition.optional(),
  list: list.optional(),
  hash: hash.optional(),
  default: defaultPartition.optional(),
  template: partitionTemplate.optional(),
  drift: oneOf(
    ['repair', 'report'],
    "Existing partitions whose owner, grants, replica identity or (with a template) storage parameters differ from the parent's: repair them (short catalog changes under lock_timeout) or only report them (partition_drift). A tablespace difference is always only reported.",
  ).default('repair'),
  retention: retention.optional(),
  health: health.prefault({}),
  analyze: oneOf(
    ['partitions', 'parent'],
    'partitions: ANALYZE partitions that a relocation filled (and the DEFAULT it emptied); parent: also ANALYZE the partitioned table after partitions are added or removed (autovacuum never analyzes a partitioned table; its statistics guide plans that join or aggregate across partitions).',
  ).default('partitions'),
  analyzeMinInterval: parsedText({ description: 'With analyze: parent, the parent is analyzed at most this often.', examples: ['1 day', '6 hours'] }, (v): CalendarInterval | Refusal =>
    parseCalendarInterval(v) ?? refuse(`expected a duration like "6 hours" or "1 day", got ${JSON.stringify(v)}`),
  ).prefault('1 day'),
});

export const policyDocument = section('A partwarden policy for one partitioned table.', {
  $schema: text('JSON Schema reference for editors; ignored by partwarden.').optional(),
  apiVersion: oneOf(['partwarden/v1'], 'Always partwarden/v1.'),
  kind: oneOf(['PartitionPolicy'], 'Always PartitionPolicy.'),
  metadata: section('Identity of the policy.', {
    name: checkedText({ description: 'Unique name across all policy files.', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }, (v) =>
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(v) ? undefined : 'use letters, digits, "_", "-" and "." (at most 100 characters)',
    ),
    description: text('Free text for people.').optional(),
  }),
  spec,
});

/** A policy document as read: every key typed, defaulted and parsed. */
export type PolicyDocument = z.output<typeof policyDocument>;
export type SpecDocument = PolicyDocument['spec'];
export type RangeDocument = NonNullable<SpecDocument['range']>;
export type RetentionDocument = NonNullable<SpecDocument['retention']>;
export type SubpartitionDocument = NonNullable<SpecDocument['subpartition']>;
