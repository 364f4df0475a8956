import { parseCalendarInterval } from '../time/duration.js';
import { parseQualifiedName } from './qualified-name.js';
import type { ObjectSchema, Schema } from './schema-dsl.js';
import { isValidCron } from './cron.js';
import { isValidTimeZone } from '../time/tz.js';

const durationCheck = (v: string) =>
  parseCalendarInterval(v) ? undefined : `expected a duration like "90 days", "12 months" or "1 year", got ${JSON.stringify(v)}`;

const cronSchema: Schema = {
  type: 'string',
  description: 'Cron expression (node-cron syntax, 5 or 6 fields).',
  check: (v) => (isValidCron(v) ? undefined : `"${v}" is not a valid cron expression (e.g. "*/10 * * * *")`),
  examples: ['*/10 * * * *', '0 * * * *'],
};

const rangeSchema: ObjectSchema = {
  type: 'object',
  description: 'Range partitioning: time or integer ranges.',
  required: ['column', 'interval'],
  properties: {
    column: { type: 'string', description: 'The partition key column (timestamptz, timestamp, date, smallint, integer or bigint); read like table: unquoted folds to lower case, write \'"OccurredAt"\' for mixed case.' },
    interval: {
      type: 'union',
      description: 'Width of one partition: "N hour|day|week|month|quarter|year" for time keys, or an integer step for integer keys.',
      expected: 'a duration like "1 day" or a positive whole number',
      of: [
        {
          type: 'string',
          description: 'Calendar interval, e.g. "1 day", "1 month".',
          pattern: '^\\s*\\d*\\s*[A-Za-z]+\\s*$',
          check: (v) => {
            const i = parseCalendarInterval(v);
            if (!i) return `expected an interval like "1 day", "1 week", "1 month" or an integer step, got ${JSON.stringify(v)}`;
            if (i.unit === 'hour' && 24 % i.count !== 0) return `an hourly interval must divide a day (1, 2, 3, 4, 6, 8, 12 or 24 hours), got ${i.count}`;
            return undefined;
          },
          examples: ['1 day', '1 week', '1 month'],
        },
        { type: 'integer', description: 'Integer step for integer keys.', min: 1 },
      ],
    },
    premake: { type: 'integer', description: 'Partitions that must exist ahead of now (or ahead of max(key) for integer keys). Default 4.', min: 1, max: 1000 },
    timezone: {
      type: 'string',
      description: 'IANA time zone in which time boundaries are aligned (DST-safe). Default UTC.',
      check: (v) => (isValidTimeZone(v) ? undefined : `unknown time zone ${JSON.stringify(v)} (use an IANA name like "Europe/Paris" or "UTC")`),
      examples: ['UTC', 'Europe/Paris', 'America/New_York'],
    },
    naming: {
      type: 'string',
      description: 'Partition name template. Tokens: {table} {schema} {YYYY} {MM} {DD} {HH} {Q} {start} {end}. Default depends on the interval.',
      examples: ['{table}_p{YYYY}{MM}{DD}', '{table}_p{YYYY}{MM}', '{table}_p{start}'],
    },
    startFrom: {
      type: 'union',
      description: 'Backfill from here when bootstrapping: a date/time for time keys, an integer for integer keys.',
      expected: 'a date like 2024-01-01 or a whole number',
      of: [
        { type: 'string', description: 'Date or timestamp (ISO 8601).', pattern: '^\\d{4}-\\d{2}-\\d{2}' },
        { type: 'integer', description: 'Integer key value.' },
      ],
    },
  },
};

const listPartitionsSchema: Schema = {
  type: 'map',
  description: 'Partition key (the name suffix) -> its values: strings, numbers, true/false, dates as strings, null for NULL.',
  minEntries: 1,
  values: { type: 'array', description: 'Values of this partition.', minItems: 1, items: { type: 'scalar', description: 'A value (quote numbers that must keep their exact spelling, e.g. "1.50").' } },
};

const retentionSchema: ObjectSchema = {
  type: 'object',
  description: 'When partitions expire (range) or how removed ones are archived (list), and what happens to them.',
  properties: {
    keep: { type: 'string', description: 'A partition expires when its upper bound <= now - keep (time keys).', check: durationCheck, examples: ['90 days', '12 months'] },
    keepPartitions: { type: 'integer', description: 'Alternative to keep (integer keys): keep the newest N partitions that hold rows, plus the current one; empty partitions never push one with rows out.', min: 1 },
    maxPerRun: { type: 'integer', description: 'Most partitions one run removes (detach, drop, archive) for this policy (default 10); the rest are planned and done over the next runs.', min: 1, max: 10000 },
    allowMassRemoval: { type: 'boolean', description: 'Confirms removals the retention guard refuses (more than half of the partitions holding rows, fewer than keepPartitions left, a clock far from the database\'s); default false. For a planned catch-up: set it, let it run, remove it.' },
    action: { type: 'string', description: 'What to do with an expired partition.', enum: ['archive', 'detach', 'drop'] },
    archive: {
      type: 'object',
      description: 'Archive settings (action: archive).',
      properties: {
        format: { type: 'string', description: 'csv (default, with a header row) or binary (COPY binary).', enum: ['csv', 'binary'] },
        compression: { type: 'string', description: 'gzip (default), zstd (Node.js >= 22.15) or none.', enum: ['gzip', 'zstd', 'none'] },
        compressionLevel: { type: 'integer', description: 'gzip 1-9 (default 1: fast, parallel), zstd 1-19 (default 3). Higher is smaller and slower.', min: 1, max: 19 },
        verify: { type: 'string', description: 'checksum (default: size and streamed sha256), or full (re-read the object and re-hash it).', enum: ['checksum', 'full'] },
      },
    },
    afterArchive: { type: 'string', description: 'drop (default) the table once its archive is verified, or keep it detached.', enum: ['drop', 'keep'] },
  },
};

export const policySchema: ObjectSchema = {
  type: 'object',
  description: 'A partwarden policy for one partitioned table.',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    $schema: { type: 'string', description: 'JSON Schema reference for editors; ignored by partwarden.' },
    apiVersion: { type: 'string', description: 'Always partwarden/v1.', enum: ['partwarden/v1'] },
    kind: { type: 'string', description: 'Always PartitionPolicy.', enum: ['PartitionPolicy'] },
    metadata: {
      type: 'object',
      description: 'Identity of the policy.',
      required: ['name'],
      properties: {
        name: {
          type: 'string',
          description: 'Unique name across all policy files.',
          pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
          check: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(v) ? undefined : 'use letters, digits, "_", "-" and "." (at most 100 characters)'),
        },
        description: { type: 'string', description: 'Free text for people.' },
      },
    },
    spec: {
      type: 'object',
      description: 'What partwarden keeps true for the table.',
      required: ['database', 'table', 'strategy'],
      properties: {
        database: { type: 'string', description: 'A database name from the config file.' },
        table: {
          type: 'string',
          description: 'Schema-qualified parent table; unquoted parts fold to lower case as in SQL.',
          check: (v) => {
            const q = parseQualifiedName(v);
            return typeof q === 'string' ? q : undefined;
          },
          examples: ['public.events', '"Sales"."Orders"'],
        },
        schedule: cronSchema,
        strategy: { type: 'string', description: 'Partitioning strategy; must match the table.', enum: ['range', 'list', 'hash'] },
        range: rangeSchema,
        subpartition: {
          type: 'object',
          description: 'Each new range child is itself partitioned.',
          required: ['strategy', 'column'],
          properties: {
            strategy: { type: 'string', description: 'hash or list.', enum: ['hash', 'list'] },
            column: { type: 'string', description: 'Sub-partition key column (unquoted folds to lower case, "Quoted" is exact).' },
            modulus: { type: 'integer', description: 'Hash modulus (strategy: hash).', min: 1, max: 1024 },
            partitions: listPartitionsSchema,
          },
        },
        list: {
          type: 'object',
          description: 'List partitioning.',
          required: ['column', 'partitions'],
          properties: {
            column: { type: 'string', description: 'The partition key column (unquoted folds to lower case, "Quoted" is exact).' },
            partitions: listPartitionsSchema,
            naming: { type: 'string', description: 'Partition name template. Tokens: {table} {schema} {key} (the key of the partitions map). Default "{table}_{key}".', examples: ['{table}_{key}'] },
            onRemoved: { type: 'string', description: 'Attached partitions whose values are no longer declared: keep (default; a list_partition_undeclared violation), detach, or archive (retention.archive settings apply).', enum: ['keep', 'detach', 'archive'] },
          },
        },
        hash: {
          type: 'object',
          description: 'Hash partitioning.',
          required: ['column', 'modulus'],
          properties: {
            column: { type: 'string', description: 'The partition key column (unquoted folds to lower case, "Quoted" is exact).' },
            modulus: { type: 'integer', description: 'Every remainder 0..modulus-1 must exist.', min: 1, max: 1024 },
            naming: { type: 'string', description: 'Partition name template. Tokens: {table} {schema} {remainder} {modulus}. Default "{table}_h{remainder}".', examples: ['{table}_h{remainder}'] },
          },
        },
        default: {
          type: 'object',
          description: 'The DEFAULT partition.',
          properties: {
            create: { type: 'boolean', description: 'Create a DEFAULT partition ({table}_default) if missing (range and list).' },
            maxRows: { type: 'integer', description: 'Rows in DEFAULT above this are a violation.', min: 0 },
            relocate: { type: 'boolean', description: 'Move rows of a new partition\'s range out of DEFAULT (batched, journaled) instead of reporting a violation.' },
            relocateBatchRows: { type: 'integer', description: 'Rows moved per transaction when relocating (default 10000).', min: 1 },
          },
        },
        retention: retentionSchema,
        health: {
          type: 'object',
          description: 'Health rules.',
          properties: {
            maxPartitions: { type: 'integer', description: 'Attached partitions above this are a violation.', min: 1 },
            probes: {
              type: 'array',
              description: 'Queries whose plans must prune.',
              items: {
                type: 'object',
                description: 'A pruning probe.',
                required: ['name', 'query', 'maxPartitionsScanned'],
                properties: {
                  name: { type: 'string', description: 'Probe name (a metric label).' },
                  query: { type: 'string', description: 'A SELECT on the parent.' },
                  maxPartitionsScanned: { type: 'integer', description: 'Most partitions the plan may touch.', min: 1 },
                },
              },
            },
          },
        },
      },
    },
  },
};
