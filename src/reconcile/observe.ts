import type pg from 'pg';
import { readTables } from '../catalog/read-tables.js';
import type { ObservedPartition, ObservedTable, OpenWork, ParentAnalysis } from '../catalog/types.js';
import type { CanonicalListPartition } from '../planner/children.js';
import type { DefaultRowCount } from '../planner/common.js';
import { formatListValue } from '../config/policy-schema.js';
import type { DeclaredListPartition, Policy, RangePolicy } from '../config/types.js';
import { parseRangeBound } from '../planner/bounds.js';
import type { Journal } from '../executor/journal.js';
import { keyLiteral, type KeyType } from '../planner/keys.js';
import { rangePredicateSql } from '../sql/ddl.js';
import { boundedCountSql, holdsRowsSql, matchesSql, maxKeysSql } from '../sql/catalog.js';
import { occupancyKey } from '../planner/range-retention.js';
import { checkTable, type TableCheck } from './check-table.js';
import { managedElsewhere } from './managed-elsewhere.js';

export interface PolicyObservation {
  readonly policy: Policy;
  readonly table: ObservedTable;
  readonly check: TableCheck;
  /** Integer keys: max(key) below the newest partition's upper bound (DEFAULT outliers excluded). */
  readonly maxKey: bigint | null;
  /** Integer keys: max(key) in a non-empty DEFAULT partition. */
  readonly defaultMaxKey: bigint | null;
  readonly openWork: readonly OpenWork[];
  /** Rows in the table's DEFAULT partition (undefined without one). */
  readonly defaultCount?: DefaultRowCount;
  /** Another tool still manages the table (pg_partman's part_config): what to tell the DBA. */
  readonly managedElsewhere?: string;
  /** analyze: parent only: when the parent was last analyzed and its partitions last changed. */
  readonly parentAnalysis?: ParentAnalysis;
}

/**
 * Branches per UNION ALL query: planning one statement over N tables grows faster than N (a
 * 1,000-branch query took 3.6 s to plan and run, 20 queries of 50 take 0.2 s), so per-table
 * lookups go in chunks: still a handful of round trips, whatever the number of tables.
 */
const UNION_CHUNK = 50;

/** Runs one `SELECT` branch per item as UNION ALL queries of UNION_CHUNK branches; all rows. */
async function unionAllInChunks<T, R extends pg.QueryResultRow>(client: pg.Client, items: readonly T[], branch: (item: T) => string): Promise<R[]> {
  const rows: R[] = [];
  for (let i = 0; i < items.length; i += UNION_CHUNK) {
    const sql = items.slice(i, i + UNION_CHUNK).map(branch).join(' UNION ALL ');
    rows.push(...(await client.query<R>(sql)).rows);
  }
  return rows;
}

/**
 * Observes every policy of one database in a few queries, not one per table: one catalog query,
 * one journal query, and max(key) / DEFAULT row-count queries for 50 tables at a time.
 */
export async function observe(client: pg.Client, policies: readonly Policy[], journal: Journal, configFile?: string): Promise<PolicyObservation[]> {
  const tables = await readTables(client, policies.map((p) => p.table), policies.map((p) => p.template?.table));
  const elsewhere = await managedElsewhere(client, policies, tables[0]?.partmanSchema);
  const checks = policies.map((p, i) => withWarning(checkTable(p, tables[i]!, configFile), elsewhere.get(p.name)));
  const open = await journal.openWork(client, policies.map((p) => p.name));
  const analysis = await journal.parentAnalysis(client, policies.filter((p) => p.analyze.parent).map((p) => p.name));
  const intPolicies = policies
    .map((p, i) => ({ p, i }))
    .filter((x): x is { p: RangePolicy; i: number } => checks[x.i]!.errors.length === 0 && x.p.strategy === 'range' && x.p.range.interval.kind === 'step');
  // The current point of an integer policy: max(key) through the parent, below the newest finite
  // upper bound (one index probe per partition at most, and the DEFAULT's rows above every
  // partition, such as a stray id = 50000000, never count); DEFAULT's own max(key) is read apart,
  // to report such outliers.
  const maxKeys = new Map<number, { m: bigint | null; d: bigint | null }>();
  const maxRows = await unionAllInChunks<{ p: RangePolicy; i: number }, { i: number; m: string | null; d: string | null }>(
    client, intPolicies,
    ({ p, i }) => maxKeysSql(i, p.table, p.range.column, newestUpperBound(tables[i]!, checks[i]!.keyType!), tables[i]!.partitions.find((x) => x.isDefault && x.heapBytes !== 0)),
  );
  const big = (v: string | null) => (v === null ? null : BigInt(v));
  for (const row of maxRows) maxKeys.set(Number(row.i), { m: big(row.m), d: big(row.d) });
  const defaultCounts = await defaultRowCounts(client, tables.map((t, i) => (checks[i]!.errors.length === 0 ? t.partitions.find((p) => p.isDefault) : undefined)));
  return policies.map((policy, i) => ({
    policy,
    table: tables[i]!,
    check: checks[i]!,
    maxKey: maxKeys.get(i)?.m ?? null,
    defaultMaxKey: maxKeys.get(i)?.d ?? null,
    defaultCount: defaultCounts[i],
    openWork: open.filter((w) => w.policy === policy.name),
    ...(elsewhere.has(policy.name) ? { managedElsewhere: elsewhere.get(policy.name)! } : {}),
    ...(policy.analyze.parent ? { parentAnalysis: analysis.get(policy.name) ?? { analyzedAtMs: null, changedAtMs: null } } : {}),
  }));
}

const withWarning = (check: TableCheck, warning: string | undefined): TableCheck => (warning ? { ...check, warnings: [...check.warnings, warning] } : check);

/** The highest finite upper bound of the table's range partitions, as a SQL literal. */
function newestUpperBound(table: ObservedTable, keyType: KeyType): string | undefined {
  let max: bigint | undefined;
  for (const p of table.partitions) {
    const r = p.isDefault ? undefined : parseRangeBound(p.boundExpr, keyType);
    if (r?.to != null && (max === undefined || r.to > max)) max = r.to;
  }
  return max === undefined ? undefined : keyLiteral(max, keyType);
}

/**
 * Which of the given partitions hold at least one row (EXISTS: the first visible tuple ends each
 * scan), in UNION ALL chunks. Read only when a plan would remove partitions or keepPartitions
 * must tell partitions with rows from empty ones.
 */
export async function partitionsHoldingRows(client: pg.Client, parts: ReadonlyArray<{ schema: string; name: string }>): Promise<Map<string, boolean>> {
  const rows = await unionAllInChunks<{ schema: string; name: string }, { s: string; n: string; has: boolean }>(client, parts, holdsRowsSql);
  return new Map(rows.map((r) => [occupancyKey({ schema: r.s, name: r.n }), r.has]));
}

/**
 * Which of the given ranges have rows in the DEFAULT partition: one query per policy, and only
 * when a DEFAULT exists and partitions are about to be created.
 */
export async function defaultRowsIn(
  client: pg.Client,
  defaultPart: { schema: string; name: string },
  column: string,
  keyType: KeyType,
  ranges: ReadonlyArray<{ from: bigint; to: bigint }>,
): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  if (ranges.length === 0) return out;
  const hits = await defaultMatches(client, defaultPart, ranges.map((x) => rangePredicateSql(column, keyLiteral(x.from, keyType), keyLiteral(x.to, keyType))));
  ranges.forEach((x, i) => out.set(`${x.from}:${x.to}`, hits[i]!));
  return out;
}

/** Rows counted exactly up to this many; above it the planner's estimate is reported. */
export const EXACT_COUNT_LIMIT = 100_000;

/**
 * Rows in each DEFAULT partition, in one query for all of them: exact when cheap (counting stops
 * after EXACT_COUNT_LIMIT + 1 rows), otherwise the planner's estimate (reltuples, at least the limit).
 */
async function defaultRowCounts(client: pg.Client, parts: ReadonlyArray<ObservedPartition | undefined>): Promise<Array<DefaultRowCount | undefined>> {
  // a heap of 0 bytes has no rows: no need to open and count it (most DEFAULTs, most of the time)
  const present = parts.map((p, i) => ({ p, i })).filter((x): x is { p: ObservedPartition; i: number } => x.p !== undefined && x.p.heapBytes !== 0);
  const countRows = await unionAllInChunks<{ p: ObservedPartition; i: number }, { i: number; n: string }>(
    client, present,
    ({ p, i }) => boundedCountSql(i, p, EXACT_COUNT_LIMIT),
  );
  const counts = new Map(countRows.map((r) => [Number(r.i), Number(r.n)]));
  return parts.map((p, i) => {
    if (p?.heapBytes === 0) return { rows: 0, exact: true };
    const n = counts.get(i);
    if (!p || n === undefined) return undefined;
    return n <= EXACT_COUNT_LIMIT ? { rows: n, exact: true } : { rows: Math.max(Math.round(p.estimatedRows), n), exact: false };
  });
}

/** Which of the given WHERE clauses match at least one row of the DEFAULT partition (one query). */
export async function defaultMatches(client: pg.Client, part: { schema: string; name: string }, predicates: readonly string[]): Promise<boolean[]> {
  if (predicates.length === 0) return [];
  const sql = matchesSql(part, predicates);
  const hits = new Set((await client.query<{ i: number }>(sql)).rows.map((r) => Number(r.i)));
  return predicates.map((_, i) => hits.has(i));
}

/**
 * Declared list values in the column type's canonical text (what pg_get_expr prints), so that
 * `1.50`, `'2024-1-1'` or `yes` compare equal to the bounds PostgreSQL shows. A value that is not
 * valid for the column type is an error naming the partition and the value.
 */
export async function canonicalListValues(
  client: pg.Client,
  columnType: string,
  declared: readonly DeclaredListPartition[],
): Promise<{ partitions: CanonicalListPartition[] } | { error: string }> {
  const flat = declared.flatMap((d) => d.values.map((v) => ({ key: d.key, v })));
  const texts = flat.map((x) => (x.v === null ? null : String(x.v)));
  const cast = async (values: (string | null)[]) =>
    (await client.query<{ t: string | null }>(`SELECT (x::${columnType})::text AS t FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n`, [values])).rows.map((r) => r.t);
  let canon: (string | null)[];
  try {
    canon = await cast(texts);
  } catch {
    for (const x of flat) {
      if (x.v === null) continue;
      try {
        await cast([String(x.v)]);
      } catch (err) {
        return { error: `list partition "${x.key}": value ${formatListValue(x.v)} is not a valid ${columnType} (${(err as Error).message})` };
      }
    }
    return { error: `list values could not be read as ${columnType}` };
  }
  let i = 0;
  return { partitions: declared.map((d) => ({ key: d.key, values: d.values.map(() => canon[i++] ?? null) })) };
}
