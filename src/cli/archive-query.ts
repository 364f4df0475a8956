import { fileURLToPath } from 'node:url';
import { text } from 'node:stream/consumers';
import { dataKeyOf, parseManifest, type ArchiveManifest } from '../archive/manifest.js';
import { openStorage } from '../archive/open-storage.js';
import { duckdbSql, parquetS3FdwSql, pgDuckdbSql, QUERY_ENGINES, type ArchivedFiles, type QueryEngine } from '../archive/query-sql.js';
import { partitionPrefix, tablePrefix, type Storage } from '../archive/storage.js';
import type { Policy, StorageConfig } from '../config/types.js';
import { hiveTablePrefix } from '../model/archive-keys.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { loadForCommand } from './load-or-fail.js';

const RENDER: Readonly<Record<QueryEngine, (f: ArchivedFiles) => string>> = { duckdb: duckdbSql, pg_duckdb: pgDuckdbSql, parquet_s3_fdw: parquetS3FdwSql };

/**
 * `partwarden archive query --policy NAME [--engine E]`: ready-to-run SQL that reads the policy's
 * Parquet archives where they lie (DuckDB; pg_duckdb and parquet_s3_fdw inside PostgreSQL), from
 * the partitions' latest manifests. S3 settings come from the config; credentials never do.
 */
export async function archiveQueryCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const opts = parseCommandArgs(args, ['config', 'policies', 'policy', 'engine']);
  if (!opts.policy) throw new UsageError('archive query needs --policy NAME');
  const engines = opts.engine === undefined ? QUERY_ENGINES : [opts.engine as QueryEngine];
  if (!engines.every((e) => QUERY_ENGINES.includes(e))) throw new UsageError(`--engine must be one of ${QUERY_ENGINES.join(', ')}, got ${JSON.stringify(opts.engine)}`);
  const { config, policies } = loadForCommand(opts);
  if (!config.storage) throw new UsageError(`${config.file} has no storage: section`);
  const policy = policies[0]!;
  const storage = openStorage(config.storage);
  await storage.probe();
  const latest = await latestManifests(storage, policy);
  const parquet = latest.filter((m) => m.format === 'parquet').sort((a, b) => a.bounds.localeCompare(b.bounds, 'en', { numeric: true }));
  const others = latest.length - parquet.length;
  if (parquet.length === 0) {
    io.err(`no Parquet archive of policy ${policy.name} in ${storage.location}${others ? ` (${others} archive(s) in csv or binary: restore those to read them)` : ''}`);
    return EXIT.FAILURE;
  }
  if (others) io.err(`note: ${others} archive(s) of policy ${policy.name} are csv or binary and not in this SQL (restore them to read them)`);
  const files = archivedFiles(policy, parquet, storage, config.storage);
  io.out(engines.map((e) => RENDER[e](files)).join('\n\n'));
  return EXIT.OK;
}

/** Each partition's latest manifest (the `<partition>/manifest.json` pointer) under the policy's prefix. */
async function latestManifests(storage: Storage, policy: Policy): Promise<ArchiveManifest[]> {
  const prefix = tablePrefix(policy.database, policy.table.schema, policy.table.name);
  const out: ArchiveManifest[] = [];
  for await (const key of storage.list(prefix)) {
    const rest = key.slice(prefix.length);
    if (!/^[^/]+\/manifest\.json$/.test(rest)) continue;
    const m = parseManifest(await text(await storage.get(key)), key);
    if (m.policy === policy.name) out.push(m);
  }
  return out;
}

function archivedFiles(policy: Policy, manifests: readonly ArchiveManifest[], storage: Storage, cfg: StorageConfig): ArchivedFiles {
  const base = storage.location.startsWith('file://') ? fileURLToPath(storage.location) : storage.location.replace(/\/+$/, '');
  const url = (key: string) => `${base}/${key}`;
  const archive = policy.retention?.archive;
  const hive = manifests.every((m) => m.publishedObject) && archive?.layout === 'hive';
  return {
    policy: policy.name,
    table: policy.table,
    ...(policy.strategy === 'range' ? { keyColumn: policy.range.column } : {}),
    manifests,
    url,
    ...(hive ? { hiveGlob: `${url(hiveTablePrefix(policy.database, policy.table))}*/*.parquet`, hiveColumn: archive.hiveColumn! } : {}),
    storage: cfg,
    dataKey: (m) => dataKeyOf(partitionPrefix(m.database, m.schema, m.parent, m.partition), m),
  };
}
