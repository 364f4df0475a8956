import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderReadme } from '../../src/dev/helm-readme.js';
import { ALL_RULES } from '../../src/health/rules.js';

/*
 * What can be checked without helm: the chart's generated README, and that alerts, rules and
 * runbook cover each other. .ci/run renders, lints and validates the chart and runs promtool.
 */
const root = path.resolve(import.meta.dirname, '../..');
const chart = path.join(root, 'helm/partwarden');
const alerts = readdirSync(path.join(chart, 'rules')).map((f) => ({ file: f, rule: parse(readFileSync(path.join(chart, 'rules', f), 'utf8')) as { alert: string; expr: string; for: string; labels: { severity: string }; annotations: Record<string, string> } }));

describe('Helm chart', () => {
  it('README.md is generated from the values.yaml comments (npm run helm:readme)', () => {
    expect(readFileSync(path.join(chart, 'README.md'), 'utf8')).toBe(renderReadme(readFileSync(path.join(chart, 'values.yaml'), 'utf8')));
  });

  it('has an alert for every violation rule of SPEC §4, plus stale reconcile, no leader, archive failing and reload failures', () => {
    const watched = alerts.map((a) => /rule="([a-z_]+)"/.exec(a.rule.expr)?.[1]).filter(Boolean);
    expect([...new Set(watched)].sort()).toEqual([...ALL_RULES].sort());
    const names = alerts.map((a) => a.rule.alert);
    for (const n of ['PartwardenReconcileStale', 'PartwardenNoLeader', 'PartwardenArchiveFailed', 'PartwardenConfigReloadFailed']) expect(names).toContain(n);
  });

  it('every alert has a severity, a summary, a description, and a runbook section', () => {
    const runbook = readFileSync(path.join(root, 'docs/runbook.md'), 'utf8');
    for (const { file, rule } of alerts) {
      expect(rule.alert, file).toMatch(/^Partwarden[A-Z][A-Za-z]+$/);
      expect(['info', 'warning', 'critical'], file).toContain(rule.labels.severity);
      expect(rule.annotations.summary, file).toBeTruthy();
      expect(rule.annotations.description, file).toBeTruthy();
      expect(rule.for, file).toMatch(/^\d+[smh]$/);
      expect(runbook, file).toContain(`\n## ${rule.alert}\n`);
      for (const part of ['**Meaning.**', '**Impact.**', '**Diagnosis.**', '**Mitigation.**']) expect(runbook.split(`## ${rule.alert}\n`)[1]!.split('\n## ')[0], `${rule.alert} ${part}`).toContain(part);
    }
  });
});
