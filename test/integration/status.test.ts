import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { reconcileAt, runCli } from '../helpers/partwarden.js';

const db = useDatabase();
const NOW = '2024-03-10T15:00:00Z';

interface StatusDoc {
  healthy: boolean;
  policies: Array<{ policy: string; partitions: number; futurePartitions: number | null; probes: Array<{ name: string; scanned: number | null; error: string | null }>; violations: Array<{ rule: string; partition: string | null; message: string }> }>;
}

describe('partwarden status', () => {
  it('a table per policy; exit 2 with each violation named, exit 0 once healthy', async () => {
    await db.sql.query(`CREATE TABLE public.st (id int, ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    const probe = `  health:
    maxPartitions: 4
    probes:
      - name: by-id
        query: "SELECT * FROM public.st WHERE id = 42"
        maxPartitionsScanned: 1
      - name: last-hour
        query: "SELECT * FROM public.st WHERE ts > '2024-03-10 14:00+00'"
        maxPartitionsScanned: 3
      - name: runtime
        query: "SELECT * FROM public.st WHERE ts > now() + interval '100 years'"
        maxPartitionsScanned: 1
`;
    const cfg = writeProject(db.url, { 's.yaml': rangePolicy({ name: 'st', table: 'public.st', column: 'ts', interval: '1 day', premake: 2, extra: probe }) });
    // nothing exists yet: the current and future days are missing
    const before = await runCli(['status', '--config', cfg, '--output', 'json'], { PARTWARDEN_NOW: NOW });
    expect(before.code).toBe(2);
    const doc = JSON.parse(before.stdout) as StatusDoc;
    expect(doc.healthy).toBe(false);
    expect(doc.policies[0]!.violations.map((v) => v.rule)).toEqual(['future_partitions_low']);

    await reconcileAt(cfg, NOW);
    const ok = await runCli(['status', '--config', cfg], { PARTWARDEN_NOW: NOW });
    expect(ok.stdout).toMatch(/^st\s+public\.st\s+range\s+3\s+2\s+2024-03-10 00:00:00\+00\s+2024-03-13 00:00:00\+00\s+-\s+(ok|probe_not_pruned)$/m);
    // a query on a non-key column scans every partition: probe_not_pruned names the probe
    const json = JSON.parse((await runCli(['status', '--config', cfg, '--output', 'json'], { PARTWARDEN_NOW: NOW })).stdout) as StatusDoc;
    // now() is only known at executor startup: those partitions are removed by initial pruning, not counted
    expect(json.policies[0]!.probes.map((p) => `${p.name} ${p.scanned}`)).toEqual(['current-interval 1', 'by-id 3', 'last-hour 3', 'runtime 0']);
    expect(json.policies[0]!.violations.map((v) => v.message)).toEqual(['probe by-id scans 3 partitions, at most 1 allowed']);
    expect(ok.code).toBe(2);
    expect(ok.stdout).toMatch(/^VIOLATION st probe_not_pruned: probe by-id scans 3 partitions, at most 1 allowed$/m);
    // the same table under a policy without that probe is healthy
    const plain = writeProject(db.url, { 's.yaml': rangePolicy({ name: 'st', table: 'public.st', column: 'ts', interval: '1 day', premake: 2 }) });
    const healthy = await runCli(['status', '--config', plain], { PARTWARDEN_NOW: NOW });
    expect(healthy.stdout).toMatch(/^Status at 2024-03-10T15:00:00.000Z: healthy$/m);
    expect(healthy.code).toBe(0);
  });

  it('flags enable_partition_pruning = off set for a role, and a probe that is not valid SQL without failing the run', async () => {
    await db.sql.query(`CREATE TABLE public.pr (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)`);
    await db.sql.query(`CREATE ROLE pw_app_role`);
    await db.sql.query(`ALTER ROLE pw_app_role IN DATABASE ${db.name} SET enable_partition_pruning = off`);
    const probe = `  health:
    probes:
      - name: broken
        query: "SELECT * FROM public.pr WHERE; DROP TABLE public.pr"
        maxPartitionsScanned: 1
`;
    const cfg = writeProject(db.url, { 'p.yaml': rangePolicy({ name: 'pr', table: 'public.pr', column: 'ts', interval: '1 day', premake: 1, extra: probe }) });
    await reconcileAt(cfg, NOW);
    const r = await runCli(['status', '--config', cfg, '--output', 'json'], { PARTWARDEN_NOW: NOW });
    const doc = JSON.parse(r.stdout) as StatusDoc;
    expect(doc.policies[0]!.violations.map((v) => v.message)).toEqual([`partition pruning is off (ALTER ... SET enable_partition_pruning = off for role pw_app_role in database ${db.name}): every query scans every partition`]);
    expect(doc.policies[0]!.probes.find((p) => p.name === 'broken')!.error).toMatch(/syntax error|cannot insert multiple commands/);
    expect((await db.sql.query(`SELECT to_regclass('public.pr') AS t`)).rows[0].t).toBe('pr');
    await db.sql.query(`ALTER ROLE pw_app_role IN DATABASE ${db.name} RESET enable_partition_pruning`);
    await db.sql.query(`DROP ROLE pw_app_role`);
  });
});
