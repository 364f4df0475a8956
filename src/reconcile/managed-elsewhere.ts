import type pg from 'pg';
import { displayName } from '../config/qualified-name.js';
import type { Policy } from '../config/types.js';
import { quoteLiteral } from '../db/quote.js';
import { cronJobsSql, EXTENSIONS_SQL, partConfigSql } from '../sql/partman.js';

/**
 * Tables another tool still manages: listed in pg_partman's part_config (with what runs its
 * maintenance: the background worker, pg_cron jobs). Two tools creating and dropping the same
 * table's partitions fight; partwarden says so (managed_elsewhere) and names how to hand over.
 * No query at all when the catalog query found no pg_partman; one when it lists none of these tables.
 */
export async function managedElsewhere(client: pg.Client, policies: readonly Policy[], partmanSchema: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // the catalog query said whether (and where) pg_partman is installed: nothing to ask when it is not
  if (policies.length === 0 || partmanSchema === undefined) return out;
  const key = (p: Policy) => `${p.table.schema}.${p.table.name}`.toLowerCase();
  const rows = (await client.query<{ parent_table: string; automatic_maintenance: string }>(partConfigSql(partmanSchema), [policies.map(key)])).rows;
  if (rows.length === 0) return out;
  // what runs its maintenance: asked only when it lists one of these tables
  const ext = (await client.query<{ cron: string | null; bgw: boolean }>(EXTENSIONS_SQL)).rows[0]!;
  const runners = [...(ext.bgw ? ['the pg_partman_bgw background worker'] : []), ...(await cronJobs(client, ext.cron))];
  const byTable = new Map(rows.map((r) => [r.parent_table.toLowerCase(), r]));
  for (const p of policies) {
    const row = byTable.get(key(p));
    if (!row) continue;
    const where = `${partmanSchema}.part_config`;
    const table = quoteLiteral(row.parent_table);
    const active = row.automatic_maintenance === 'on';
    out.set(
      p.name,
      `${displayName(p.table)} is also managed by pg_partman (${where}, automatic_maintenance ${row.automatic_maintenance}` +
        (active && runners.length > 0 ? `; run by ${runners.join(', ')})` : ')') +
        (active
          ? `: two tools would create and remove its partitions; hand it over: UPDATE ${where} SET automatic_maintenance = 'off' WHERE parent_table = ${table}, then, once partwarden manages it, DELETE FROM ${where} WHERE parent_table = ${table}`
          : `: its maintenance is off; once partwarden manages the table, DELETE FROM ${where} WHERE parent_table = ${table}`),
    );
  }
  return out;
}

/** pg_cron jobs that run pg_partman's maintenance in this database (none when they cannot be read). */
async function cronJobs(client: pg.Client, schema: string | null): Promise<string[]> {
  if (schema === null) return [];
  try {
    const r = await client.query<{ jobid: string; schedule: string }>(cronJobsSql(schema));
    return r.rows.map((j) => `pg_cron job ${j.jobid} (${j.schedule})`);
  } catch {
    return []; // cron.job is readable by its owner and superusers only
  }
}
