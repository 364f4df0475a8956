import cron, { type ScheduledTask } from 'node-cron';
import type { Config, Policy } from '../config/types.js';
import type { Logger } from '../log.js';
import { reconcile, type DatabaseReport } from '../reconcile/reconcile.js';

export interface SchedulerOptions {
  readonly config: Config;
  readonly policies: readonly Policy[];
  readonly log: Logger;
  readonly now: () => number;
  /** Called after every reconcile (tests, metrics). */
  readonly onReconciled?: (reports: readonly DatabaseReport[]) => void;
}

/**
 * Runs reconciles on each policy's schedule (its own, or the config's default). One reconcile at
 * a time per schedule group: a tick that arrives while the previous one still runs is skipped
 * and logged, never queued.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #tasks: ScheduledTask[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #busy = new Set<string>();
  #stopped = false;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
  }

  /** Reconciles every policy once now, then on schedule. */
  async start(): Promise<void> {
    const groups = new Map<string, Policy[]>();
    for (const p of this.#opts.policies) {
      const schedule = p.schedule ?? this.#opts.config.schedule;
      groups.set(schedule, [...(groups.get(schedule) ?? []), p]);
    }
    await this.#tick('startup', this.#opts.policies);
    for (const [schedule, policies] of groups) {
      const task = cron.schedule(schedule, () => void this.#tick(schedule, policies), { noOverlap: false });
      this.#tasks.push(task);
      this.#opts.log.info({ schedule, policies: policies.map((p) => p.name) }, 'scheduled');
    }
  }

  #tick(group: string, policies: readonly Policy[]): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#busy.has(group)) {
      this.#opts.log.warn({ schedule: group }, 'previous reconcile still running; skipping this tick');
      return Promise.resolve();
    }
    this.#busy.add(group);
    const run = (async () => {
      try {
        const reports = await reconcile({ config: this.#opts.config, policies, nowMs: this.#opts.now(), execute: true, log: this.#opts.log });
        const outcomes = reports.flatMap((r) => r.outcomes);
        const problems = reports.flatMap((r) => r.plans.flatMap((p) => p.problems));
        this.#opts.log.info(
          { schedule: group, done: outcomes.filter((o) => o.status === 'done').length, failed: outcomes.filter((o) => o.status === 'failed').length, problems: problems.length },
          'reconcile finished',
        );
        for (const p of problems) this.#opts.log.warn({ policy: p.policy, rule: p.rule, partition: p.partition }, p.message);
        this.#opts.onReconciled?.(reports);
      } catch (err) {
        this.#opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'reconcile crashed');
      } finally {
        this.#busy.delete(group);
      }
    })();
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return run;
  }

  /** Stops scheduling and waits for the running reconcile to finish its current work. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#tasks.splice(0)) await t.stop();
    await Promise.allSettled([...this.#running]);
  }
}
