import type { StorageConfig } from '../config/types.js';
import { quoteIdent } from '../db/quote.js';
import type { ArchiveManifest } from './manifest.js';

/** What `partwarden archive query` prints SQL for. */
export type QueryEngine = 'duckdb' | 'pg_duckdb' | 'parquet_s3_fdw';
export const QUERY_ENGINES: readonly QueryEngine[] = ['duckdb', 'pg_duckdb', 'parquet_s3_fdw'];

/** The archived Parquet files of one policy, as an engine reads them. */
export interface ArchivedFiles {
  readonly policy: string;
  /** `schema.table` of the partitioned table, for names and comments. */
  readonly table: { readonly schema: string; readonly name: string };
  /** The range key column, for the example query (absent for list policies). */
  readonly keyColumn?: string;
  /** Each partition's latest Parquet archive, oldest bound first. */
  readonly manifests: readonly ArchiveManifest[];
  /** `s3://bucket/prefix/<key>` or a local path for each data key. */
  readonly url: (key: string) => string;
  /** layout hive only: the glob of the table's published files; otherwise the exact file list is used. */
  readonly hiveGlob?: string;
  readonly hiveColumn?: string;
  /** Where the files are (S3 settings; never credentials). */
  readonly storage: StorageConfig;
  readonly dataKey: (m: ArchiveManifest) => string;
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** host:port of the endpoint (DuckDB's ENDPOINT takes no scheme), and whether it is plain HTTP. */
function endpointOf(cfg: StorageConfig): { host: string; ssl: boolean } | undefined {
  if (!cfg.endpoint) return undefined;
  const u = new URL(cfg.endpoint);
  return { host: u.host, ssl: u.protocol === 'https:' };
}

/** The S3 settings as DuckDB secret options: region, endpoint, URL style, SSL — credentials from the chain. */
function duckdbSecretOptions(cfg: StorageConfig): string[] {
  const e = endpointOf(cfg);
  return [
    ...(cfg.region ? [`REGION ${literal(cfg.region)}`] : []),
    ...(e ? [`ENDPOINT ${literal(e.host)}`, `USE_SSL ${e.ssl}`] : []),
    ...(cfg.forcePathStyle ? ["URL_STYLE 'path'"] : []),
  ];
}

/** The read_parquet() call over every archived file (or the Hive glob). */
function readParquet(f: ArchivedFiles, namedArg: (name: string, value: string) => string): string {
  if (f.hiveGlob) return `read_parquet(${literal(f.hiveGlob)}, ${namedArg('hive_partitioning', 'true')}, ${namedArg('union_by_name', 'true')})`;
  return `read_parquet(ARRAY[\n    ${f.manifests.map((m) => literal(f.url(f.dataKey(m)))).join(',\n    ')}\n  ], ${namedArg('union_by_name', 'true')})`;
}

/**
 * The columns of the newest file with the PostgreSQL type each one reads back as: its own type, or
 * text for the columns written as text (interval, inet, ranges... see model/parquet-types.ts).
 */
function fileColumns(f: ArchivedFiles): Array<{ name: string; type: string }> {
  const m = f.manifests[f.manifests.length - 1]!;
  const asText = new Set(m.parquet?.columns.filter((c) => c.asText).map((c) => c.name));
  return m.columns.filter((c) => !c.generated).map((c) => ({ name: c.name, type: asText.has(c.name) ? 'text' : c.type }));
}

const viewName = (f: ArchivedFiles) => `${f.table.name}_archive`;

function header(f: ArchivedFiles, engine: string): string[] {
  const first = f.manifests[0]!;
  const last = f.manifests[f.manifests.length - 1]!;
  const rows = f.manifests.reduce((n, m) => n + m.rows, 0);
  return [
    `-- ${engine}: the archived partitions of policy ${f.policy} (${f.table.schema}.${f.table.name}) in place`,
    `-- ${f.manifests.length} Parquet file(s), ${rows} rows: ${first === last ? first.partition : `${first.partition} ... ${last.partition}`}`,
    ...(f.hiveGlob ? [`-- layout hive: the glob picks up every partition archived later too; ${f.hiveColumn} is each file's lower bound`] : [`-- the exact files of the latest archive of each partition (layout partition: a glob would also match superseded attempts)`]),
  ];
}

function exampleQuery(f: ArchivedFiles, from: string, col: (c: string) => string): string[] {
  if (!f.keyColumn) return [`SELECT count(*) FROM ${from};`];
  const k = col(f.keyColumn);
  return [`SELECT date_trunc('month', ${k}) AS month, count(*) AS rows FROM ${from} GROUP BY 1 ORDER BY 1;`];
}

/** DuckDB (CLI or any client): httpfs, a secret from the AWS credential chain, a view over the files. */
export function duckdbSql(f: ArchivedFiles): string {
  const s3 = f.url('').startsWith('s3://');
  const view = quoteIdent(viewName(f));
  return [
    ...header(f, 'DuckDB'),
    ...(s3
      ? [
          'INSTALL httpfs; LOAD httpfs;',
          '-- credentials: the AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, instance role); needs the aws extension',
          `CREATE OR REPLACE SECRET partwarden_archive (TYPE s3, PROVIDER credential_chain${duckdbSecretOptions(f.storage).map((o) => `, ${o}`).join('')}, SCOPE ${literal(f.url(''))});`,
        ]
      : []),
    `CREATE OR REPLACE VIEW ${view} AS SELECT * FROM ${readParquet(f, (n, v) => `${n} = ${v}`)};`,
    ...exampleQuery(f, view, quoteIdent),
  ].join('\n');
}

/** pg_duckdb inside PostgreSQL: a secret (credentials to fill in), then read_parquet with r['column']. */
export function pgDuckdbSql(f: ArchivedFiles): string {
  const e = endpointOf(f.storage);
  const args = [
    "type := 'S3'", "key_id := '<access key id>'", "secret := '<secret access key>'",
    ...(f.storage.region ? [`region := ${literal(f.storage.region)}`] : []),
    ...(f.storage.forcePathStyle ? ["url_style := 'path'"] : []),
    ...(e ? [`endpoint := ${literal(e.host)}`, `use_ssl := '${e.ssl}'`] : []),
  ];
  const columns = fileColumns(f);
  const select = columns.map((c) => `r[${literal(c.name)}]::${c.type} AS ${quoteIdent(c.name)}`).join(',\n       ');
  const view = quoteIdent(f.table.schema) + '.' + quoteIdent(viewName(f));
  return [
    ...header(f, 'pg_duckdb'),
    'CREATE EXTENSION IF NOT EXISTS pg_duckdb;',
    `SELECT duckdb.create_simple_secret(${args.join(', ')});`,
    `CREATE OR REPLACE VIEW ${view} AS\nSELECT ${select}${f.hiveGlob && f.hiveColumn ? `,\n       r[${literal(f.hiveColumn)}] AS ${quoteIdent(f.hiveColumn)}` : ''}\n  FROM ${readParquet(f, (n, v) => `${n} := ${v}`)} r;`,
    ...exampleQuery(f, view, quoteIdent),
  ].join('\n');
}

/** parquet_s3_fdw: a server and user mapping (credentials to fill in), a foreign table over the exact files. */
export function parquetS3FdwSql(f: ArchivedFiles): string {
  const e = endpointOf(f.storage);
  const server = [...(e ? ["use_minio 'true'", `endpoint ${literal(e.host)}`] : []), ...(f.storage.region ? [`region ${literal(f.storage.region)}`] : [])];
  const table = quoteIdent(f.table.schema) + '.' + quoteIdent(viewName(f));
  return [
    ...header(f, 'parquet_s3_fdw').slice(0, 2),
    'CREATE EXTENSION IF NOT EXISTS parquet_s3_fdw;',
    `CREATE SERVER partwarden_archive FOREIGN DATA WRAPPER parquet_s3_fdw${server.length ? ` OPTIONS (${server.join(', ')})` : ''};`,
    "CREATE USER MAPPING FOR CURRENT_USER SERVER partwarden_archive OPTIONS (user '<access key id>', password '<secret access key>');",
    `CREATE FOREIGN TABLE ${table} (\n  ${fileColumns(f).map((c) => `${quoteIdent(c.name)} ${c.type}`).join(',\n  ')}\n) SERVER partwarden_archive OPTIONS (filename ${literal(f.manifests.map((m) => f.url(f.dataKey(m))).join(' '))});`,
    ...exampleQuery(f, table, quoteIdent),
  ].join('\n');
}
