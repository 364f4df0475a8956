import { zstdAvailable } from '../../src/model/runtime.js';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/errors.js';
import { jsonSchemas, renderSchema } from '../../src/config/json-schemas.js';
import { load } from '../../src/config/load.js';
import { parseQualifiedName } from '../../src/config/qualified-name.js';
import type { RangePolicy } from '../../src/config/types.js';

const CONFIG = `databases:
  main:
    url: \${DB_URL:-postgres://localhost/app}
    lockTimeout: 500ms
policies: ./policies
`;

const POLICY = `apiVersion: partwarden/v1
kind: PartitionPolicy
metadata:
  name: events
spec:
  database: main
  table: public.events
  strategy: range
  range:
    column: occurred_at
    interval: 1 day
    premake: 7
  retention:
    keep: 90 days
    action: drop
`;

function project(files: Record<string, string>, config = CONFIG): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-config-'));
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'partwarden.yaml'), config);
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(dir, 'policies', f), t);
  return path.join(dir, 'partwarden.yaml');
}

function problemsOf(configFile: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    load({ configFile, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }));
    throw err;
  }
  return [];
}

describe('config and policy loading', () => {
  it('loads a valid project, expanding ${VAR:-default}', () => {
    const { config, policies } = load({ configFile: project({ 'events.yaml': POLICY }), env: {} });
    expect(config.databases.get('main')!.url).toBe('postgres://localhost/app');
    expect(config.databases.get('main')!.lockTimeoutMs).toBe(500);
    const p = policies[0] as RangePolicy;
    expect(p.name).toBe('events');
    expect(p.table).toEqual({ schema: 'public', name: 'events' });
    expect(p.range.interval).toEqual({ kind: 'calendar', interval: { count: 1, unit: 'day' } });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('expands ${VAR} from the environment and names an unset variable', () => {
    const cfg = CONFIG.replace('${DB_URL:-postgres://localhost/app}', '${DB_URL}');
    expect(load({ configFile: project({ 'e.yaml': POLICY }, cfg), env: { DB_URL: 'postgres://db/x' } }).config.databases.get('main')!.url).toBe('postgres://db/x');
    expect(problemsOf(project({ 'e.yaml': POLICY }, cfg))).toEqual([
      'partwarden.yaml:3:10: databases.main.url: environment variable DB_URL is not set (use ${DB_URL:-default} for a default)',
    ]);
  });

  it('never expands policy files: probe SQL keeps its $$ dollar quoting and ${...} text; a ${VAR} elsewhere is reported', () => {
    const query = "SELECT * FROM public.events WHERE body = $$a $$ b ${x}$$ AND occurred_at > now() - interval '1 hour'";
    const withProbe = `${POLICY}  health:\n    probes:\n      - name: dollar\n        query: ${JSON.stringify(query)}\n        maxPartitionsScanned: 2\n`;
    const { policies } = load({ configFile: project({ 'events.yaml': withProbe }), env: { x: 'EXPANDED' } });
    expect(policies[0]!.health.probes[0]!.query).toBe(query);
    const templated = POLICY.replace('database: main', 'database: ${DB_NAME}');
    expect(problemsOf(project({ 'events.yaml': templated }), { DB_NAME: 'main' })).toEqual([
      'events.yaml:6:13: spec.database: environment variables are not expanded in policy files (they hold SQL); put environment-specific values in the config file (partwarden.yaml)',
      'events.yaml:6:13: spec.database: unknown database "${DB_NAME}" (config defines: main)',
    ]);
    // the config file still expands, $$ included
    const cfg = CONFIG.replace('${DB_URL:-postgres://localhost/app}', 'postgres://u:pa$$word@localhost/app');
    expect(load({ configFile: project({ 'e.yaml': POLICY }, cfg), env: {} }).config.databases.get('main')!.url).toBe('postgres://u:pa$word@localhost/app');
  });

  it('leaderElection: advisory-lock by default; "lease" alone takes every Lease default; a map sets them; bad timings are reported where written', () => {
    const of = (extra: string) => load({ configFile: project({ 'events.yaml': POLICY }, CONFIG + extra), env: {} }).config.leaderElection;
    expect(of('')).toEqual({ mode: 'advisory-lock' });
    expect(of('leaderElection: lease\n')).toEqual({ mode: 'lease', lease: { name: 'partwarden', durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 } });
    expect(of('leaderElection:\n  mode: lease\n  lease:\n    name: pw-prod\n    namespace: db\n    duration: 30s\n    renewDeadline: 20s\n    retryPeriod: 5s\n')).toEqual({
      mode: 'lease', lease: { name: 'pw-prod', namespace: 'db', durationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 5000 },
    });
    expect(problemsOf(project({ 'events.yaml': POLICY }, CONFIG + 'leaderElection:\n  mode: lease\n  lease:\n    duration: 10s\n    renewDeadline: 10s\n'))).toEqual([
      'partwarden.yaml:10:20: leaderElection.lease.renewDeadline: must be less than duration (the leader must stop acting before another replica may take over)',
    ]);
    expect(problemsOf(project({ 'events.yaml': POLICY }, CONFIG + 'leaderElection: kubernetes\n'))[0]).toBe('partwarden.yaml:6:17: leaderElection: must be one of "advisory-lock", "lease", got "kubernetes"');
  });

  it('reports an unknown key with file:line:col and a did-you-mean hint', () => {
    const bad = POLICY.replace('    premake: 7', '    premkae: 7');
    expect(problemsOf(project({ 'events.yaml': bad }))).toEqual(['events.yaml:12:5: spec.range.premkae: unknown key "premkae" (did you mean "premake"?)']);
  });

  it('reports a bad duration where SPEC shows it', () => {
    const bad = POLICY.replace('keep: 90 days', 'keep: ninety days');
    expect(problemsOf(project({ 'events.yaml': bad }))).toEqual([
      'events.yaml:14:11: spec.retention.keep: expected a duration like "90 days", "12 months" or "1 year", got "ninety days"',
    ]);
  });

  it('reports wrong types, bad enums and missing keys, all at once', () => {
    const bad = POLICY.replace('premake: 7', 'premake: seven').replace('action: drop', 'action: delete').replace('    column: occurred_at\n', '');
    expect(problemsOf(project({ 'events.yaml': bad }))).toEqual([
      'events.yaml:10:5: spec.range.column: is required',
      'events.yaml:11:14: spec.range.premake: expected a whole number, got "seven"',
      'events.yaml:14:13: spec.retention.action: must be one of "archive", "detach", "drop", got "delete"',
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    expect(problemsOf(project({ 'a.yaml': 'metadata: [unclosed\n' }))[0]).toMatch(/^a\.yaml:\d+:\d+: /);
    const dup = POLICY.replace('  strategy: range\n', '  strategy: range\n  strategy: range\n');
    expect(problemsOf(project({ 'a.yaml': dup }))[0]).toMatch(/^a\.yaml:9:3: .*[Dd]uplicate|unique/);
  });

  it('rejects duplicate policy names and two policies on one table', () => {
    const second = POLICY.replace('name: events', 'name: events2');
    expect(problemsOf(project({ 'a.yaml': POLICY, 'b.yaml': POLICY }))).toEqual([
      expect.stringMatching(/^b\.yaml:4:9: metadata\.name: policy "events" is already defined at .*a\.yaml:4:9$/),
    ]);
    expect(problemsOf(project({ 'a.yaml': POLICY, 'b.yaml': second }))).toEqual([
      expect.stringMatching(/^b\.yaml:4:9: spec\.table: table public\.events in database "main" is already managed by policy "events"/),
    ]);
  });

  it('reads several policies from one file (YAML documents)', () => {
    const both = `${POLICY}---\n${POLICY.replace('name: events', 'name: other').replace('public.events', 'public.other')}`;
    expect(load({ configFile: project({ 'all.yaml': both }), env: {} }).policies.map((p) => p.name)).toEqual(['events', 'other']);
  });

  it('rejects rules that span several keys', () => {
    const archive = POLICY.replace('action: drop', 'action: archive');
    expect(problemsOf(project({ 'a.yaml': archive }))[0]).toMatch(/spec\.retention\.action: action: archive needs a storage: section in the config file/);
    const withStorage = `${CONFIG}storage:\n  url: s3://bucket/prefix\n  forcePathStyle: true\n`;
    const loaded = load({ configFile: project({ 'a.yaml': archive }, withStorage), env: {} });
    expect(loaded.policies[0]!.retention).toMatchObject({ action: 'archive', archive: { format: 'csv', compression: 'gzip', verify: 'checksum', afterArchive: 'drop' } });
    const short = POLICY.replace('keep: 90 days', 'keep: 1 hour');
    expect(problemsOf(project({ 'a.yaml': short }))[0]).toMatch(/spec\.retention\.keep: keeps less than one partition/);
    const both = POLICY.replace('keep: 90 days', 'keep: 90 days\n    keepPartitions: 3');
    expect(problemsOf(project({ 'a.yaml': both }))[0]).toMatch(/set either keep or keepPartitions/);
    const naming = POLICY.replace('premake: 7', 'premake: 7\n    naming: "{table}_{YYYY}{MM}"');
    expect(problemsOf(project({ 'a.yaml': naming }))[0]).toMatch(/spec\.range\.naming: with a day interval the name must contain \{DD\} \{MM\} \{YYYY\}/);
    const db = POLICY.replace('database: main', 'database: mian');
    expect(problemsOf(project({ 'a.yaml': db }))[0]).toBe('a.yaml:6:13: spec.database: unknown database "mian" (config defines: main)');
    const intKeep = POLICY.replace('interval: 1 day', 'interval: 1000');
    expect(problemsOf(project({ 'a.yaml': intKeep }))[0]).toMatch(/an integer range has no age; use keepPartitions/);
    const tz = POLICY.replace('premake: 7', 'premake: 7\n    timezone: Europe/Pariss');
    expect(problemsOf(project({ 'a.yaml': tz }))[0]).toMatch(/unknown time zone "Europe\/Pariss"/);
    const hours = POLICY.replace('interval: 1 day', 'interval: 5 hours');
    expect(problemsOf(project({ 'a.yaml': hours }))[0]).toMatch(/an hourly interval must divide a day/);
    const list = POLICY.replace('strategy: range', 'strategy: list');
    expect(problemsOf(project({ 'a.yaml': list })).join('\n')).toMatch(/spec\.range: only allowed with strategy: range \(this policy says strategy: list\)/);
  });

  it('archive.format: parquet takes zstd (default) or snappy inside the file and rowGroupRows; the other formats refuse them', () => {
    const withStorage = `${CONFIG}storage:\n  url: s3://bucket/prefix\n  forcePathStyle: true\n`;
    const archive = (extra: string) => POLICY.replace('action: drop', `action: archive\n    archive:\n${extra}`);
    if (zstdAvailable()) {
      const parquet = load({ configFile: project({ 'a.yaml': archive('      format: parquet\n') }, withStorage), env: {} }).policies[0]!;
      expect(parquet.retention?.archive).toMatchObject({ format: 'parquet', compression: 'zstd', rowGroupRows: 10000 });
    } else {
      expect(problemsOf(project({ 'a.yaml': archive('      format: parquet\n') }, withStorage))[0]).toMatch(/zstd needs Node\.js >= 22\.15 .*; use snappy/);
    }
    const csv = load({ configFile: project({ 'a.yaml': archive('      format: csv\n') }, withStorage), env: {} }).policies[0]!;
    expect(csv.retention?.archive).toMatchObject({ format: 'csv', compression: 'gzip' });
    expect(csv.retention?.archive).not.toHaveProperty('rowGroupRows');
    expect(problemsOf(project({ 'a.yaml': archive('      format: parquet\n      compression: gzip\n') }, withStorage))[0]).toMatch(/spec\.retention\.archive\.compression: Parquet compresses inside the file: zstd \(the default\) or snappy/);
    expect(problemsOf(project({ 'a.yaml': archive('      compression: snappy\n') }, withStorage))[0]).toMatch(/snappy is for format: parquet/);
    expect(problemsOf(project({ 'a.yaml': archive('      rowGroupRows: 5000\n') }, withStorage))[0]).toMatch(/spec\.retention\.archive\.rowGroupRows: only used with format: parquet/);
    expect(problemsOf(project({ 'a.yaml': archive('      format: parquet\n      rowGroupRows: 10\n') }, withStorage))[0]).toMatch(/rowGroupRows/);
  });

  it('archive.layout: hive (parquet, range policies) names its path column <key>_from unless hiveColumn says otherwise, never the key itself', () => {
    const withStorage = `${CONFIG}storage:\n  url: s3://bucket/prefix\n  forcePathStyle: true\n`;
    const archive = (extra: string) => POLICY.replace('action: drop', `action: archive\n    archive:\n${extra}`);
    const pq = zstdAvailable() ? '      format: parquet\n' : '      format: parquet\n      compression: snappy\n';
    const hive = load({ configFile: project({ 'a.yaml': archive(`${pq}      layout: hive\n`) }, withStorage), env: {} }).policies[0]!;
    expect(hive.retention?.archive).toMatchObject({ layout: 'hive', hiveColumn: 'occurred_at_from' });
    const named = load({ configFile: project({ 'a.yaml': archive(`${pq}      layout: hive\n      hiveColumn: day\n`) }, withStorage), env: {} }).policies[0]!;
    expect(named.retention?.archive).toMatchObject({ layout: 'hive', hiveColumn: 'day' });
    const plain = load({ configFile: project({ 'a.yaml': archive(pq) }, withStorage), env: {} }).policies[0]!;
    expect(plain.retention?.archive).toMatchObject({ layout: 'partition' });
    expect(plain.retention?.archive).not.toHaveProperty('hiveColumn');
    expect(problemsOf(project({ 'a.yaml': archive('      layout: hive\n') }, withStorage))[0]).toMatch(/spec\.retention\.archive\.layout: layout: hive is for format: parquet/);
    expect(problemsOf(project({ 'a.yaml': archive(`${pq}      hiveColumn: day\n`) }, withStorage))[0]).toMatch(/spec\.retention\.archive\.hiveColumn: only used with layout: hive/);
    expect(problemsOf(project({ 'a.yaml': archive(`${pq}      layout: hive\n      hiveColumn: occurred_at\n`) }, withStorage))[0]).toMatch(/must not be the key column occurred_at: query engines would read the path's lower bound/);
    expect(problemsOf(project({ 'a.yaml': archive(`${pq}      layout: hive\n      hiveColumn: "a/b"\n`) }, withStorage))[0]).toMatch(/hiveColumn: must be a plain column name/);
  });

  it('retention.afterAge: tiering alone needs no removal; age below keep, time keys only, one level; maxPerRun carried', () => {
    const alone = POLICY.replace('    keep: 90 days\n    action: drop\n', '    maxPerRun: 3\n    afterAge:\n      age: 30 days\n');
    const loaded = load({ configFile: project({ 'a.yaml': alone }), env: {} }).policies[0]!;
    expect(loaded.retention).toBeUndefined();
    expect(loaded.strategy === 'range' && loaded.tiering).toEqual({ age: { count: 30, unit: 'day' }, accessMethod: 'columnar', maxPerRun: 3 });
    const late = POLICY.replace('action: drop', 'action: drop\n    afterAge:\n      age: 120 days\n      accessMethod: columnar');
    expect(problemsOf(project({ 'a.yaml': late }))[0]).toMatch(/spec\.retention\.afterAge\.age: partitions expire at 90 days \(keep\), before they are 120 days old: make age shorter than keep/);
    const intKey = POLICY.replace('interval: 1 day', 'interval: 1000').replace('    keep: 90 days\n    action: drop\n', '    afterAge:\n      age: 30 days\n');
    expect(problemsOf(project({ 'a.yaml': intKey }))[0]).toMatch(/spec\.retention\.afterAge\.age: an integer range has no age/);
    const bad = POLICY.replace('action: drop', 'action: drop\n    afterAge:\n      age: soon');
    expect(problemsOf(project({ 'a.yaml': bad }))[0]).toMatch(/spec\.retention\.afterAge\.age: expected a duration like "30 days"/);
  });

  it('reads YAML as a DBA writes it: unquoted numbers as text, empty keys as unset, and says what a value of the wrong kind is', () => {
    const numeric = POLICY.replace('name: events', 'name: 2024').replace('    premake: 7', '    premake: 7\n    naming:\n    timezone:');
    const p = load({ configFile: project({ 'n.yaml': numeric }), env: {} }).policies[0] as RangePolicy;
    expect(p.name).toBe('2024');
    expect(p.range).toMatchObject({ timezone: 'UTC', premake: 7 });
    expect(p.range.naming).toBeUndefined();
    expect(problemsOf(project({ 'e.yaml': POLICY.replace('column: occurred_at', 'column:') }))).toEqual(['e.yaml:10:5: spec.range.column: is required but empty']);
    expect(problemsOf(project({ 'e.yaml': POLICY.replace('interval: 1 day', 'interval: {}') }))).toEqual([
      'e.yaml:11:15: spec.range.interval: expected a duration like "1 day" or a positive whole number, got a map',
    ]);
    expect(problemsOf(project({ 'e.yaml': POLICY.replace('interval: 1 day', 'interval: 0') }))).toEqual(['e.yaml:11:15: spec.range.interval: must be at least 1, got 0']);
    expect(problemsOf(project({ 'e.yaml': POLICY.replace('keep: 90 days', 'keep: [90 days]') }))).toEqual(['e.yaml:14:11: spec.retention.keep: expected a string, got a list']);
  });

  it('rejects a config with unknown keys and bad values', () => {
    const cfg = `${CONFIG}schedule: "every 10 minutes"\nstateSchme: pw\n`;
    expect(problemsOf(project({ 'a.yaml': POLICY }, cfg))).toEqual([
      'partwarden.yaml:6:11: schedule: "every 10 minutes" is not a valid cron expression (e.g. "*/10 * * * *")',
      'partwarden.yaml:7:1: stateSchme: unknown key "stateSchme" (did you mean "stateSchema"?)',
    ]);
  });

  it('names a missing config file', () => {
    expect(problemsOf('/nonexistent/partwarden.yaml')).toEqual(['partwarden.yaml:1:1: file not found']);
  });
});

describe('schema-qualified names', () => {
  it('folds unquoted names and keeps quoted ones', () => {
    expect(parseQualifiedName('Public.Events')).toEqual({ schema: 'public', name: 'events' });
    expect(parseQualifiedName('"Sales Data"."Order ""2024"""')).toEqual({ schema: 'Sales Data', name: 'Order "2024"' });
    expect(parseQualifiedName('"métriques"."📈 order"')).toEqual({ schema: 'métriques', name: '📈 order' });
    expect(parseQualifiedName('events')).toMatch(/schema-qualified/);
    expect(parseQualifiedName('public.my table')).toMatch(/needs double quotes/);
  });

  it('reads key columns like table names: unquoted folds to lower case, "Quoted" is exact', () => {
    const mixed = POLICY.replace('column: occurred_at', 'column: OccurredAt');
    expect((load({ configFile: project({ 'e.yaml': mixed }), env: {} }).policies[0] as RangePolicy).range.column).toBe('occurredat');
    const quoted = POLICY.replace('column: occurred_at', `column: '"OccurredAt"'`);
    expect((load({ configFile: project({ 'e.yaml': quoted }), env: {} }).policies[0] as RangePolicy).range.column).toBe('OccurredAt');
    const bad = POLICY.replace('column: occurred_at', 'column: occurred at');
    expect(problemsOf(project({ 'e.yaml': bad }))).toEqual(['e.yaml:10:13: spec.range.column: "occurred at" needs double quotes (it has characters PostgreSQL only accepts in quoted identifiers)']);
  });
});

describe('JSON Schema for editors', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  it('schema/*.json is generated from the validator (run npm run schema after changing it)', () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      expect(readFileSync(path.join(root, 'schema', file), 'utf8')).toBe(renderSchema(schema));
    }
  });
  it('every example policy references the schema and validates', () => {
    const dir = path.join(root, 'policies');
    const cfg = project({}, `${CONFIG.replace('./policies', JSON.stringify(dir))}storage:\n  url: s3://partwarden-archive/demo\n`);
    const { policies } = load({ configFile: cfg, env: {} });
    expect(policies.length).toBeGreaterThanOrEqual(3);
    for (const p of policies) expect(readFileSync(p.origin.file, 'utf8')).toContain('$schema=../schema/policy.schema.json');
  });
});
