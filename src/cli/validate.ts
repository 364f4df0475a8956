import { describeCitus } from '../catalog/citus.js';
import { readTables } from '../catalog/read-tables.js';
import { openStorage } from '../archive/open-storage.js';
import { displayName } from '../config/qualified-name.js';
import { connect } from '../db/connect.js';
import { Journal } from '../executor/journal.js';
import { checkTable } from '../reconcile/check-table.js';
import { canonicalListValues } from '../reconcile/observe.js';
import { managedElsewhere } from '../reconcile/managed-elsewhere.js';
import { parseCommandArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import { loadForCommand } from './load-or-fail.js';
import type { CommandIO } from './io.js';

/** `partwarden validate [--config F] [--policies P] [--db]` */
export async function validateCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'db']);
  const { config, policies } = loadForCommand(opts);
  io.out(`config ${config.file}: ok, ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}`);
  if (!opts.db) return EXIT.OK;
  let failed = false;
  if (config.storage && policies.some((p) => p.retention?.action === 'archive' || (p.strategy === 'list' && p.list.onRemoved === 'archive'))) {
    try {
      const storage = openStorage(config.storage);
      await storage.probe();
      io.out(`storage ${storage.location}: ok`);
    } catch (err) {
      io.err(err instanceof Error ? err.message : String(err));
      failed = true;
    }
  }
  for (const [name, db] of config.databases) {
    const mine = policies.filter((p) => p.database === name);
    if (mine.length === 0) continue;
    let client;
    try {
      client = await connect(db);
    } catch (err) {
      io.err(err instanceof Error ? err.message : String(err));
      failed = true;
      continue;
    }
    try {
      const journalProblem = await new Journal(config.stateSchema).checkAccess(client);
      if (journalProblem) {
        io.err(`database ${name}: ${journalProblem}`);
        failed = true;
      }
      const tables = await readTables(client, mine.map((p) => p.table), mine.map((p) => p.template?.table));
      const elsewhere = await managedElsewhere(client, mine, tables[0]?.partmanSchema);
      for (const [i, p] of mine.entries()) {
        const check = checkTable(p, tables[i]!, config.file);
        const warnings = [...check.warnings, ...(elsewhere.has(p.name) ? [elsewhere.get(p.name)!] : [])];
        const where = `policy ${p.name} (${p.origin.file}:${p.origin.line}:${p.origin.col}), table ${displayName(p.table)}`;
        const errors = [...check.errors];
        // declared list values must be valid for the column's type
        if (errors.length === 0 && p.strategy === 'list' && check.keyColumnType) {
          const c = await canonicalListValues(client, check.keyColumnType, p.list.partitions);
          if ('error' in c) errors.push(c.error);
        }
        if (errors.length === 0 && p.strategy === 'range' && p.subpartition?.strategy === 'list' && check.subColumnType) {
          const c = await canonicalListValues(client, check.subColumnType, p.subpartition.partitions);
          if ('error' in c) errors.push(`subpartition: ${c.error}`);
        }
        for (const e of errors) io.err(`${where}: ${e}`);
        for (const w of warnings) io.err(`${where}: warning: ${w}`);
        if (errors.length > 0) failed = true;
        else io.out(`${where}: ok${tables[i]!.citus ? ` (${describeCitus(tables[i]!.citus!)})` : ''}`);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return failed ? EXIT.FAILURE : EXIT.OK;
}
