import type { CitusTable } from '../catalog/types.js';
import type { DatabaseReport } from './reconcile.js';
import type { PolicyStatus } from './assess-health.js';
import { ALL_RULES } from '../health/rules.js';
import { textTable } from '../text-table.js';

/** One policy in `status --output json` and `GET /status` (stable field names, for scripts). */
export interface PolicyStatusJson {
  readonly policy: string;
  readonly database: string;
  readonly table: string;
  readonly strategy: string;
  readonly healthy: boolean;
  readonly partitions: number;
  readonly futurePartitions: number | null;
  readonly coverageEnd: string | null;
  readonly oldestBound: string | null;
  readonly newestBound: string | null;
  readonly defaultRows: { readonly partition: string; readonly rows: number; readonly exact: boolean } | null;
  readonly hashSkew: number | null;
  readonly pendingActions: number;
  readonly probes: ReadonlyArray<{ name: string; builtin: boolean; scanned: number | null; maxPartitionsScanned: number; planningSeconds: number | null; error: string | null }>;
  readonly violations: ReadonlyArray<{ rule: string; partition: string | null; message: string }>;
  /** On a Citus coordinator: how Citus holds the table (kind, distribution column, shards). */
  readonly citus: CitusTable | null;
  /** Problems that are not violations (unmanaged partitions, naming): worth a look, no alert. */
  readonly notes: ReadonlyArray<{ rule: string; partition: string | null; message: string }>;
}

/** Who leads a database as one daemon replica sees it, and why (GET /status). */
export interface LeadershipJson {
  readonly leader: boolean;
  readonly reason: string;
}

/** What one replica knows of the Kubernetes Lease (leaderElection: lease): who holds it, and why this replica acts or not. */
export interface LeaseState {
  /** namespace/name of the Lease. */
  readonly lease: string;
  /** This replica's name in the Lease. */
  readonly identity: string;
  readonly held: boolean;
  /** holderIdentity as last read (null: nobody, or not read yet). */
  readonly holder: string | null;
  readonly reason: string;
}

export type LeaseJson = { readonly mode: 'lease' } & LeaseState;

export interface StatusJson {
  readonly at: string;
  readonly healthy: boolean;
  readonly databases: ReadonlyArray<{ database: string; up: boolean; error: string | null; leader?: boolean; leaderReason?: string }>;
  /** Daemon only: how leaders are elected (advisory-lock, or the Lease seen from this replica). */
  readonly leaderElection?: { readonly mode: 'advisory-lock' } | LeaseJson;
  readonly policies: readonly PolicyStatusJson[];
}

/** What the daemon adds to the status document: leadership per database, and the election. */
export interface DaemonStatus {
  readonly leaders: ReadonlyMap<string, LeadershipJson>;
  readonly leaderElection: { readonly mode: 'advisory-lock' } | LeaseJson;
}

const VIOLATION_RULES: ReadonlySet<string> = new Set(ALL_RULES);

export function policyStatusJson(s: PolicyStatus): PolicyStatusJson {
  const h = s.plan.health;
  return {
    policy: s.policy,
    database: s.database,
    table: s.table,
    strategy: s.strategy,
    healthy: s.violations.length === 0,
    partitions: h?.partitions ?? 0,
    futurePartitions: h?.range?.futurePartitions ?? null,
    coverageEnd: h?.range?.newestBound ?? null,
    oldestBound: h?.range?.oldestBound ?? null,
    newestBound: h?.range?.newestBound ?? null,
    defaultRows: h?.defaultRows ?? null,
    hashSkew: h?.hashSkew ?? null,
    pendingActions: s.plan.actions.length,
    citus: s.plan.citus ?? null,
    probes: s.probes.map((p) => ({ name: p.name, builtin: p.builtin, scanned: p.scanned, maxPartitionsScanned: p.maxPartitionsScanned, planningSeconds: p.planningSeconds ?? null, error: p.error ?? null })),
    violations: s.violations.map((v) => ({ rule: v.rule, partition: v.partition ?? null, message: v.message })),
    notes: s.plan.problems
      .filter((p) => !VIOLATION_RULES.has(p.rule))
      .map((p) => ({ rule: p.rule, partition: p.partition ?? null, message: p.message })),
  };
}

/** The status document of a set of reports (one cycle). */
export function statusJson(reports: readonly DatabaseReport[], atIso: string, daemon?: DaemonStatus): StatusJson {
  const policies = reports.flatMap((r) => (r.health ?? []).map(policyStatusJson));
  const databases = reports.map((r) => {
    const l = daemon?.leaders.get(r.database);
    return { database: r.database, up: !r.error, error: r.error ?? null, ...(l ? { leader: l.leader, leaderReason: l.reason } : {}) };
  });
  return { at: atIso, healthy: databases.every((d) => d.up) && policies.every((p) => p.healthy), databases, ...(daemon ? { leaderElection: daemon.leaderElection } : {}), policies };
}

/** `partwarden status`: one row per policy, then each violation on its own line. */
export function renderStatusText(doc: StatusJson): string {
  const out = [`Status at ${doc.at}: ${doc.healthy ? 'healthy' : 'NOT healthy'}`];
  for (const d of doc.databases) if (!d.up) out.push(`database ${d.database}: DOWN ${d.error ?? ''}`);
  if (doc.policies.length > 0) {
    const rows = [
      ['POLICY', 'TABLE', 'STRATEGY', 'PARTITIONS', 'AHEAD', 'OLDEST', 'NEWEST (coverage end)', 'DEFAULT ROWS', 'VIOLATIONS'],
      ...doc.policies.map((p) => [
        p.policy, p.table, p.strategy, String(p.partitions), p.futurePartitions === null ? '-' : String(p.futurePartitions),
        p.oldestBound ?? '-', p.newestBound ?? '-',
        p.defaultRows ? `${p.defaultRows.exact ? '' : '~'}${p.defaultRows.rows}` : '-',
        p.violations.length === 0 ? 'ok' : [...new Set(p.violations.map((v) => v.rule))].join(','),
      ]),
    ];
    out.push('', ...textTable(rows));
  }
  for (const p of doc.policies) {
    for (const v of p.violations) out.push(`VIOLATION ${p.policy} ${v.rule}${v.partition ? ` [${v.partition}]` : ''}: ${v.message}`);
    for (const pr of p.probes) if (pr.error) out.push(`probe ${p.policy}/${pr.name} failed: ${pr.error}`);
    for (const n of p.notes) out.push(`note ${p.policy} ${n.rule}${n.partition ? ` [${n.partition}]` : ''}: ${n.message}`);
  }
  return out.join('\n');
}
