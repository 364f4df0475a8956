import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Policy } from '../config/types.js';
import type { PolicyStatus } from '../reconcile/assess-health.js';
import { ALL_RULES, citusShards } from '../health/rules.js';
import type { ActionOutcome } from '../executor/execute.js';

/**
 * The Prometheus metrics of SPEC §4, on a registry of their own (with the standard process and
 * Node.js metrics, unprefixed). Health gauges are computed from the last cycle's cached results
 * when scraped; a scrape never queries PostgreSQL. No partition names in labels.
 */
export class Metrics {
  readonly registry = new Registry();
  #policies: readonly Policy[] = [];
  readonly #status = new Map<string, PolicyStatus>();
  readonly #lastSuccess = new Map<string, number>();
  readonly #lastRun = new Map<string, number>();
  readonly #leader = new Map<string, boolean>();
  readonly #up = new Map<string, boolean>();
  readonly #skew = new Map<string, number>();
  readonly #leaseHeld = new Map<string, boolean>();
  readonly #actions: Counter<'policy' | 'action' | 'result'>;
  readonly #archiveBytes: Counter<'policy'>;
  readonly #archiveRows: Counter<'policy'>;
  readonly #reloadFailures: Counter;
  readonly #duration: Histogram;

  constructor(version: string) {
    const register = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const self = this;
    const perPolicy = (name: string, help: string, value: (s: PolicyStatus) => number | undefined) =>
      new Gauge({
        name, help, labelNames: ['policy'], registers: register,
        collect() {
          this.reset();
          for (const p of self.#policies) {
            const s = self.#status.get(p.name);
            const v = s ? value(s) : undefined;
            if (v !== undefined) this.set({ policy: p.name }, v);
          }
        },
      });
    new Gauge({
      name: 'partwarden_build_info', help: 'Always 1; the running version.', labelNames: ['version', 'nodejs_version'], registers: register,
      collect() {
        this.set({ version, nodejs_version: process.version }, 1);
      },
    });
    new Gauge({
      name: 'partwarden_policy_info', help: 'Always 1 for each loaded policy, with its table and strategy.', labelNames: ['policy', 'database', 'table', 'strategy'], registers: register,
      collect() {
        this.reset();
        for (const p of self.#policies) this.set({ policy: p.name, database: p.database, table: `${p.table.schema}.${p.table.name}`, strategy: p.strategy }, 1);
      },
    });
    new Gauge({
      name: 'partwarden_policies_loaded', help: 'Policies in the active configuration.', registers: register,
      collect() {
        this.set(self.#policies.length);
      },
    });
    perPolicy('partwarden_partitions', 'Attached partitions (the DEFAULT included).', (s) => s.plan.health?.partitions);
    perPolicy('partwarden_future_partitions', 'Attached partitions ahead of now (range policies).', (s) => s.plan.health?.range?.futurePartitions);
    perPolicy('partwarden_expired_partitions_attached', 'Attached partitions past retention (range policies).', (s) => s.plan.health?.range?.expiredAttached);
    perPolicy('partwarden_default_partition_rows', 'Rows in the DEFAULT partition (exact up to 100000, estimated above).', (s) => s.plan.health?.defaultRows?.rows);
    perPolicy('partwarden_coverage_end_timestamp_seconds', 'Upper bound of the newest attached partition, Unix time (time-keyed range policies).', (s) =>
      s.plan.health?.range?.coverageEndMs === undefined ? undefined : s.plan.health.range.coverageEndMs / 1000,
    );
    perPolicy('partwarden_citus_shards', 'Citus: shards of the attached partitions together (partitions x shard_count), distributed tables only.', (s) => citusShards(s.plan));
    perPolicy('partwarden_citus_shards_per_partition', 'Citus: shards of each partition (the table\'s shard_count), distributed tables only.', (s) => (s.plan.citus?.kind === 'distributed' ? s.plan.citus.shardCount : undefined));
    perPolicy('partwarden_hash_remainder_skew', 'Rows of the fullest hash remainder divided by the mean (1 = even), from planner statistics.', (s) => s.plan.health?.hashSkew);
    new Gauge({
      name: 'partwarden_policy_violation', help: '1 while the policy violates the rule, else 0; every rule of every loaded policy is exported.', labelNames: ['policy', 'rule'], registers: register,
      collect() {
        this.reset();
        for (const p of self.#policies) {
          const broken = new Set(self.#status.get(p.name)?.violations.map((v) => v.rule) ?? []);
          for (const rule of ALL_RULES) this.set({ policy: p.name, rule }, broken.has(rule) ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'partwarden_probe_partitions_scanned', help: 'Partitions the probe query would scan after pruning (EXPLAIN, never executed).', labelNames: ['policy', 'probe'], registers: register,
      collect() {
        this.reset();
        for (const p of self.#policies) for (const pr of self.#status.get(p.name)?.probes ?? []) if (pr.scanned !== null) this.set({ policy: p.name, probe: pr.name }, pr.scanned);
      },
    });
    new Gauge({
      name: 'partwarden_probe_planning_seconds', help: 'Planning time of the probe query.', labelNames: ['policy', 'probe'], registers: register,
      collect() {
        this.reset();
        for (const p of self.#policies) for (const pr of self.#status.get(p.name)?.probes ?? []) if (pr.planningSeconds !== undefined) this.set({ policy: p.name, probe: pr.name }, pr.planningSeconds);
      },
    });
    const timestamps = (name: string, help: string, source: Map<string, number>) =>
      new Gauge({
        name, help, labelNames: ['policy'], registers: register,
        collect() {
          this.reset();
          for (const p of self.#policies) {
            const t = source.get(p.name);
            if (t !== undefined) this.set({ policy: p.name }, t / 1000);
          }
        },
      });
    timestamps('partwarden_last_success_timestamp_seconds', 'When the policy last reconciled without a failed action (or was assessed, on a follower), Unix time.', this.#lastSuccess);
    timestamps('partwarden_last_run_timestamp_seconds', 'When the policy was last reconciled or assessed, Unix time.', this.#lastRun);
    const perDatabase = (name: string, help: string, source: Map<string, boolean>) =>
      new Gauge({
        name, help, labelNames: ['database'], registers: register,
        collect() {
          this.reset();
          for (const [db, v] of source) this.set({ database: db }, v ? 1 : 0);
        },
      });
    perDatabase('partwarden_leader', '1 on the replica that acts on the database (holds its advisory lock, and the Kubernetes Lease in lease mode), else 0.', this.#leader);
    new Gauge({
      name: 'partwarden_lease_held', help: '1 while this replica holds the Kubernetes Lease of leaderElection: lease (it then also needs each database\'s advisory lock to act), else 0.', labelNames: ['lease'], registers: register,
      collect() {
        this.reset();
        for (const [lease, v] of self.#leaseHeld) this.set({ lease }, v ? 1 : 0);
      },
    });
    perDatabase('partwarden_database_up', '1 when the last connection to the database succeeded, else 0.', this.#up);
    new Gauge({
      name: 'partwarden_clock_skew_seconds', help: "This process's clock minus the database's, measured at the start of each reconcile (the database's clock decides premake and retention).", labelNames: ['database'], registers: register,
      collect() {
        this.reset();
        for (const [db, v] of self.#skew) this.set({ database: db }, v);
      },
    });
    this.#actions = new Counter({ name: 'partwarden_actions_total', help: 'Actions run, by kind and result (success, failure, skipped).', labelNames: ['policy', 'action', 'result'], registers: register });
    this.#archiveBytes = new Counter({ name: 'partwarden_archive_bytes_total', help: 'Bytes written to archive storage.', labelNames: ['policy'], registers: register });
    this.#archiveRows = new Counter({ name: 'partwarden_archive_rows_total', help: 'Rows archived.', labelNames: ['policy'], registers: register });
    this.#reloadFailures = new Counter({ name: 'partwarden_config_reload_failures_total', help: 'Reloads rejected because the new configuration or a policy was invalid.', registers: register });
    this.#duration = new Histogram({ name: 'partwarden_reconcile_duration_seconds', help: 'Duration of one reconcile cycle of a schedule group.', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900], registers: register });
  }

  /** The loaded policy set changed: series of removed policies disappear, new ones start at 0. */
  setPolicies(policies: readonly Policy[]): void {
    this.#policies = policies;
    const names = new Set(policies.map((p) => p.name));
    for (const map of [this.#status, this.#lastSuccess, this.#lastRun]) for (const k of [...map.keys()]) if (!names.has(k)) map.delete(k);
  }

  setDatabases(names: readonly string[]): void {
    for (const k of [...this.#skew.keys()]) if (!names.includes(k)) this.#skew.delete(k);
    for (const map of [this.#leader, this.#up]) {
      for (const k of [...map.keys()]) if (!names.includes(k)) map.delete(k);
      for (const n of names) if (!map.has(n)) map.set(n, false);
    }
  }

  /** lease is namespace/name. */
  setLeaseHeld(lease: string, held: boolean): void {
    this.#leaseHeld.set(lease, held);
  }

  setLeader(database: string, leader: boolean): void {
    this.#leader.set(database, leader);
  }

  setClockSkew(database: string, seconds: number): void {
    this.#skew.set(database, seconds);
  }

  setDatabaseUp(database: string, up: boolean): void {
    this.#up.set(database, up);
  }

  reloadFailed(): void {
    this.#reloadFailures.inc();
  }

  /** Records one cycle: health per policy, action outcomes, timestamps. */
  recordCycle(opts: { statuses: readonly PolicyStatus[]; outcomes: readonly ActionOutcome[]; policies: readonly string[]; failedPolicies: ReadonlySet<string>; nowMs: number; seconds: number }): void {
    for (const s of opts.statuses) this.#status.set(s.policy, s);
    for (const o of opts.outcomes) {
      const result = o.status === 'done' ? 'success' : o.status === 'failed' ? 'failure' : 'skipped';
      this.#actions.inc({ policy: o.action.policy, action: o.action.kind, result });
      if (o.archived) {
        this.#archiveBytes.inc({ policy: o.action.policy }, o.archived.bytes);
        this.#archiveRows.inc({ policy: o.action.policy }, o.archived.rows);
      }
    }
    for (const p of opts.policies) {
      this.#lastRun.set(p, opts.nowMs);
      if (!opts.failedPolicies.has(p)) this.#lastSuccess.set(p, opts.nowMs);
    }
    this.#duration.observe(opts.seconds);
  }
}
