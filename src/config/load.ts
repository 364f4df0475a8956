import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configDocument, defaultLease, type ConfigDocument } from './config-schema.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { listPolicyFiles } from './files.js';
import { checkPolicy, type RulesContext } from './policy-rules.js';
import { policyDocument } from './policy-schema.js';
import { resolvePolicy } from './resolve-policy.js';
import type { Config, DatabaseConfig, LeaderElectionConfig, Policy } from './types.js';
import { parseYamlDocuments, valuePos } from './yaml-docs.js';
import { readDocument } from './read-document.js';


export interface LoadOptions {
  readonly configFile: string;
  /** Overrides the config's `policies`; resolved against the working directory. */
  readonly policies?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Loaded {
  readonly config: Config;
  readonly policies: readonly Policy[];
}

function readText(file: string, problems: ConfigProblem[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ file, line: 1, col: 1, path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})` });
    return undefined;
  }
}

/** A `${VAR}` in a policy would stay literal: said, except in probe SQL (where it is SQL's business). */
const policyLiteral = (path: string, value: string): string | undefined =>
  /^spec\.health\.probes\[\d+\]\.query$/.test(path) || !/\$\{[A-Za-z_]/.test(value)
    ? undefined
    : 'environment variables are not expanded in policy files (they hold SQL); put environment-specific values in the config file (partwarden.yaml)';

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): Config | undefined {
  const text = readText(file, problems);
  if (text === undefined) return undefined;
  // the config file holds URLs, credentials, endpoints and paths (no SQL): expanded everywhere
  const { documents, problems: yamlProblems } = parseYamlDocuments(file, text, env, { expandAt: () => true });
  problems.push(...yamlProblems);
  if (yamlProblems.length > 0) return undefined;
  if (documents.length !== 1) {
    problems.push({ file, line: 1, col: 1, path: '', message: `expected exactly one YAML document, found ${documents.length}` });
    return undefined;
  }
  const doc = documents[0]!;
  const read = readDocument(configDocument, doc);
  if (!read.ok) {
    problems.push(...read.problems);
    return undefined;
  }
  return toConfig(file, read.data);
}

function toConfig(file: string, c: ConfigDocument): Config {
  const databases = new Map<string, DatabaseConfig>();
  for (const [name, d] of Object.entries(c.databases)) {
    databases.set(name, Object.freeze({ name, url: d.url, lockTimeoutMs: d.lockTimeout, statementTimeoutMs: d.statementTimeout, lockRetries: d.lockRetries, retryDelayMs: d.retryDelay, actionPauseMs: d.actionPause }));
  }
  return Object.freeze({
    file,
    databases,
    storage: c.storage && Object.freeze(c.storage),
    policies: c.policies,
    schedule: c.schedule,
    scheduleJitterMs: c.scheduleJitter,
    listen: c.server.listen,
    stateSchema: c.stateSchema,
    clockSkewToleranceMs: c.clockSkewTolerance,
    leaderElection: leaderElectionOf(c.leaderElection),
  });
}

function leaderElectionOf(e: ConfigDocument['leaderElection']): LeaderElectionConfig {
  const mode = typeof e === 'string' ? e : e.mode;
  if (mode === 'advisory-lock') return Object.freeze({ mode: 'advisory-lock' });
  const { name, namespace, identity, duration, renewDeadline, retryPeriod } = typeof e === 'string' ? defaultLease() : e.lease;
  return Object.freeze({
    mode: 'lease',
    lease: Object.freeze({ name, durationMs: duration, renewDeadlineMs: renewDeadline, retryPeriodMs: retryPeriod, ...(namespace ? { namespace } : {}), ...(identity ? { identity } : {}) }),
  });
}

/** Parses and checks every policy file; duplicates and shared tables are rejected. */
export function loadPolicies(
  files: readonly string[],
  knownDatabases: ReadonlySet<string>,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  hasStorage = false,
): Policy[] {
  const schema = policySchema({ knownDatabases, hasStorage });
  const policies: Policy[] = [];
  const byName = new Map<string, Policy>();
  const byTable = new Map<string, Policy>();
  for (const file of files) {
    const text = readText(file, problems);
    if (text === undefined) continue;
    // policy files describe tables and hold SQL (probes, with $$ dollar quoting): never expanded
    const { documents, problems: yamlProblems } = parseYamlDocuments(file, text, env, { literalOnly: policyLiteral });
    problems.push(...yamlProblems);
    for (const doc of documents) {
      const read = readDocument(schema, doc);
      if (!read.ok) {
        problems.push(...read.problems);
        continue;
      }
      const policy = resolvePolicy(read.data, { file, ...valuePos(doc, ['metadata', 'name']) });
      const { line, col } = policy.origin;
      const dup = byName.get(policy.name);
      if (dup) {
        problems.push({ file, line, col, path: 'metadata.name', message: `policy "${policy.name}" is already defined at ${dup.origin.file}:${dup.origin.line}:${dup.origin.col}` });
        continue;
      }
      const tableKey = JSON.stringify([policy.database, policy.table.schema, policy.table.name]);
      const other = byTable.get(tableKey);
      if (other) {
        problems.push({ file, line, col, path: 'spec.table', message: `table ${policy.table.schema}.${policy.table.name} in database "${policy.database}" is already managed by policy "${other.name}" (${other.origin.file}:${other.origin.line}:${other.origin.col})` });
        continue;
      }
      byName.set(policy.name, policy);
      byTable.set(tableKey, policy);
      policies.push(policy);
    }
  }
  return policies;
}

/** The policy document with the rules that span keys, checked against the config it is loaded with. */
function policySchema(rc: RulesContext) {
  return policyDocument.superRefine((doc, ctx) => checkPolicy(doc, rc, ctx), { when: (payload) => payload.issues.length === 0 });
}

/** Loads config and policies; throws ConfigError listing every problem. */
export function load(options: LoadOptions): Loaded {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const config = loadConfigFile(options.configFile, env, problems);
  if (!config) throw new ConfigError(problems);
  const spec = options.policies ?? config.policies;
  const base = options.policies ? process.cwd() : path.dirname(path.resolve(options.configFile));
  const files = listPolicyFiles(spec, base);
  if (typeof files === 'string') throw new ConfigError([{ file: options.configFile, line: 1, col: 1, path: 'policies', message: files }]);
  const policies = loadPolicies(files, new Set(config.databases.keys()), env, problems, config.storage !== undefined);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ config, policies: Object.freeze(policies) });
}
