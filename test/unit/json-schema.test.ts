import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../../src/config/errors.js';
import { load } from '../../src/config/load.js';

/**
 * schema/*.json is what editors check a file against while it is written; the loader is what
 * partwarden checks it against. Both come from one zod declaration, so they must agree: on the
 * example policies, and on the mistakes editors should flag.
 */
const root = path.resolve(import.meta.dirname, '../..');
const ajv = new Ajv2020({ allErrors: true, strict: false });
const policySchema = ajv.compile(JSON.parse(readFileSync(path.join(root, 'schema/policy.schema.json'), 'utf8')));
const configSchema = ajv.compile(JSON.parse(readFileSync(path.join(root, 'schema/config.schema.json'), 'utf8')));

const CONFIG = 'databases:\n  main:\n    url: postgres://localhost/app\n    lockTimeout: 500ms\nstorage:\n  url: s3://bucket/prefix\n';
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
  retention:
    keep: 90 days
    action: archive
    archive:
      compression: gzip
`;

function loaderAccepts(policy: string): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-json-schema-'));
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'partwarden.yaml'), CONFIG);
  writeFileSync(path.join(dir, 'policies', 'p.yaml'), policy);
  try {
    load({ configFile: path.join(dir, 'partwarden.yaml'), env: {} });
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

describe('generated JSON Schema and the loader agree', () => {
  it('every example policy and the config validate against schema/*.json', () => {
    const files = readdirSync(path.join(root, 'policies')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const doc: unknown = parse(readFileSync(path.join(root, 'policies', f), 'utf8'));
      expect(policySchema(doc), `${f}: ${JSON.stringify(policySchema.errors)}`).toBe(true);
    }
    expect(configSchema(parse(CONFIG)), JSON.stringify(configSchema.errors)).toBe(true);
    expect(policySchema(parse(POLICY))).toBe(true);
    expect(loaderAccepts(POLICY)).toBe(true);
  });

  it.each([
    ['a mistyped key', POLICY.replace('    interval: 1 day', '    intervall: 1 day')],
    ['a missing required key', POLICY.replace('    column: occurred_at\n', '')],
    ['a value outside an enum', POLICY.replace('action: archive', 'action: delete')],
    ['a number where a map goes', POLICY.replace('    archive:\n      compression: gzip\n', '    archive: 3\n')],
    ['a premake below 1', POLICY.replace('    interval: 1 day', '    interval: 1 day\n    premake: 0')],
    ['a wrong apiVersion', POLICY.replace('partwarden/v1', 'partwarden/v2')],
  ])('both reject %s', (_what, policy) => {
    expect(policySchema(parse(policy))).toBe(false);
    expect(loaderAccepts(policy)).toBe(false);
  });

  it('defaults and descriptions reach the editor', () => {
    const schema = JSON.parse(readFileSync(path.join(root, 'schema/policy.schema.json'), 'utf8'));
    const range = schema.properties.spec.properties.range;
    expect(range.properties.premake).toMatchObject({ default: 4, minimum: 1, maximum: 1000 });
    expect(range.properties.timezone).toMatchObject({ default: 'UTC', examples: expect.arrayContaining(['Europe/Paris']) });
    expect(range.required).toEqual(['column', 'interval']);
    expect(schema.properties.spec.properties.retention.properties.maxPerRun.default).toBe(10);
    expect(schema.properties.spec.properties.retention.properties.afterArchive.default).toBe('drop');
    expect(schema.properties.spec.properties.default.properties.relocateBatchRows.default).toBe(10000);
    const config = JSON.parse(readFileSync(path.join(root, 'schema/config.schema.json'), 'utf8'));
    expect(config.properties.databases.additionalProperties.properties.lockTimeout.default).toBe('2s');
    expect(config.properties.databases.minProperties).toBe(1);
  });
});
