import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { load } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { reconcile, type DatabaseReport } from '../../src/reconcile/reconcile.js';

const root = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(root, 'dist/src/cli/main.js');

/** One in-process reconcile at a fixed clock. */
export async function reconcileAt(configFile: string, nowIso: string, execute = true, policy?: string): Promise<DatabaseReport[]> {
  const { config, policies } = load({ configFile, env: process.env });
  // 'simulated': the dated scenario's instant stands for the database's clock
  return reconcile({ config, policies: policies.filter((p) => !policy || p.name === policy), nowMs: Date.parse(nowIso), clock: 'simulated', execute, log: silentLogger() });
}

export function outcomesOf(reports: readonly DatabaseReport[]): string[] {
  return reports.flatMap((r) => r.outcomes.map((o) => `${o.status} ${o.action.kind} ${o.action.partition.name}`));
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a separate process, as a user or a CronJob would. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Starts the CLI and hands back the process, e.g. to kill -9 it at a chosen moment. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, PARTWARDEN_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** The JSON log lines a child writes to stderr, collected as they come (`onLine` sees each). */
export function jsonLogs(child: ChildProcess, onLine?: (rec: Record<string, unknown>) => void): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // not JSON
      }
      lines.push(rec);
      onLine?.(rec);
    }
  });
  return lines;
}
