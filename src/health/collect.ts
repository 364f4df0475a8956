import type pg from 'pg';
import type { Journal } from '../executor/journal.js';
import type { PolicyPlan } from '../planner/actions.js';
import type { PolicyObservation } from '../reconcile/observe.js';
import { builtinProbe, probesOf, pruningDisabled, runProbes } from './probes.js';
import { evaluate, type ProbeResult, type Violation } from './rules.js';

/** One policy's health in one cycle: what `status` prints and the metrics export. */
export interface PolicyStatus {
  readonly policy: string;
  readonly database: string;
  readonly table: string;
  readonly strategy: 'range' | 'list' | 'hash';
  /** The plan as if applied now (its health figures describe the table as it is). */
  readonly plan: PolicyPlan;
  readonly violations: readonly Violation[];
  readonly probes: readonly ProbeResult[];
}

/**
 * Health of every observed policy of one database: probes planned (never run), the pruning
 * setting checked once, archive failures read from the journal, and every rule evaluated.
 */
export async function collectHealth(client: pg.Client, journal: Journal, observed: readonly PolicyObservation[], plans: readonly PolicyPlan[], nowMs: number): Promise<PolicyStatus[]> {
  const pruning = await pruningDisabled(client);
  const failures = await journal.archiveFailures(client, observed.map((o) => o.policy.name));
  const out: PolicyStatus[] = [];
  for (const [i, o] of observed.entries()) {
    const plan = plans[i]!;
    const { policy } = o;
    const usable = o.check.errors.length === 0 && o.table.exists;
    const sub = policy.strategy === 'range' ? policy.subpartition : undefined;
    const subCount = !sub ? 1 : sub.strategy === 'hash' ? sub.modulus : sub.partitions.length;
    const builtin = usable && policy.strategy === 'range' && o.check.keyType ? builtinProbe(policy, o.check.keyType, nowMs, o.maxKey, subCount) : undefined;
    const probes = usable ? await runProbes(client, policy.table, probesOf(policy, builtin)) : [];
    const archiveFailures = failures.filter((f) => f.policy === policy.name);
    out.push({
      policy: policy.name, database: policy.database, table: plan.table, strategy: policy.strategy, plan, probes,
      violations: evaluate({ policy, plan, probes, pruningDisabled: pruning, archiveFailures }),
    });
  }
  return out;
}
