import { describe, expect, it } from 'vitest';
import { intervalText, namingFrom, policyFromPartman, type PartmanConfig } from '../../src/config/from-pg-partman.js';

const daily: PartmanConfig = {
  parentTable: 'public.events', control: 'created_at', partitionInterval: '1 day', intervalParts: [0, 1, 0], premake: 4, epoch: 'none',
  retention: '30 days', retentionParts: [0, 30, 0], retentionKeepTable: false, retentionSchema: null, datetimeString: 'YYYY_MM_DD',
  templateTable: 'partman.template_public_events', templateReloptions: null, inheritPrivileges: false, automaticMaintenance: 'on', hasDefault: true, subPartitioned: false,
};

describe('pg_partman part_config as a policy', () => {
  it('reads intervals the way pg_partman stores them (hourly 01:00:00, weekly 7 days, quarterly 3 mons)', () => {
    expect([[0, 0, 3600], [0, 7, 0], [0, 1, 0], [1, 0, 0], [3, 0, 0], [12, 0, 0], [24, 0, 0], [0, 0, 1800], [1, 1, 0]].map((p) => intervalText(p as [number, number, number]))).toEqual([
      '1 hour', '1 week', '1 day', '1 month', '1 quarter', '1 year', '2 years', undefined, undefined,
    ]);
  });
  it('maps datetime_string to a name template', () => {
    expect(namingFrom('YYYY_MM_DD')).toEqual({ naming: '{table}_p{YYYY}_{MM}_{DD}' });
    expect(namingFrom('YYYY"q"Q')).toEqual({ naming: '{table}_p{YYYY}q{Q}' });
    expect(namingFrom('YYYY_MM_DD_HH24MI')).toEqual({ naming: '{table}_p{YYYY}_{MM}_{DD}_{HH}00' });
    expect(namingFrom('IYYY"w"IW')).toEqual({ why: 'datetime_string "IYYY\\"w\\"IW" has tokens partwarden\'s names do not have (IYYY"w"IW)' });
  });
  it('prints a policy with its review notes; retention_keep_table decides detach or drop', () => {
    const p = policyFromPartman(daily, 'main', 'partman');
    expect(p.yaml).toContain('  retention:\n    keep: 30 days\n    action: drop');
    expect(p.yaml).toMatch(/^# template_table partman\.template_public_events: new partitions take its storage parameters/);
    expect(p.yaml).toContain('\n  template: partman.template_public_events\n');
    expect(policyFromPartman({ ...daily, retentionKeepTable: true }, 'main', 'partman').yaml).toContain('    action: detach');
    expect(policyFromPartman({ ...daily, retentionSchema: 'old' }, 'main', 'partman').notes).toContainEqual(expect.stringMatching(/^retention_schema old: pg_partman moves expired tables there/));
  });
  it('keeps out what it cannot express, and says why', () => {
    expect(policyFromPartman({ ...daily, epoch: 'seconds' }, 'main', 'partman')).toEqual({ table: 'public.events', notes: ['epoch: seconds: integer keys holding epoch times are not supported yet; kept out'] });
    expect(policyFromPartman({ ...daily, intervalParts: [0, 1, 1800], partitionInterval: '1 day 00:30:00' }, 'main', 'partman').yaml).toBeUndefined();
  });
});
