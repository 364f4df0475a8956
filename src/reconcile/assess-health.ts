import type pg from 'pg';
import type { Journal } from '../executor/journal.js';
import type { PolicyPlan } from '../planner/actions.js';
import type { PolicyObservation } from './observe.js';
import { quoteQualified } from '../db/quote.js';
import { builtinProbe, leafPartitions, probesOf, pruningDisabled, runProbes } from '../health/probes.js';
import { evaluate, type ProbeResult, type Violation } from '../health/rules.js';

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
 * Health of every observed policy of one database: leaf partitions read once for all tables,
 * probes planned (never run), the pruning setting checked once, archive failures read from the
 * journal, and every rule evaluated.
 */
export async function collectHealth(client: pg.Client, journal: Journal, observed: readonly PolicyObservation[], plans: readonly PolicyPlan[], nowMs: number): Promise<PolicyStatus[]> {
  const pruning = await pruningDisabled(client);
  const failures = await journal.archiveFailures(client, observed.map((o) => o.policy.name));
  const usable = (o: PolicyObservation) => o.check.errors.length === 0 && o.table.exists;
  const leaves = await leafPartitions(client, observed.filter(usable).map((o) => o.policy.table));
  const out: PolicyStatus[] = [];
  for (const [i, o] of observed.entries()) {
    const plan = plans[i]!;
    const { policy } = o;
    const ok = usable(o);
    const sub = policy.strategy === 'range' ? policy.subpartition : undefined;
    const subCount = !sub ? 1 : sub.strategy === 'hash' ? sub.modulus : sub.partitions.length;
    const builtin = ok && policy.strategy === 'range' && o.check.keyType ? builtinProbe(policy, o.check.keyType, nowMs, o.maxKey, subCount) : undefined;
    const tableLeaves = leaves.get(quoteQualified(policy.table.schema, policy.table.name)) ?? new Set<string>();
    const probes = ok ? await runProbes(client, tableLeaves, probesOf(policy, builtin)) : [];
    const archiveFailures = failures.filter((f) => f.policy === policy.name);
    out.push({
      policy: policy.name, database: policy.database, table: plan.table, strategy: policy.strategy, plan, probes,
      violations: evaluate({ policy, plan, probes, pruningDisabled: pruning, archiveFailures }),
    });
  }
  return out;
}
