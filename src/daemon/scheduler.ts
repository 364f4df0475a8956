import cron, { type ScheduledTask } from 'node-cron';
import type { Policy } from '../config/types.js';
import type { Logger } from '../log.js';

export interface SchedulerOptions {
  readonly defaultSchedule: string;
  readonly policies: readonly Policy[];
  readonly log: Logger;
  /** Longest random delay before a tick's work starts (spreads replicas and groups over time). */
  readonly jitterMs: number;
  /** Runs one cycle for these policies (never two cycles of one policy at once: see #claim). */
  readonly run: (policies: readonly Policy[], reason: string) => Promise<void>;
  /** Names of policies in a cycle, shared with the scheduler a reload replaced (its cycles may still run). */
  readonly busy: Set<string>;
}

/**
 * Fires cycles on each policy's schedule (its own or the default one): policies that share a
 * schedule share a cycle, so their catalog reads are batched. A policy whose previous cycle still
 * runs is skipped for this tick (logged), never queued. Each tick waits a random 0..jitter first.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #tasks: ScheduledTask[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #busy: Set<string>;
  #stopped = false;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    this.#busy = opts.busy;
  }

  /** Schedules every group; with `runNow`, every policy is reconciled at once (no jitter) first. */
  start(runNow: boolean): Promise<void> {
    const groups = new Map<string, Policy[]>();
    for (const p of this.#opts.policies) {
      const schedule = p.schedule ?? this.#opts.defaultSchedule;
      groups.set(schedule, [...(groups.get(schedule) ?? []), p]);
    }
    for (const [schedule, policies] of groups) {
      this.#tasks.push(cron.schedule(schedule, () => this.#jittered(schedule, policies), { noOverlap: false }));
      this.#opts.log.debug({ schedule, policies: policies.length }, 'scheduled');
    }
    return runNow ? this.trigger('startup') : Promise.resolve();
  }

  /** Runs every policy now (those not already running). */
  trigger(reason: string): Promise<void> {
    return this.#cycle(this.#opts.policies, reason);
  }

  #jittered(schedule: string, policies: readonly Policy[]): void {
    if (this.#stopped) return;
    const delay = Math.floor(Math.random() * this.#opts.jitterMs);
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void this.#cycle(policies, `schedule ${schedule}`);
    }, delay);
    this.#timers.add(t);
  }

  #cycle(policies: readonly Policy[], reason: string): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const free = policies.filter((p) => !this.#busy.has(p.name));
    if (free.length < policies.length) {
      this.#opts.log.warn({ reason, skipped: policies.filter((p) => this.#busy.has(p.name)).map((p) => p.name) }, 'previous cycle of these policies still running; skipped this time');
    }
    if (free.length === 0) return Promise.resolve();
    for (const p of free) this.#busy.add(p.name);
    const run = this.#opts
      .run(free, reason)
      .catch((err: unknown) => this.#opts.log.error({ err: err instanceof Error ? err.message : String(err), reason }, 'cycle crashed'))
      .finally(() => {
        for (const p of free) this.#busy.delete(p.name);
      });
    return run;
  }

  /** Stops firing ticks (idempotent); running cycles go on (the daemon waits for them). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const t of this.#tasks.splice(0)) await t.stop();
  }
}
