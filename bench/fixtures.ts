import type pg from 'pg';

/**
 * `public.bench_1..N`, each with `partitions` daily partitions from `firstDay` (YYYY-MM-DD, UTC).
 * One transaction per table: thousands of relations in one transaction would exhaust the lock table.
 */
export async function createDailyTables(sql: pg.Client, tables: number, partitions: number, firstDay: string): Promise<void> {
  for (let t = 1; t <= tables; t++) {
    await sql.query(`DO $$
      DECLARE p int; d date := '${firstDay}'::date;
      BEGIN
        CREATE TABLE public.bench_${t} (id bigint, ts timestamptz NOT NULL, v text) PARTITION BY RANGE (ts);
        FOR p IN 0..${partitions - 1} LOOP
          EXECUTE format('CREATE TABLE public.bench_${t}_p%s PARTITION OF public.bench_${t} FOR VALUES FROM (%L) TO (%L)',
                         to_char(d + p, 'YYYYMMDD'), (d + p)::timestamp AT TIME ZONE 'UTC', (d + p + 1)::timestamp AT TIME ZONE 'UTC');
        END LOOP;
      END $$`);
  }
}

/** One YAML file of daily range policies, `t` = 1..N; `keep` adds retention with action drop. */
export function dailyPolicies(tables: number, o: { name: (t: number) => string; table: (t: number) => string; premake: number; naming: string; keep?: string }): string {
  const docs: string[] = [];
  for (let t = 1; t <= tables; t++) {
    docs.push(
      `apiVersion: partwarden/v1\nkind: PartitionPolicy\nmetadata:\n  name: ${o.name(t)}\nspec:\n  database: main\n  table: ${o.table(t)}\n  strategy: range\n` +
        `  range:\n    column: ts\n    interval: 1 day\n    premake: ${o.premake}\n    naming: "${o.naming}"\n` +
        (o.keep ? `  retention:\n    keep: ${o.keep}\n    action: drop\n` : ''),
    );
  }
  return docs.join('---\n');
}
