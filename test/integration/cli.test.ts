import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDatabase, rangePolicy, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

const db = useDatabase();
beforeAll(async () => {
  await db.sql.query(`CREATE TABLE public.events (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
});

const NOW = '2024-03-10T15:00:00Z';
const events = rangePolicy({ name: 'events', table: 'public.events', column: 'ts', interval: '1 day', premake: 1 });

describe('partwarden CLI', () => {
  it('validate: exit 0 on valid files, 1 with file:line:col on invalid ones', async () => {
    const cfg = writeProject(db.url, { 'e.yaml': events });
    const ok = await runCli(['validate', '--config', cfg]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok, 1 policy/);
    const bad = writeProject(db.url, { 'e.yaml': events.replace('premake: 1', 'premake: 1\n    intervall: 2') });
    const res = await runCli(['validate', '--config', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(`${path.join(path.dirname(bad), 'policies/e.yaml')}:13:5: spec.range.intervall: unknown key "intervall" (did you mean "interval"?)`);
  });

  it('plan: shows the exact SQL, changes nothing; --output json and --at work', async () => {
    const cfg = writeProject(db.url, { 'e.yaml': events });
    const text = await runCli(['plan', '--config', cfg, '--at', '2024-03-10T15:00:00Z']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('create  events_p20240310  [2024-03-10 00:00:00+00, 2024-03-11 00:00:00+00)');
    expect(text.stdout).toContain(`ALTER TABLE "public"."events" ATTACH PARTITION "public"."events_p20240310" FOR VALUES FROM ('2024-03-10 00:00:00+00'::timestamptz) TO ('2024-03-11 00:00:00+00'::timestamptz);`);
    const json = await runCli(['plan', '--config', cfg, '--at', '2024-03-10', '--output', 'json', '--policy', 'events']);
    const parsed = JSON.parse(json.stdout) as { at: string; databases: Array<{ policies: Array<{ actions: Array<{ kind: string; sql: string[] }> }> }> };
    expect(parsed.at).toBe('2024-03-10T00:00:00.000Z');
    expect(parsed.databases[0]!.policies[0]!.actions.map((a) => a.kind)).toEqual(['create', 'create']);
    const count = await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.events'::regclass`);
    expect(count.rows[0].n).toBe(0);
    expect((await db.sql.query(`SELECT to_regclass('partwarden.journal') AS t`)).rows[0].t).toBeNull();
  });

  it('apply --dry-run changes nothing; apply does the work and exits 0', async () => {
    const cfg = writeProject(db.url, { 'e.yaml': events });
    const dry = await runCli(['apply', '--config', cfg, '--dry-run'], { PARTWARDEN_NOW: NOW });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run: nothing was changed/);
    expect((await db.sql.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'public.events'::regclass`)).rows[0].n).toBe(0);
    const real = await runCli(['apply', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^DONE\s+events: create public\.events_p20240310/m);
    expect(real.stdout).toMatch(/^2 done, 0 failed, 0 skipped$/m);
    // logs are JSON lines on stderr, with policy and partition
    const line = real.stderr.split('\n').find((l) => l.includes('events_p20240310'))!;
    expect(JSON.parse(line)).toMatchObject({ policy: 'events', partition: 'events_p20240310', action: 'create' });
  });

  it('names an unknown policy and a bad option, exit 1', async () => {
    const cfg = writeProject(db.url, { 'e.yaml': events });
    const r = await runCli(['plan', '--config', cfg, '--policy', 'evnts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no policy named "evnts" \(loaded: events\)/);
    const o = await runCli(['plan', '--config', cfg, '--output', 'yaml']);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/--output must be text or json/);
  });

  it('never prints the database password, even when the database is unreachable', async () => {
    const cfg = writeProject('postgres://app:S3cretPassw0rd@127.0.0.1:1/nowhere', { 'e.yaml': events });
    for (const args of [['plan', '--config', cfg], ['apply', '--config', cfg], ['validate', '--config', cfg, '--db']]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain('S3cretPassw0rd');
      expect(r.stdout + r.stderr).toMatch(/database "main" \(postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/nowhere\)/);
    }
  });

  it('the bin is linked by npm ci', async () => {
    const { existsSync, realpathSync } = await import('node:fs');
    const bin = path.resolve(import.meta.dirname, '../../node_modules/.bin/partwarden');
    expect(existsSync(bin)).toBe(true);
    expect(realpathSync(bin)).toMatch(/dist\/src\/cli\/main\.js$/);
  });
});
