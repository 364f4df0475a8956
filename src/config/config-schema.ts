import { parseTimeoutMs } from '../time/duration.js';
import type { ObjectSchema, StringSchema } from './schema-dsl.js';
import { isValidCron } from './cron.js';

const timeout = (description: string): StringSchema => ({
  type: 'string',
  description,
  check: (v) => (parseTimeoutMs(v) === undefined ? `expected a duration like "2s", "500ms" or "0", got ${JSON.stringify(v)}` : undefined),
  examples: ['2s', '500ms', '0'],
});

export const configSchema: ObjectSchema = {
  type: 'object',
  description: 'partwarden daemon configuration (partwarden.yaml).',
  required: ['databases'],
  properties: {
    databases: {
      type: 'map',
      description: 'Target databases by name.',
      minEntries: 1,
      values: {
        type: 'object',
        description: 'One database.',
        required: ['url'],
        properties: {
          url: {
            type: 'string',
            description: 'postgres:// connection URL (use ${VAR} for secrets).',
            check: (v) => (/^postgres(ql)?:\/\//.test(v) ? undefined : 'expected a postgres:// or postgresql:// URL'),
          },
          lockTimeout: timeout('lock_timeout for every DDL statement (default 2s).'),
          statementTimeout: timeout('statement_timeout for DDL sessions (default 0 = none).'),
          lockRetries: { type: 'integer', description: 'Attempts per DDL statement when the lock is not granted in time (default 5).', min: 1, max: 100 },
          retryDelay: timeout('Base delay between lock retries, doubled each attempt with jitter (default 500ms).'),
          actionPause: timeout('Pause after each action of a reconcile (create, detach, drop...) before the next, leaving CPU and WAL to the application (default 0; like pg_partman p_wait).'),
        },
      },
    },
    storage: {
      type: 'object',
      description: 'Where archives go.',
      required: ['url'],
      properties: {
        url: {
          type: 'string',
          description: 's3://bucket/prefix or file:///abs/path',
          check: (v) => (/^(s3:\/\/[^/]+|file:\/\/\/)/.test(v) ? undefined : 'expected s3://bucket/prefix or file:///absolute/path'),
        },
        endpoint: { type: 'string', description: 'S3 endpoint; empty = AWS.' },
        region: { type: 'string', description: 'S3 region.' },
        forcePathStyle: { type: 'boolean', description: 'Path-style addressing (MinIO, Ceph).' },
        sse: { type: 'string', description: 'Server-side encryption.', enum: ['AES256', 'aws:kms'] },
        kmsKeyId: { type: 'string', description: 'KMS key for aws:kms.' },
        storageClass: { type: 'string', description: 'S3 storage class.' },
        checksumAlgorithm: { type: 'string', description: 'For Object Lock buckets.', enum: ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] },
      },
    },
    policies: { type: 'string', description: 'Directory of policy files (*.yaml, *.yml) or a glob, relative to this file.' },
    schedule: {
      type: 'string',
      description: 'Default reconcile schedule (cron).',
      check: (v) => (isValidCron(v) ? undefined : `"${v}" is not a valid cron expression (e.g. "*/10 * * * *")`),
    },
    scheduleJitter: timeout('Longest random delay before a scheduled cycle starts, so replicas and deployments do not all hit the database in the same second (default 10s; 0 = none).'),
    server: {
      type: 'object',
      description: 'HTTP server.',
      properties: { listen: { type: 'string', description: 'host:port for /metrics /healthz /readyz /status.', check: (v) => (/^[^\s]*:\d{1,5}$/.test(v) ? undefined : 'expected host:port, e.g. 0.0.0.0:9465') } },
    },
    stateSchema: { type: 'string', description: 'Schema for the journal table (default partwarden).' },
    clockSkewTolerance: timeout("How far this process's clock may be from the database's before a warning and partwarden_clock_skew_seconds say so, and before removals at a fixed time (--at, PARTWARDEN_NOW) wait for --allow-mass-removal (default 5m). The database's clock always decides premake and retention."),
  },
};
