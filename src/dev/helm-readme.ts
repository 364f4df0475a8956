/**
 * Writes helm/partwarden/README.md from the `# --` comments of values.yaml (the helm-docs
 * convention, without needing helm-docs): `npm run helm:readme`. `--check` fails when the README
 * is out of date (CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const chart = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../helm/partwarden');

interface ValueDoc {
  readonly key: string;
  readonly description: string;
}

/** `# --` comments, with their continuation lines, attached to the key that follows them. */
export function valueDocs(text: string): ValueDoc[] {
  const docs: ValueDoc[] = [];
  const stack: Array<{ indent: number; key: string }> = [];
  let buffer: string[] | undefined;
  for (const line of text.split('\n')) {
    const comment = /^(\s*)#\s?(.*)$/.exec(line);
    if (comment) {
      const body = comment[2]!;
      if (body.startsWith('-- ')) buffer = [body.slice(3)];
      else if (buffer && body.trim() !== '' && !/^\S+:/.test(body.trim())) buffer.push(body.trim());
      else buffer = undefined;
      continue;
    }
    const key = /^(\s*)([A-Za-z0-9_.-]+):/.exec(line);
    if (!key) {
      if (line.trim() === '') buffer = undefined;
      continue;
    }
    const indent = key[1]!.length;
    while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop();
    stack.push({ indent, key: key[2]! });
    if (buffer) docs.push({ key: stack.map((s) => s.key).join('.'), description: buffer.join(' ') });
    buffer = undefined;
  }
  return docs;
}

function valueAt(values: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), values);
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

export function renderReadme(valuesText: string): string {
  const values = parse(valuesText) as unknown;
  const rows = valueDocs(valuesText).map((d) => {
    const v = valueAt(values, d.key);
    const shown = JSON.stringify(v).replaceAll('|', '\\|');
    return `| \`${d.key}\` | ${typeOf(v)} | \`${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}\` | ${d.description.replaceAll('|', '\\|')} |`;
  });
  return [
    '# partwarden Helm chart',
    '',
    '<!-- generated from values.yaml by `npm run helm:readme`; edit the `# --` comments there -->',
    '',
    'Deploys [partwarden](../../README.md): the daemon (`mode: deployment`, replicas with leader',
    'election), `partwarden apply` on a schedule (`mode: cronjob`), or the configuration and',
    'monitoring for a sidecar next to Postgres (`mode: sidecar`, see [docs/sidecar.md](../../docs/sidecar.md)).',
    'Alerts: [docs/runbook.md](../../docs/runbook.md).',
    '',
    '```sh',
    'kubectl create secret generic partwarden-database --from-literal=url=postgres://partwarden:...@db:5432/app',
    'helm install pw helm/partwarden --set-file policies.inline.events\\.yaml=policies/events.yaml \\',
    '  --set serviceMonitor.enabled=true --set prometheusRule.enabled=true',
    'helm test pw        # checks /readyz through the Service',
    '```',
    '',
    'Policies come inline (`policies.inline`) or from your own ConfigMap (`policies.existingConfigMap`);',
    'both are mounted as directories, so ConfigMap updates reach the pod and are hot-reloaded. Database',
    'URLs come from existing Secrets only; S3 credentials from a Secret (`storage.credentialsSecret`) or',
    'from IRSA / workload identity (`serviceAccount.annotations`). In `cronjob` mode nothing is scraped',
    'between runs: alert on the Jobs with kube-state-metrics (`KubeJobFailed`).',
    '',
    '## Values',
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const text = readFileSync(path.join(chart, 'values.yaml'), 'utf8');
  const readme = renderReadme(text);
  const file = path.join(chart, 'README.md');
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== readme) {
      process.stderr.write('helm/partwarden/README.md is out of date: run npm run helm:readme\n');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(file, readme);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
