import { openStorage } from '../archive/open-storage.js';
import { ConfigError, formatProblem } from '../config/errors.js';
import { load, type Loaded } from '../config/load.js';
import type { Policy } from '../config/types.js';
import type { PolicyStatus } from '../reconcile/assess-health.js';
import { statusJson, type StatusJson } from '../reconcile/status-report.js';
import type { Logger } from '../log.js';
import { reconcile, type DatabaseReport } from '../reconcile/reconcile.js';
import { startHttpServer } from './http.js';
import { KubeLease } from './kube-lease.js';
import { LeaderLease, type LeaderGate } from './leader.js';
import { Metrics } from './metrics.js';
import { ConfigWatcher } from './reload.js';
import { Scheduler } from './scheduler.js';
import { uncaughtFailpoint } from '../testing/faults.js';

export interface DaemonOptions {
  readonly configFile: string;
  /** --policies override of the config's `policies`. */
  readonly policies?: string;
  readonly log: Logger;
  readonly now: () => number;
  /** now() is a fixed instant (PARTWARDEN_NOW), not the wall clock: the database's clock is not used. */
  readonly fixedNow?: boolean;
  /** The wall clock, to measure the skew against each database's clock (default Date.now). */
  readonly wallClock?: () => number;
  readonly version: string;
}

/** How often leases are re-checked between cycles (leader gauge, readiness, reconnects). */
const LEASE_CHECK_MS = 5000;
/** Longest a shutdown waits for the running step before leaving it to the next start (journaled). */
const SHUTDOWN_GRACE_MS = 20_000;

/**
 * `partwarden run`: the one object that holds the daemon's state. It schedules cycles, elects a
 * leader per database, serves HTTP, reloads the configuration, and shuts down cleanly. Every
 * replica computes health and serves metrics; only a database's leader changes it.
 */
export class Daemon {
  readonly #opts: DaemonOptions;
  readonly #metrics: Metrics;
  #loaded: Loaded;
  #scheduler: Scheduler | undefined;
  readonly #busy = new Set<string>();
  readonly #leases = new Map<string, LeaderLease>();
  readonly #statuses = new Map<string, PolicyStatus>();
  readonly #reports = new Map<string, DatabaseReport>();
  #lastCycleAt: number | undefined;
  #http: { port: number; close(): Promise<void> } | undefined;
  #watcher: ConfigWatcher | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  /** leaderElection: lease — the Kubernetes Lease that decides which replica acts. */
  #kubeLease: KubeLease | undefined;
  #gate: LeaderGate | undefined;
  readonly #abort = new AbortController();
  #stopping: Promise<void> | undefined;

  /** Loads the configuration; throws ConfigError when it is invalid (the process must not start). */
  constructor(opts: DaemonOptions) {
    this.#opts = opts;
    this.#loaded = load({ configFile: opts.configFile, policies: opts.policies });
    this.#metrics = new Metrics(opts.version);
  }

  get port(): number | undefined {
    return this.#http?.port;
  }

  async start(): Promise<void> {
    const { log } = this.#opts;
    // first: a Lease that cannot work stops the start before anything listens
    await this.#openKubeLease();
    this.#http = await startHttpServer(this.#loaded.config.listen, {
      metrics: async () => ({ contentType: this.#metrics.registry.contentType, body: await this.#metrics.registry.metrics() }),
      readiness: () => this.readiness(),
      status: () => this.status(),
      trigger: () => void this.trigger('POST /reconcile'),
    }, log);
    this.#apply(this.#loaded);
    await this.#probeStorage();
    this.#watcher = new ConfigWatcher(this.#opts.configFile, this.#loaded.config, () => void this.reload('file change'), log);
    this.#leaseTimer = setInterval(() => void this.#checkLeases(), LEASE_CHECK_MS);
    this.#leaseTimer.unref();
    log.info({ policies: this.#loaded.policies.length, schedule: this.#loaded.config.schedule }, 'partwarden running');
    await this.#scheduler!.start(true);
  }

  /** Runs every policy now (SIGUSR1, POST /reconcile). */
  trigger(reason: string): Promise<void> {
    this.#opts.log.info({ reason }, 'manual reconcile');
    return this.#scheduler?.trigger(reason) ?? Promise.resolve();
  }

  /**
   * Reloads config and policies (file change, SIGHUP). A valid new set replaces the old one at
   * once; running cycles finish with the objects they started with. An invalid set is rejected
   * with every problem's file:line:col, and the last good set stays active.
   */
  reload(reason: string): boolean {
    const { log } = this.#opts;
    let next: Loaded;
    try {
      next = load({ configFile: this.#opts.configFile, policies: this.#opts.policies });
    } catch (err) {
      this.#metrics.reloadFailed();
      const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [err instanceof Error ? err.message : String(err)];
      log.error({ reason, problems }, `configuration reload rejected; the last good configuration stays active:\n${problems.join('\n')}`);
      return false;
    }
    if (next.config.listen !== this.#loaded.config.listen) log.warn({ listen: next.config.listen }, 'server.listen changed: takes effect on restart');
    if (JSON.stringify(next.config.leaderElection) !== JSON.stringify(this.#loaded.config.leaderElection)) log.warn({ leaderElection: next.config.leaderElection }, 'leaderElection changed: takes effect on restart');
    const old = this.#scheduler;
    this.#loaded = next;
    this.#apply(next);
    void old?.stop();
    this.#watcher?.retarget(next.config);
    log.info({ reason, policies: next.policies.length }, 'configuration reloaded');
    void this.#scheduler!.start(false);
    return true;
  }

  #apply(loaded: Loaded): void {
    const { config, policies } = loaded;
    this.#metrics.setPolicies(policies);
    const names = [...new Set(policies.map((p) => p.database))];
    this.#metrics.setDatabases(names);
    for (const [name, lease] of this.#leases) {
      const db = config.databases.get(name);
      if (!names.includes(name) || !db || db.url !== lease.db.url || config.stateSchema !== lease.stateSchema) {
        void lease.release();
        this.#leases.delete(name);
        this.#metrics.setLeader(name, false);
      }
    }
    for (const name of names) if (!this.#leases.has(name)) this.#leases.set(name, new LeaderLease(name, config.databases.get(name)!, config.stateSchema, this.#opts.log, (leader) => this.#metrics.setLeader(name, leader), this.#gate));
    const loadedNames = new Set(policies.map((p) => p.name));
    for (const k of [...this.#statuses.keys()]) if (!loadedNames.has(k)) this.#statuses.delete(k);
    for (const k of [...this.#reports.keys()]) if (!names.includes(k)) this.#reports.delete(k);
    this.#scheduler = new Scheduler({
      defaultSchedule: config.schedule, policies, log: this.#opts.log, jitterMs: config.scheduleJitterMs, busy: this.#busy,
      run: (ps, reason) => this.#track(this.#cycle(loaded, ps, reason)),
    });
  }

  /** Cycles in flight, whichever scheduler (before or after a reload) started them. */
  readonly #inFlight = new Set<Promise<void>>();

  #track(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Lease mode: the Lease is tried at once and every retryPeriod; gaining or losing it re-checks every database's lock at once. */
  async #openKubeLease(): Promise<void> {
    const election = this.#loaded.config.leaderElection;
    if (election?.mode !== 'lease') return;
    const kube = await KubeLease.open(election.lease, this.#opts.log, (held) => {
      this.#metrics.setLeaseHeld(kube.state().lease, held);
      if (!this.#stopping) void this.#checkLeases();
    });
    this.#kubeLease = kube;
    this.#gate = { open: () => kube.held, why: () => kube.state().reason };
    this.#metrics.setLeaseHeld(kube.state().lease, false);
    kube.start();
  }

  /** Says clearly at startup when archive storage is unreachable; creation goes on meanwhile. */
  async #probeStorage(): Promise<void> {
    const { config, policies } = this.#loaded;
    if (!config.storage || !policies.some((p) => p.retention?.action === 'archive')) return;
    await openStorage(config.storage)
      .probe()
      .then(() => this.#opts.log.info({ storage: config.storage?.url }, 'storage reachable'))
      .catch((err: unknown) => this.#opts.log.error({ err: (err as Error).message }, 'storage probe failed: archiving will fail until it is fixed'));
  }

  async #checkLeases(): Promise<void> {
    for (const [name, lease] of this.#leases) {
      await lease.refresh(this.#opts.now());
      this.#metrics.setLeader(name, lease.isLeader);
      this.#metrics.setDatabaseUp(name, lease.connected);
    }
  }

  /** One cycle for some policies: elect, reconcile (the leader executes), assess, record. */
  async #cycle(loaded: Loaded, policies: readonly Policy[], reason: string): Promise<void> {
    const { log } = this.#opts;
    uncaughtFailpoint('cycle');
    const t0 = this.#opts.now();
    const databases = [...new Set(policies.map((p) => p.database))];
    for (const d of databases) {
      const lease = this.#leases.get(d);
      if (!lease) continue;
      await lease.refresh(t0);
      this.#metrics.setLeader(d, lease.isLeader);
    }
    const reports = await reconcile({
      config: loaded.config, policies, nowMs: t0, execute: true, health: true, log, signal: this.#abort.signal,
      clock: this.#opts.fixedNow ? 'fixed' : 'database', ...(this.#opts.wallClock ? { processClock: this.#opts.wallClock } : {}),
      mayExecute: (d) => this.#leases.get(d)?.isLeader ?? false,
      fence: (d) => this.#leases.get(d)?.fence() ?? Promise.reject(new Error(`no lease for database ${d}`)),
    });
    const statuses = reports.flatMap((r) => r.health ?? []);
    const outcomes = reports.flatMap((r) => r.outcomes);
    const failedPolicies = new Set([
      ...outcomes.filter((o) => o.status === 'failed').map((o) => o.action.policy),
      ...policies.filter((p) => reports.some((r) => r.error && r.database === p.database)).map((p) => p.name),
    ]);
    for (const r of reports) {
      this.#reports.set(r.database, r);
      this.#metrics.setDatabaseUp(r.database, !r.error);
      if (r.clock) this.#metrics.setClockSkew(r.database, r.clock.skewSeconds);
    }
    for (const s of statuses) this.#statuses.set(s.policy, s);
    this.#lastCycleAt = t0;
    const seconds = (this.#opts.now() - t0) / 1000;
    this.#metrics.recordCycle({ statuses, outcomes, policies: policies.map((p) => p.name), failedPolicies, nowMs: t0, seconds });
    log.info(
      {
        reason, policies: policies.length, seconds,
        leaderOf: databases.filter((d) => this.#leases.get(d)?.isLeader),
        done: outcomes.filter((o) => o.status === 'done').length, failed: outcomes.filter((o) => o.status === 'failed').length,
        violations: statuses.reduce((n, s) => n + s.violations.length, 0),
      },
      'cycle finished',
    );
    for (const s of statuses) for (const v of s.violations) log.warn({ policy: s.policy, rule: v.rule, partition: v.partition }, v.message);
  }

  /** `/readyz`: config loaded and every database reachable. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    for (const [name, lease] of this.#leases) {
      const report = this.#reports.get(name);
      if (!lease.connected) reasons.push(`database ${name}: not connected${lease.problem ? ` (${lease.problem})` : ''}`);
      else if (report?.error) reasons.push(`database ${name}: ${report.error}`);
    }
    if (this.#lastCycleAt === undefined) reasons.push('no cycle has finished yet');
    return { ready: reasons.length === 0, reasons };
  }

  /** `/status`: the last known state of every loaded policy. */
  status(): StatusJson | null {
    if (this.#lastCycleAt === undefined) return null;
    const names = this.#loaded.policies.map((p) => p.name);
    const reports: DatabaseReport[] = [...this.#reports.values()].map((r) => ({
      ...r,
      health: names.map((n) => this.#statuses.get(n)).filter((s): s is PolicyStatus => s !== undefined && s.database === r.database),
    }));
    const leaders = new Map([...this.#leases].map(([n, l]) => [n, { leader: l.isLeader, reason: l.reason }] as const));
    const leaderElection = this.#kubeLease ? { mode: 'lease' as const, ...this.#kubeLease.state() } : { mode: 'advisory-lock' as const };
    return statusJson(reports, new Date(this.#lastCycleAt).toISOString(), { leaders, leaderElection });
  }

  /**
   * Stops scheduling, lets the running step finish (no new action starts), and exits within the
   * grace period even if a long step (an archive upload) is still running: the journal makes it
   * resumable by the next leader. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const { log } = this.#opts;
      this.#abort.abort();
      this.#watcher?.close();
      if (this.#leaseTimer) clearInterval(this.#leaseTimer);
      await this.#scheduler?.stop();
      const waited = await Promise.race([
        Promise.allSettled([...this.#inFlight]).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), SHUTDOWN_GRACE_MS).unref()),
      ]);
      if (!waited) log.warn('the running step did not finish in time; it resumes on the next start (journaled)');
      // the advisory locks first, then the Lease: a successor that takes the Lease finds the locks free
      for (const lease of this.#leases.values()) await lease.release();
      await this.#kubeLease?.stop();
      await this.#http?.close();
    })();
    return this.#stopping;
  }
}
