import { openStorage } from '../archive/open-storage.js';
import { restoreArchive } from '../archive/restore.js';
import { parseQualifiedName } from '../config/qualified-name.js';
import { connect } from '../db/connect.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';

/** `partwarden restore --policy NAME --partition NAME [--as SCHEMA.TABLE] [--attach]` */
export async function restoreCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'partition', 'as', 'attach']);
  if (!opts.policy || !opts.partition) throw new UsageError('restore needs --policy NAME and --partition NAME');
  const { config, policies } = loadForCommand(opts);
  const policy = policies[0]!;
  if (!config.storage) throw new UsageError(`${config.file} has no storage: section`);
  let target;
  if (opts.as !== undefined) {
    const q = parseQualifiedName(opts.as);
    if (typeof q === 'string') throw new UsageError(`--as: ${q}`);
    target = q;
  }
  const storage = openStorage(config.storage);
  await storage.probe();
  const db = config.databases.get(policy.database)!;
  const client = await connect(db, 'partwarden-restore');
  try {
    io.log.info({ policy: policy.name, partition: opts.partition }, 'restoring');
    const r = await restoreArchive(client, {
      storage, database: policy.database, parent: policy.table, partition: opts.partition, target, attach: opts.attach === true, lockTimeoutMs: db.lockTimeoutMs,
    });
    io.out(`restored ${r.rows} rows into ${r.target.schema}.${r.target.name} (sha256 verified)${opts.attach ? `, attached ${r.manifest.bounds}` : ''}`);
    return EXIT.OK;
  } finally {
    await client.end().catch(() => undefined);
  }
}
