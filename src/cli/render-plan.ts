import { describeCitus } from '../catalog/citus.js';
import type { ActionOutcome } from '../executor/execute.js';
import type { DeferredRemoval, PolicyHealth, Problem } from '../planner/actions.js';
import { describeSkew } from '../reconcile/db-clock.js';
import type { DatabaseReport } from '../reconcile/reconcile.js';
import { textTable } from '../text-table.js';

/** Problems that mean work could not be done (apply exits 1); the others are informational. */
export const BLOCKING_RULES: ReadonlySet<string> = new Set(['default_rows', 'naming', 'coverage_gap', 'policy_table_mismatch']);

/** A problem's own verdict wins over its rule's default. */
export const isBlocking = (p: Problem): boolean => p.blocking ?? BLOCKING_RULES.has(p.rule);

function healthLine(h: PolicyHealth | undefined): string | undefined {
  if (!h) return undefined;
  const parts = [`${h.partitions} partition${h.partitions === 1 ? '' : 's'} attached`];
  if (h.defaultRows) parts.push(`DEFAULT ${h.defaultRows.partition}: ${h.defaultRows.exact ? '' : '~'}${h.defaultRows.rows} row${h.defaultRows.rows === 1 ? '' : 's'}`);
  if (h.hashSkew !== undefined) parts.push(`hash skew ${h.hashSkew} (fullest remainder / mean, from statistics)`);
  return `  health: ${parts.join('; ')}`;
}

/** Removals left to later runs by retention.maxPerRun (listed, not run). */
function deferredLines(deferred: readonly DeferredRemoval[]): string[] {
  const shown = deferred.slice(0, 20).map((d) => `    ${d.kind} ${d.partition} ${d.bounds}`);
  return [`  deferred to later runs (retention.maxPerRun): ${deferred.length} more removal${deferred.length === 1 ? '' : 's'}`, ...shown, ...(deferred.length > 20 ? [`    ... and ${deferred.length - 20} more`] : [])];
}

/** Which clock the database's plan used, when it is not simply the database's own. */
function clockLine(r: DatabaseReport): string | undefined {
  const c = r.clock;
  if (!c) return undefined;
  if (c.doubt) return `database ${r.database}: ${c.doubt}; removals wait for --allow-mass-removal`;
  if (Math.abs(c.skewSeconds) > 300) return `database ${r.database}: planned at the database's clock ${new Date(c.serverMs).toISOString()} (this machine's clock is ${describeSkew(c.skewSeconds)} it)`;
  return undefined;
}

/** The plan as a table of actions, each followed by the exact SQL it runs. */
export function renderPlanText(reports: readonly DatabaseReport[], atIso: string): string {
  const out: string[] = [`Plan at ${atIso}`];
  for (const r of reports) {
    if (r.error) {
      out.push('', `database ${r.database}: ERROR ${r.error}`);
      continue;
    }
    const clock = clockLine(r);
    if (clock) out.push('', clock);
    for (const p of r.plans) {
      out.push('', `policy ${p.policy} (database ${p.database}, table ${p.table})${p.coverageEnd ? ` — covered up to ${p.coverageEnd} after apply` : ''}`);
      if (p.citus) out.push(`  ${describeCitus(p.citus)}`);
      const health = healthLine(p.health);
      if (health) out.push(health);
      if (p.actions.length === 0) out.push('  nothing to do');
      else {
        const rows = [['ACTION', 'PARTITION', 'BOUNDS', 'REASON'], ...p.actions.map((a) => [a.kind, a.partition.name, a.bounds, a.reason])];
        out.push(...textTable(rows).map((l) => `  ${l}`));
        out.push('  SQL:');
        for (const a of p.actions) for (const s of a.sql) out.push(`    ${s};`);
      }
      if (p.deferred?.length) out.push(...deferredLines(p.deferred));
      for (const pr of p.problems) out.push(`  ${isBlocking(pr) ? 'VIOLATION' : 'note'} ${pr.rule}${pr.partition ? ` [${pr.partition}]` : ''}: ${pr.message}`);
    }
  }
  return out.join('\n');
}

/** The plan as JSON (stable field names, for scripts). */
export function planJson(reports: readonly DatabaseReport[], atIso: string, outcomes?: readonly ActionOutcome[]): unknown {
  return {
    at: atIso,
    databases: reports.map((r) => ({
      database: r.database,
      ...(r.error ? { error: r.error } : {}),
      ...(r.clock ? { clock: { at: new Date(r.clock.nowMs).toISOString(), source: r.clock.source, database: new Date(r.clock.serverMs).toISOString(), skewSeconds: r.clock.skewSeconds, ...(r.clock.doubt ? { doubt: r.clock.doubt } : {}) } } : {}),
      policies: r.plans.map((p) => ({
        policy: p.policy,
        table: p.table,
        coverageEnd: p.coverageEnd ?? null,
        health: p.health ?? null,
        citus: p.citus ?? null,
        actions: p.actions.map((a) => {
          const o = outcomes?.find((x) => x.action === a);
          return {
            kind: a.kind,
            partition: `${a.partition.schema}.${a.partition.name}`,
            bounds: a.bounds,
            reason: a.reason,
            sql: a.sql,
            steps: a.steps.map((s) => ({ name: s.name, sql: s.sql, inTransaction: s.inTransaction, destructive: s.destructive })),
            ...(o ? { status: o.status, ...(o.error ? { error: o.error } : {}), durationMs: o.durationMs } : {}),
          };
        }),
        problems: p.problems.map((x) => ({ rule: x.rule, partition: x.partition ?? null, message: x.message, blocking: isBlocking(x) })),
        deferred: p.deferred ?? [],
      })),
    })),
  };
}

/** One line per executed action and a closing count. */
export function renderApplyText(reports: readonly DatabaseReport[]): string {
  const out: string[] = [];
  let done = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of reports) {
    if (r.error) out.push(`database ${r.database}: ERROR ${r.error}`);
    for (const o of r.outcomes) {
      const name = `${o.action.partition.schema}.${o.action.partition.name}`;
      if (o.status === 'done') done++;
      else if (o.status === 'failed') failed++;
      else skipped++;
      out.push(`${o.status.toUpperCase().padEnd(7)} ${o.action.policy}: ${o.action.kind} ${name} ${o.action.bounds}${o.error ? ` — ${o.error}` : ''}`);
    }
    for (const p of r.plans) {
      for (const pr of p.problems) if (isBlocking(pr)) out.push(`BLOCKED ${p.policy}: ${pr.rule}${pr.partition ? ` [${pr.partition}]` : ''} — ${pr.message}`);
      if (p.deferred?.length) out.push(`LATER   ${p.policy}: ${p.deferred.length} more removal(s) left to the next runs (retention.maxPerRun)`);
    }
  }
  out.push(`${done} done, ${failed} failed, ${skipped} skipped`);
  return out.join('\n');
}
