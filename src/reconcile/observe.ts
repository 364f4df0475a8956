import type pg from 'pg';
import { readTables } from '../catalog/read-tables.js';
import type { ObservedTable, OpenWork } from '../catalog/types.js';
import type { RangePolicy } from '../config/types.js';
import { quoteIdent, quoteQualified } from '../db/quote.js';
import type { Journal } from '../executor/journal.js';
import { displayKey, type KeyType } from '../planner/keys.js';
import { checkTable, type TableCheck } from './check-table.js';

export interface PolicyObservation {
  readonly policy: RangePolicy;
  readonly table: ObservedTable;
  readonly check: TableCheck;
  readonly maxKey: bigint | null;
  readonly openWork: readonly OpenWork[];
}

/**
 * Observes every policy of one database with a fixed number of queries whatever the number of
 * tables: one catalog query, one journal query, and one max(key) query for all integer-keyed policies.
 */
export async function observe(client: pg.Client, policies: readonly RangePolicy[], journal: Journal): Promise<PolicyObservation[]> {
  const tables = await readTables(client, policies.map((p) => p.table));
  const checks = policies.map((p, i) => checkTable(p, tables[i]!));
  const open = await journal.openWork(client, policies.map((p) => p.name));
  const intPolicies = policies
    .map((p, i) => ({ p, i }))
    .filter(({ p, i }) => checks[i]!.errors.length === 0 && p.range.interval.kind === 'step');
  const maxKeys = new Map<number, bigint | null>();
  if (intPolicies.length > 0) {
    // max(key) through the parent: with an index on the key this is one index probe per partition at most.
    const sql = intPolicies
      .map(({ p, i }) => `SELECT ${i} AS i, (SELECT max(${quoteIdent(p.range.column)}) FROM ${quoteQualified(p.table.schema, p.table.name)})::text AS m`)
      .join(' UNION ALL ');
    const r = await client.query<{ i: number; m: string | null }>(sql);
    for (const row of r.rows) maxKeys.set(row.i, row.m === null ? null : BigInt(row.m));
  }
  return policies.map((policy, i) => ({
    policy,
    table: tables[i]!,
    check: checks[i]!,
    maxKey: maxKeys.get(i) ?? null,
    openWork: open.filter((w) => w.policy === policy.name),
  }));
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
  const col = quoteIdent(column);
  const r = await client.query<{ i: string }>(
    `SELECT r.i::int8 AS i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(lo, hi, i)
      WHERE EXISTS (SELECT 1 FROM ${quoteQualified(defaultPart.schema, defaultPart.name)} d
                     WHERE d.${col} >= r.lo::${keyType} AND d.${col} < r.hi::${keyType})`,
    [ranges.map((x) => displayKey(x.from, keyType)), ranges.map((x) => displayKey(x.to, keyType))],
  );
  const hits = new Set(r.rows.map((row) => Number(row.i) - 1));
  ranges.forEach((x, i) => out.set(`${x.from}:${x.to}`, hits.has(i)));
  return out;
}
