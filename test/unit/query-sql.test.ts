import { describe, expect, it } from 'vitest';
import { duckdbSql, parquetS3FdwSql, pgDuckdbSql, type ArchivedFiles } from '../../src/archive/query-sql.js';
import type { ArchiveManifest } from '../../src/archive/manifest.js';

const manifest = (partition: string, key: string): ArchiveManifest => ({
  formatVersion: 1, policy: 'p', database: 'main', schema: 'Sales', parent: `it's "EU"`, partition, bounds: `FOR VALUES FROM ('2026-01-01') TO ('2026-01-02')`,
  columns: [{ name: 'Day', type: 'date', notNull: true, generated: null }, { name: 'span', type: 'interval', notNull: false, generated: null }, { name: 'twice', type: 'integer', notNull: false, generated: '(v * 2)' }],
  ddl: '', copyOptions: '', dataObject: 'a/data.parquet', publishedObject: key, rows: 10, bytes: 1, sha256: '0'.repeat(64), uncompressedSha256: '0'.repeat(64),
  format: 'parquet', compression: 'none', postgresVersion: '18', partwardenVersion: 'x', archivedAt: '2026-01-03T00:00:00Z',
  parquet: { codec: 'zstd', rowGroupRows: 10000, columns: [{ name: 'Day', typname: 'date', elem: null, typmod: -1, notNull: true, asText: false }, { name: 'span', typname: 'interval', elem: null, typmod: -1, notNull: false, asText: true }], stats: { rows: 10, columns: {}, rowGroups: [] } },
} as unknown as ArchiveManifest);

const files = (base: string, endpoint?: string): ArchivedFiles => ({
  policy: 'p', table: { schema: 'Sales', name: `it's "EU"` }, keyColumn: 'Day',
  manifests: [manifest('one', 'k/1.parquet'), manifest(`two's`, `k/it's.parquet`)],
  url: (key) => `${base}/${key}`, storage: { url: 's3://b/x', region: 'eu-west-1', forcePathStyle: true, ...(endpoint ? { endpoint } : {}) },
  dataKey: (m) => m.publishedObject!,
});

describe('archive query SQL', () => {
  it('DuckDB: quoted names, escaped paths, settings without credentials; no httpfs for a local folder', () => {
    const sql = duckdbSql(files('s3://b/x', 'https://user:secret@minio.example:9000'));
    expect(sql).toContain(`CREATE OR REPLACE SECRET partwarden_archive (TYPE s3, PROVIDER credential_chain, REGION 'eu-west-1', ENDPOINT 'minio.example:9000', USE_SSL true, URL_STYLE 'path', SCOPE 's3://b/x/');`);
    expect(sql).not.toContain('secret@');
    expect(sql).toContain(`CREATE OR REPLACE VIEW "it's ""EU""_archive" AS SELECT * FROM read_parquet(ARRAY[\n    's3://b/x/k/1.parquet',\n    's3://b/x/k/it''s.parquet'\n  ], union_by_name = true);`);
    expect(sql).toContain(`SELECT date_trunc('month', "Day") AS month, count(*) AS rows FROM "it's ""EU""_archive" GROUP BY 1 ORDER BY 1;`);
    const local = duckdbSql(files('/srv/archive'));
    expect(local).not.toContain('httpfs');
    expect(local).toContain(`'/srv/archive/k/1.parquet'`);
  });

  it('pg_duckdb and parquet_s3_fdw: the archived column types (text for the columns written as text), generated columns left out, credentials as placeholders', () => {
    const pg = pgDuckdbSql(files('s3://b/x'));
    expect(pg).toContain(`key_id := '<access key id>', secret := '<secret access key>', region := 'eu-west-1', url_style := 'path'`);
    expect(pg).toContain(`SELECT r['Day']::date AS "Day",\n       r['span']::text AS "span"\n  FROM read_parquet(ARRAY[`);
    expect(pg).not.toContain('twice');
    const fdw = parquetS3FdwSql(files('s3://b/x'));
    expect(fdw).toContain(`CREATE FOREIGN TABLE "Sales"."it's ""EU""_archive" (\n  "Day" date,\n  "span" text\n) SERVER partwarden_archive OPTIONS (filename 's3://b/x/k/1.parquet s3://b/x/k/it''s.parquet');`);
    expect(fdw).toContain(`CREATE USER MAPPING FOR CURRENT_USER SERVER partwarden_archive OPTIONS (user '<access key id>', password '<secret access key>');`);
  });
});
