import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rangePolicy, useDatabase, writeProject } from '../helpers/db.js';
import { runCli } from '../helpers/partwarden.js';

/*
 * leaderElection: lease where no Kubernetes API server is configured: `run` refuses at start with
 * a message that says what to do, and exits (nothing left listening). The election itself runs
 * against a real API server in test/kube/ (.ci/kube-checks.sh).
 */
const db = useDatabase();

describe('leaderElection: lease without an API server', () => {
  it('run exits 1 at start, naming the missing pod environment and kubeconfig', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pw-home-'));
    const config = writeProject(db.url, { 'events.yaml': rangePolicy({ name: 'events', table: 'public.events', column: 'at', interval: '1 day' }) }, 'server:\n  listen: 127.0.0.1:0\nleaderElection: lease\n');
    const env: NodeJS.ProcessEnv = { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' };
    const r = await runCli(['run', '--config', config], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('leaderElection is "lease" but no Kubernetes API server is configured: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig at');
    expect(r.stderr).toContain('set KUBECONFIG');
    expect(r.stderr).not.toContain('http server listening');
  }, 30_000);
});
