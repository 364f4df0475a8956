import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Imports only run downward (docs/design.md, "Layers"): a folder of src/ imports only folders of a
 * lower rank (or its own). `import type` counts too: a type import is still a dependency that
 * pulls an idea upward. Files directly under src/ (log, progress, text-table, version) are leaves.
 */
const RANK: Readonly<Record<string, number>> = {
  demo: 14, dev: 13, cli: 12, daemon: 11, reconcile: 10, health: 9, executor: 8, archive: 7, planner: 6, catalog: 5,
  config: 4, sql: 3, model: 2, testing: 2, '.': 2, time: 1, db: 0,
};

const src = path.resolve(import.meta.dirname, '../../src');
const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
const layerOf = (file: string) => (path.dirname(file) === '.' ? '.' : file.split(path.sep)[0]!);

describe('layers', () => {
  it('every folder of src/ has a rank', () => {
    expect([...new Set(files.map(layerOf))].filter((l) => RANK[l] === undefined)).toEqual([]);
  });

  it('no import runs back up', () => {
    const upward: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(src, f), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)) {
        const target = path.relative(src, path.resolve(path.dirname(path.join(src, f)), m[1]!));
        const from = layerOf(f);
        const to = layerOf(target);
        if (from !== to && RANK[to]! >= RANK[from]!) upward.push(`${f} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
