import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/daemon/metrics.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('metrics documentation', () => {
  it("README's metrics table names every partwarden_* metric the daemon exports", async () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `partwarden_'));
    for (const m of await new Metrics('test').registry.getMetricsAsJSON()) {
      if (!m.name.startsWith('partwarden_')) continue;
      const row = rows.find((r) => r.includes(`\`${m.name}\``) || r.includes(`\`${m.name}{`));
      expect(row, `${m.name} is not in README's metrics table`).toBeDefined();
    }
  });
});
