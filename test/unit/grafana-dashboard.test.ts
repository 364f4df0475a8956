import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Metrics } from '../../src/daemon/metrics.js';

/*
 * The chart's Grafana dashboard (helm/partwarden/dashboards/partwarden.json): every query parses
 * with promtool (built once by .ci/promtool.sh, cached) and names only metrics the daemon exports.
 */
const root = path.resolve(import.meta.dirname, '../..');
interface Target { expr: string; legendFormat?: string }
interface Panel { title: string; type: string; targets?: Target[]; panels?: Panel[] }
const dashboard = JSON.parse(readFileSync(path.join(root, 'helm/partwarden/dashboards/partwarden.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: { query: string } | string }> };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Grafana's variables as Prometheus would receive them. */
const asPromQL = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$policy', '.*');

/** The metric names in a query: identifiers outside label matchers, strings and grouping clauses, that are not PromQL's own words. */
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'abs', 'rate', 'increase', 'irate', 'delta', 'time', 'vector', 'scalar', 'histogram_quantile',
  'clamp_min', 'clamp_max', 'topk', 'bottomk', 'and', 'or', 'unless', 'absent', 'changes', 'sort', 'sort_desc', 'offset',
]);
function metricNames(expr: string): string[] {
  const bare = asPromQL(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
}

async function exportedMetrics(): Promise<Set<string>> {
  const metrics = new Metrics('test');
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

describe('Grafana dashboard', () => {
  it('has the panels of the issue: runway, partitions, expired, DEFAULT rows, violations, actions, failures, archive bytes, reconcile duration, leader, database up', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const m of ['partwarden_coverage_end_timestamp_seconds', 'partwarden_partitions', 'partwarden_expired_partitions_attached', 'partwarden_default_partition_rows',
      'partwarden_policy_violation', 'partwarden_actions_total', 'partwarden_archive_bytes_total', 'partwarden_reconcile_duration_seconds_bucket', 'partwarden_leader', 'partwarden_database_up']) {
      expect(all, m).toContain(m);
    }
    expect(all).toContain('partwarden_coverage_end_timestamp_seconds{policy=~"$policy"}) - time()');
    expect(queries.length).toBeGreaterThan(15);
  });

  it('names only metrics the daemon exports', async () => {
    const exported = await exportedMetrics();
    const variable = dashboard.templating.list.find((v) => v.name === 'policy')!;
    const variableQuery = typeof variable.query === 'string' ? variable.query : variable.query!.query;
    // label_values(metric, label): the metric is a query, the label a label
    const variableMetric = /^label_values\(([^,]+),\s*policy\)$/.exec(variableQuery)![1]!;
    const used = [...queries.map((q) => ({ where: q.panel, expr: q.expr })), { where: 'variable policy', expr: variableMetric }];
    for (const { where, expr } of used) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) expect(exported.has(n), `${where}: ${n} is not a metric partwarden exports (${expr})`).toBe(true);
    }
  });

  it('every query parses with promtool', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-dashboard-'));
    try {
      // each query as a recording rule: `promtool check rules` parses every expression
      const rules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(q.expr) })) }] };
      writeFileSync(path.join(dir, 'rules.yaml'), stringify(rules));
      const out = execFileSync('bash', [path.join(root, '.ci/promtool.sh'), 'check', 'rules', path.join(dir, 'rules.yaml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toContain(`SUCCESS: ${queries.length} rules found`);
      // and a query that does not parse is refused (the check is real)
      writeFileSync(path.join(dir, 'bad.yaml'), stringify({ groups: [{ name: 'bad', rules: [{ record: 'bad', expr: 'sum by (policy (partwarden_partitions)' }] }] }));
      expect(() => execFileSync('bash', [path.join(root, '.ci/promtool.sh'), 'check', 'rules', path.join(dir, 'bad.yaml')], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
