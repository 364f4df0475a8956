import type * as z from 'zod';
import { parseTimeoutMs } from '../time/duration.js';
import { cron } from './policy-schema.js';
import { checkedText, either, flag, mapOf, oneOf, parsedText, refuse, section, text, whole } from './zod-kit.js';

/** The config file (partwarden.yaml), declared once: types, defaults, descriptions and parsing. */

/** A duration in milliseconds, written "2s", "500ms", "5m" or 0; `fallback` as written when unset. */
const timeout = (description: string, fallback: string) =>
  parsedText(description, (v) => parseTimeoutMs(v) ?? refuse(`expected a duration like "2s", "500ms" or "0", got ${JSON.stringify(v)}`))
    .prefault(fallback);

const database = section('One database.', {
  url: checkedText('postgres:// connection URL (use ${VAR} for secrets).', (v) => (/^postgres(ql)?:\/\//.test(v) ? undefined : 'expected a postgres:// or postgresql:// URL')),
  lockTimeout: timeout('lock_timeout for every DDL statement.', '2s'),
  statementTimeout: timeout('statement_timeout for DDL sessions (0 = none).', '0'),
  lockRetries: whole('Attempts per DDL statement when the lock is not granted in time.', { min: 1, max: 100 }).default(5),
  retryDelay: timeout('Base delay between lock retries, doubled each attempt with jitter.', '500ms'),
  actionPause: timeout('Pause after each action of a reconcile (create, detach, drop...) before the next, leaving CPU and WAL to the application (like pg_partman p_wait).', '0'),
});

const storage = section('Where archives go.', {
  url: checkedText('s3://bucket/prefix or file:///abs/path', (v) => (/^(s3:\/\/[^/]+|file:\/\/\/)/.test(v) ? undefined : 'expected s3://bucket/prefix or file:///absolute/path')),
  endpoint: text('S3 endpoint; empty = AWS.').optional(),
  region: text('S3 region.').optional(),
  forcePathStyle: flag('Path-style addressing (MinIO, Ceph).').optional(),
  sse: oneOf(['AES256', 'aws:kms'], 'Server-side encryption.').optional(),
  kmsKeyId: text('KMS key for aws:kms.').optional(),
  storageClass: text('S3 storage class.').optional(),
  checksumAlgorithm: oneOf(['CRC32', 'CRC32C', 'SHA1', 'SHA256'], 'For Object Lock buckets.').optional(),
});

const lease = section('The Kubernetes Lease (coordination.k8s.io/v1) of `mode: lease`.', {
  name: text('Name of the Lease; replicas sharing it elect one leader.').default('partwarden'),
  namespace: text("Namespace of the Lease; default: $POD_NAMESPACE, the in-cluster service account's namespace, the kubeconfig context's, else default.").optional(),
  identity: text("This replica's name in the Lease; default: $POD_NAME, else hostname-pid.").optional(),
  duration: timeout('How long the Lease lasts without renewal: a successor takes over this long after the leader stops renewing it (kill -9, node lost).', '15s'),
  renewDeadline: timeout('How long the leader keeps failing to renew before it stops acting (less than duration, so it has stopped before anyone may take over).', '10s'),
  retryPeriod: timeout('How often every replica tries to take or renew the Lease.', '2s'),
}).superRefine((l, ctx) => {
  if (l.renewDeadline >= l.duration) ctx.addIssue({ code: 'custom', path: ['renewDeadline'], message: 'must be less than duration (the leader must stop acting before another replica may take over)', input: l.renewDeadline });
  if (l.retryPeriod >= l.renewDeadline) ctx.addIssue({ code: 'custom', path: ['retryPeriod'], message: 'must be less than renewDeadline (the leader must get more than one try to renew)', input: l.retryPeriod });
  if (l.duration < 1000) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'must be at least 1s (a Lease counts whole seconds)', input: l.duration });
});

/** The Lease settings when only `leaderElection: lease` is written: every default. */
export const defaultLease = (): z.output<typeof lease> => lease.parse({});

const electionMode = oneOf(['advisory-lock', 'lease'], 'advisory-lock: the replica holding the PostgreSQL advisory lock of a database acts on it; lease: the replica holding a Kubernetes Lease acts, and still takes the advisory lock as a fence.');

const leaderElection = either(
  electionMode,
  section('Which replica acts (leader election).', {
    mode: electionMode.default('advisory-lock'),
    lease: lease.prefault({}),
  }),
  '"advisory-lock", "lease", or a map with mode and lease',
  'Which replica acts: "advisory-lock" (default), "lease", or {mode, lease: {name, namespace, identity, duration, renewDeadline, retryPeriod}}.',
);

export const configDocument = section('partwarden daemon configuration (partwarden.yaml).', {
  databases: mapOf('Target databases by name.', database, 1),
  storage: storage.optional(),
  policies: text('Directory of policy files (*.yaml, *.yml) or a glob, relative to this file.').default('./policies'),
  schedule: cron.default('*/10 * * * *').meta({ description: 'Default reconcile schedule (cron).' }),
  scheduleJitter: timeout('Longest random delay before a scheduled cycle starts, so replicas and deployments do not all hit the database in the same second (0 = none).', '10s'),
  server: section('HTTP server.', {
    listen: checkedText('host:port for /metrics /healthz /readyz /status.', (v) => (/^[^\s]*:\d{1,5}$/.test(v) ? undefined : 'expected host:port, e.g. 0.0.0.0:9465')).default('0.0.0.0:9465'),
  }).prefault({}),
  stateSchema: text('Schema for the journal table.').default('partwarden'),
  leaderElection: leaderElection.default('advisory-lock'),
  clockSkewTolerance: timeout(
    "How far this process's clock may be from the database's before a warning and partwarden_clock_skew_seconds say so, and before removals at a fixed time (--at, PARTWARDEN_NOW) wait for --allow-mass-removal. The database's clock always decides premake and retention.",
    '5m',
  ),
});

/** The config file as read: every key typed, defaulted and parsed. */
export type ConfigDocument = z.output<typeof configDocument>;
