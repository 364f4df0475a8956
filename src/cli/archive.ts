import { openStorage } from '../archive/open-storage.js';
import { listArchives } from '../archive/restore.js';
import { tablePrefix } from '../archive/storage.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';
import { textTable } from '../text-table.js';
import { archiveQueryCommand } from './archive-query.js';

/** `partwarden archive list|query ...` — reads manifests from storage. */
export async function archiveCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'query') return archiveQueryCommand(rest, io);
  if (sub !== 'list') throw new UsageError(`unknown archive subcommand ${JSON.stringify(sub ?? '')} (use: archive list, archive query)`);
  const opts = parseCommandArgs(rest, ['config', 'policies', 'policy', 'output']);
  const { config, policies } = loadForCommand(opts);
  if (!config.storage) throw new UsageError(`${config.file} has no storage: section`);
  const storage = openStorage(config.storage);
  await storage.probe();
  const prefixes = opts.policy
    ? policies.map((p) => tablePrefix(p.database, p.table.schema, p.table.name))
    : [''];
  const found = (await Promise.all(prefixes.map((p) => listArchives(storage, p)))).flat();
  const rows = found.filter((f) => !opts.policy || f.manifest?.policy === opts.policy || f.error);
  if (opts.output === 'json') {
    io.out(JSON.stringify(rows.map((r) => (r.manifest ? { key: r.key, ...summary(r.manifest) } : { key: r.key, error: r.error })), null, 2));
  } else {
    const table = [['POLICY', 'PARTITION', 'BOUNDS', 'ROWS', 'BYTES', 'ARCHIVED AT']];
    for (const r of rows) {
      if (r.manifest) {
        const s = summary(r.manifest);
        table.push([s.policy, `${s.schema}.${s.partition}`, s.bounds, String(s.rows), String(s.bytes), s.archivedAt]);
      } else table.push(['?', r.key, `unreadable manifest: ${r.error}`, '', '', '']);
    }
    for (const line of textTable(table)) io.out(line);
    io.out(`${rows.filter((r) => r.manifest).length} archive(s) in ${storage.location}`);
  }
  return rows.some((r) => r.error) ? EXIT.FAILURE : EXIT.OK;
}

function summary(m: NonNullable<Awaited<ReturnType<typeof listArchives>>[number]['manifest']>) {
  return { policy: m.policy, database: m.database, schema: m.schema, parent: m.parent, partition: m.partition, bounds: m.bounds, rows: m.rows, bytes: m.bytes, sha256: m.sha256, format: m.format, compression: m.compression, archivedAt: m.archivedAt };
}
