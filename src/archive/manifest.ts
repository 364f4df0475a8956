import type { PgColumn } from '../model/parquet-types.js';
import type { ParquetStats } from './parquet-encode.js';
import type { ArchivedColumn, Partitioning } from './table-shape.js';
import type { Compression } from './compression.js';

/** manifest.json: written last, it is the commit marker of an archive (SPEC §3). */
export interface ArchiveManifest {
  readonly formatVersion: 1;
  readonly policy: string;
  readonly database: string;
  readonly schema: string;
  readonly parent: string;
  readonly partition: string;
  /** The partition bound clause, e.g. `FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')`. */
  readonly bounds: string;
  readonly columns: readonly ArchivedColumn[];
  /** CREATE TABLE that recreates the partition's table (under its original name); for a sub-partitioned child, its sub-partitions too (statements end with ";"). */
  readonly ddl: string;
  /** A sub-partitioned child: its partition key and its sub-partitions with their bounds. */
  readonly partitioning?: Partitioning;
  /** `COPY ... FROM STDIN` options matching the data object, for restoring with psql alone. */
  readonly copyOptions: string;
  /** The data object's key, relative to the partition's prefix (`<attempt>/data.csv.gz`; `data.csv.gz` in the first layout). */
  readonly dataObject: string;
  /**
   * layout: hive — the key (from the storage root) of the verified file as published for query
   * engines; the attempt's own object (dataObject) is removed once this manifest is written.
   */
  readonly publishedObject?: string;
  /** The archive attempt that wrote it (absent in the first layout, where objects sat directly under the partition). */
  readonly attempt?: string;
  /** pg_class OID of the archived table, to tell its own archive from an older table's with the same name. */
  readonly relid?: number;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  /** sha256 of the decompressed data (the COPY output). */
  readonly uncompressedSha256: string;
  readonly format: 'csv' | 'binary' | 'parquet';
  /** Of the object as stored (a Parquet file compresses inside: none; its codec is under `parquet`). */
  readonly compression: Compression;
  /** A Parquet archive: how it was written, what a restore reads it back as, and its column ranges. */
  readonly parquet?: ParquetManifest;
  readonly postgresVersion: string;
  readonly partwardenVersion: string;
  readonly archivedAt: string;
}

export interface ParquetManifest {
  readonly codec: 'zstd' | 'snappy';
  readonly rowGroupRows: number;
  /** The exported columns in file order: their PostgreSQL type as the export read it, and whether they went as text. */
  readonly columns: ReadonlyArray<PgColumn & { readonly asText: boolean }>;
  /** Rows and min/max/NULLs per column, for the whole object and per row group. */
  readonly stats: ParquetStats;
}

const REQUIRED: readonly (keyof ArchiveManifest)[] = [
  'formatVersion', 'policy', 'database', 'schema', 'parent', 'partition', 'bounds', 'columns', 'ddl',
  'dataObject', 'rows', 'bytes', 'sha256', 'uncompressedSha256', 'format', 'compression', 'archivedAt',
];

/** Parses and checks a manifest; throws with the missing field named. */
export function parseManifest(text: string, key: string): ArchiveManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new Error(`${key}: not valid JSON`);
  }
  if (typeof m !== 'object' || m === null) throw new Error(`${key}: not a JSON object`);
  for (const f of REQUIRED) if (!(f in m)) throw new Error(`${key}: missing field "${f}"`);
  const man = m as ArchiveManifest;
  if (man.formatVersion !== 1) throw new Error(`${key}: unsupported formatVersion ${String(man.formatVersion)}`);
  if (!/^[0-9a-f]{64}$/.test(man.sha256)) throw new Error(`${key}: sha256 is not a hex digest`);
  if (man.format === 'parquet' && !Array.isArray(man.parquet?.columns)) throw new Error(`${key}: a parquet archive without its "parquet" section (columns)`);
  return man;
}

export function renderManifest(m: ArchiveManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** The key of a manifest's data object: its published copy (layout: hive), or the one under the partition's prefix. */
export const dataKeyOf = (prefix: string, m: Pick<ArchiveManifest, 'dataObject' | 'publishedObject'>): string => m.publishedObject ?? prefix + m.dataObject;
