import type pg from 'pg';
import type { Policy, RangePolicy } from '../config/types.js';
import { quoteQualified } from '../db/quote.js';
import { rangePredicateSql } from '../sql/ddl.js';
import { makeGrid } from '../planner/grid.js';
import { keyLiteral, type KeyType } from '../planner/keys.js';
import type { ProbeResult } from './rules.js';

/** A query whose plan must touch few partitions. */
export interface ProbeSpec {
  readonly name: string;
  readonly query: string;
  readonly maxPartitionsScanned: number;
  readonly builtin: boolean;
}

/** Longest a probe may take to plan; it is EXPLAIN only, so this is planning time. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * The built-in probe of a range policy: rows of its current interval (the one holding now, or
 * max(key) for integer keys). A plan for it that touches more than one partition (or the
 * sub-partitions of one child) means pruning does not work on this table at all.
 */
export function builtinProbe(policy: RangePolicy, keyType: KeyType, nowMs: number, maxKey: bigint | null, subPartitions: number): ProbeSpec {
  const grid = makeGrid(policy.range, keyType);
  const cur = policy.range.interval.kind === 'step' ? (maxKey ?? (typeof policy.range.startFrom === 'bigint' ? policy.range.startFrom : 0n)) : grid.nowKey(nowMs);
  const from = grid.floor(cur);
  const to = grid.next(from);
  const where = rangePredicateSql(policy.range.column, keyLiteral(from, keyType), keyLiteral(to, keyType));
  return { name: 'current-interval', builtin: true, maxPartitionsScanned: Math.max(1, subPartitions), query: `SELECT 1 FROM ${quoteQualified(policy.table.schema, policy.table.name)} WHERE ${where}` };
}

/** The probes of a policy: its own, plus the built-in one for range policies. */
export function probesOf(policy: Policy, builtin: ProbeSpec | undefined): ProbeSpec[] {
  return [...(builtin ? [builtin] : []), ...policy.health.probes.map((p) => ({ ...p, builtin: false }))];
}

interface PlanNode {
  readonly 'Relation Name'?: string;
  readonly Schema?: string;
  readonly Plans?: readonly PlanNode[];
}

/** Distinct leaf partitions of the table that appear as scans in an EXPLAIN (FORMAT JSON, VERBOSE) plan (VERBOSE adds "Schema"). */
export function scannedLeaves(plan: PlanNode, leaves: ReadonlySet<string>): number {
  const seen = new Set<string>();
  const walk = (n: PlanNode) => {
    if (n['Relation Name'] !== undefined && n.Schema !== undefined) {
      const key = `${n.Schema}.${n['Relation Name']}`;
      if (leaves.has(key)) seen.add(key);
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(plan);
  return seen.size;
}

/**
 * Plans each probe with EXPLAIN (never executes it) in a read-only transaction that is rolled
 * back, over the extended protocol (so a probe can only ever be one statement). Partitions
 * pruned at plan time are absent from the plan, and those removed by initial (executor startup)
 * pruning show only as "Subplans Removed": what is left is what the query would scan.
 */
export async function runProbes(client: pg.Client, leaves: ReadonlySet<string>, probes: readonly ProbeSpec[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const p of probes) {
    const base = { name: p.name, builtin: p.builtin, query: p.query, maxPartitionsScanned: p.maxPartitionsScanned };
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${PROBE_TIMEOUT_MS}`);
      // extended protocol: one statement only, whatever the probe text holds (pg >= 8.12 reads queryMode)
      const explain: pg.QueryConfig & { queryMode: 'extended' } = { text: `EXPLAIN (FORMAT JSON, COSTS OFF, SUMMARY ON, VERBOSE) ${p.query}`, queryMode: 'extended' };
      const r = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Planning Time'?: number }> }>(explain);
      const out = r.rows[0]!['QUERY PLAN'][0]!;
      results.push({ ...base, scanned: scannedLeaves(out.Plan, leaves), ...(out['Planning Time'] !== undefined ? { planningSeconds: out['Planning Time'] / 1000 } : {}) });
    } catch (err) {
      results.push({ ...base, scanned: null, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  }
  return results;
}

/** `schema.name` of the leaf partitions of each table (pg_partition_tree covers sub-partitions), in one query. */
export async function leafPartitions(client: pg.Client, tables: ReadonlyArray<{ schema: string; name: string }>): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>(tables.map((t) => [quoteQualified(t.schema, t.name), new Set<string>()]));
  if (tables.length === 0) return out;
  const r = await client.query<{ root: string; k: string }>(
    `SELECT r.root, n.nspname || '.' || c.relname AS k
       FROM unnest($1::text[]) AS r(root), pg_partition_tree(r.root::regclass) t
       JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE t.isleaf`,
    [[...out.keys()]],
  );
  for (const row of r.rows) out.get(row.root)?.add(row.k);
  return out;
}

/**
 * Why partition pruning is off for this database, if it is: the session's own setting, or a
 * per-role / per-database default (`ALTER ROLE ... SET enable_partition_pruning = off`) that
 * silently breaks every query of that role.
 */
export async function pruningDisabled(client: pg.Client): Promise<string | undefined> {
  const r = await client.query<{ session: string; overrides: string[] | null }>(
    `SELECT current_setting('enable_partition_pruning') AS session,
            (SELECT array_agg(coalesce('role ' || r.rolname, 'every role') || ' in ' || coalesce('database ' || d.datname, 'every database') ORDER BY 1)
               FROM pg_db_role_setting s
               LEFT JOIN pg_roles r ON r.oid = s.setrole
               LEFT JOIN pg_database d ON d.oid = s.setdatabase
              WHERE (s.setdatabase = 0 OR d.datname = current_database())
                AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c
                             WHERE lower(split_part(c, '=', 1)) = 'enable_partition_pruning'
                               AND lower(split_part(c, '=', 2)) IN ('off', 'false', '0', 'no', 'f', 'n', 'of'))) AS overrides`,
  );
  const row = r.rows[0]!;
  const why: string[] = [];
  if (row.session === 'off') why.push('enable_partition_pruning = off for partwarden\'s own session');
  if (row.overrides?.length) why.push(`ALTER ... SET enable_partition_pruning = off for ${row.overrides.join(', ')}`);
  return why.length > 0 ? why.join('; ') : undefined;
}
