import { createWriteStream, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { asyncBufferFromFile } from 'hyparquet';
import { DuckDBInstance } from '@duckdb/node-api';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { describe, expect, it } from 'vitest';
import { CopyBinaryRows } from '../../src/archive/copy-binary.js';
import { readParquetColumns } from '../../src/archive/parquet-columns.js';
import { parquetCopySql } from '../../src/sql/copy.js';
import { parquetCopyText } from '../../src/archive/parquet-decode.js';
import { ParquetEncoder } from '../../src/archive/parquet-encode.js';
import { quoteIdent, quoteQualified } from '../../src/db/quote.js';
import { zstdAvailable } from '../../src/model/runtime.js';
import { useDatabase } from '../helpers/db.js';

/*
 * Every PostgreSQL type of a Parquet archive, written from a real binary COPY and read back by
 * DuckDB (another engine, as analysts would): row count, sums, min/max and every value compared
 * with what PostgreSQL says, NULLs everywhere.
 */
const db = useDatabase();

async function duck<T>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    return (await (await con.run(sql)).getRowObjectsJS()) as T[];
  } finally {
    con.closeSync();
  }
}

describe('Parquet: PostgreSQL types through a binary COPY, read by DuckDB, and back', () => {
  it('keeps every value of every supported type (the rest as text), and restores each one exactly', async () => {
    await db.sql.query(`CREATE TYPE mood AS ENUM ('calm', 'it''s "ok"')`);
    await db.sql.query(`CREATE DOMAIN money2 AS numeric(12, 2)`);
    await db.sql.query(`CREATE TABLE public."All ""Types""" (
      id bigint NOT NULL, small smallint, i int, f4 real, f8 double precision, ok boolean,
      amount numeric(12, 2), big numeric(30, 6), free numeric, dom money2,
      label text, code varchar(8), ch char(3), "Ünï" text,
      d date, ts timestamp, tstz timestamptz, u uuid, raw bytea, j json, jb jsonb,
      tags text[], nums int8[], prices numeric(8, 3)[], m mood, span interval,
      gen bigint GENERATED ALWAYS AS (id * 2) STORED)`);
    await db.sql.query(`INSERT INTO public."All ""Types""" (id, small, i, f4, f8, ok, amount, big, free, dom, label, code, ch, "Ünï", d, ts, tstz, u, raw, j, jb, tags, nums, prices, m, span)
      SELECT g, (g % 300 - 150)::smallint, g * 7 - 5000, g / 3.0, g / 7.0, g % 2 = 0,
             (g * 12.34 - 9000)::numeric(12, 2), (g * 1234567.123456)::numeric(30, 6), g / 8.0, g * 1.5,
             'row ' || g || E' \\t "quoted", \\n newline', 'c' || g % 100, 'ab', 'ünïcödé ' || g,
             '2024-02-29'::date + g, '2024-01-01 00:00:00.000001'::timestamp + g * interval '1 hour 0.000001 sec',
             '2024-01-01 12:00:00.123456+02'::timestamptz + g * interval '1 minute', md5(g::text)::uuid, decode(lpad(to_hex(g), 8, '0'), 'hex'),
             json_build_object('g', g, 'n', 'x y'), jsonb_build_object('g', g, 'deep', jsonb_build_array(1, 'two', null)),
             ARRAY['a' || g, NULL, ''], ARRAY[g, -g]::int8[], ARRAY[g / 3.0, NULL]::numeric(8, 3)[], CASE WHEN g % 2 = 0 THEN 'calm' ELSE 'it''s "ok"' END::mood, g * interval '1 day 2 hours'
        FROM generate_series(1, 5000) g`);
    // a row of NULLs in every nullable column
    await db.sql.query(`INSERT INTO public."All ""Types""" (id) VALUES (0)`);
    // edges: BC dates and times, float specials, negative and wide decimals, backslashes, empty arrays and bytes
    await db.sql.query(`INSERT INTO public."All ""Types""" (id, f4, f8, amount, big, label, d, ts, tstz, raw, tags, nums, prices, jb)
      VALUES (-1, '-Infinity', 'NaN', -0.01, -123456789012345678901234.123456, E'back\\\\slash \\\\N "q"', '0044-03-15 BC', '4713-01-01 00:00:00.000001 BC', '0001-01-01 00:00:00+00 BC', '', '{}', '{}', '{}', '"just a string"'),
             (-2, 'Infinity', '-Infinity', 9999999999.99, 999999999999999999999999.999999, '', '294276-12-31', '294247-01-01 23:59:59.999999', '1970-01-01 00:00:00+00', '\\x00ff', ARRAY[E'a"b\\\\c', 'NULL', ' '], ARRAY[-9223372036854775808, 9223372036854775807]::int8[], ARRAY[-99999.999], '[]')`);
    const table = { schema: 'public', name: 'All "Types"' };
    const columns = await readParquetColumns(db.sql, table);
    expect(columns.map((c) => c.name)).not.toContain('gen');
    expect(columns.filter((c) => c.asText).map((c) => c.name)).toEqual(['free', 'span']);

    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pw-parquet-')), 'part-0.parquet');
    const encoder = new ParquetEncoder({ columns, codec: zstdAvailable() ? 'zstd' : 'snappy', rowGroupRows: 1000, rowGroupBytes: 64 << 20, createdBy: 'partwarden test' });
    await pipeline(db.sql.query(copyTo(parquetCopySql(table, columns))), new CopyBinaryRows(), encoder, createWriteStream(file));
    expect(encoder.rows).toBe(5003);
    // the manifest's column ranges, per object and per row group, as PostgreSQL sees them
    const ranges = (await db.sql.query(`SELECT min(id)::text AS id_min, max(id)::text AS id_max, min(amount)::text AS amount_min, max(amount)::text AS amount_max,
        to_char(min(tstz) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' || CASE WHEN to_char(min(tstz) AT TIME ZONE 'UTC', 'BC') = 'BC' THEN ' BC' ELSE '' END AS tstz_min, to_char(max(ts), 'YYYY-MM-DD HH24:MI:SS.US') AS ts_max,
        min(d)::text AS d_min, min(label COLLATE "C") AS label_min, (SELECT u::text FROM public."All ""Types""" WHERE u IS NOT NULL ORDER BY u LIMIT 1) AS u_min, max(small) AS small_max
        FROM public."All ""Types"""`)).rows[0];
    const stats = encoder.stats;
    expect(stats.rows).toBe(5003);
    expect(stats.columns.id).toEqual({ min: ranges.id_min, max: ranges.id_max, nulls: 0 });
    expect(stats.columns.amount).toEqual({ min: ranges.amount_min, max: ranges.amount_max, nulls: 1 });
    expect(stats.columns.tstz!.min).toBe(ranges.tstz_min);
    expect(stats.columns.ts!.max).toBe(ranges.ts_max);
    expect(stats.columns.d!.min).toBe(ranges.d_min);
    expect(stats.columns.label!.min).toBe(ranges.label_min);
    expect(stats.columns.u!.min).toBe(ranges.u_min);
    expect(stats.columns.small!.max).toBe(ranges.small_max);
    expect(stats.columns.tags!.nulls).toBe(5001); // one NULL element per generated row, and the row of NULLs
    expect(stats.columns.jb).toEqual({ min: null, max: null, nulls: 1 }); // JSON has no order
    expect(stats.rowGroups.map((g) => g.rows)).toEqual([1000, 1000, 1000, 1000, 1000, 3]);

    const [meta] = await duck<{ groups: number }>(`SELECT count(DISTINCT row_group_id)::int AS groups FROM parquet_metadata('${file}')`);
    expect(meta!.groups).toBe(6);
    const pgText = (expr: string) => `string_agg(coalesce(${expr}, '<null>'), '|' ORDER BY id)`;
    const compare: Array<[string, string, string]> = [
      ['count', 'count(*)::text', 'count(*)::varchar'],
      ['sums', `sum(small)::text || ',' || sum(i)::text || ',' || sum(id)::text`, `sum(small)::varchar || ',' || sum(i)::varchar || ',' || sum(id)::varchar`],
      ['real', pgText('round(f4::float8 * 1000000)::bigint::text'), pgText('round(f4::double * 1000000)::bigint::varchar')],
      ['f8 sum', 'round(sum(f8)::numeric, 6)::text', 'round(sum(f8), 6)::varchar'],
      ['bool', pgText('ok::text'), pgText('ok::varchar')],
      ['numeric', pgText('amount::text') + ` || sum(amount)::text`, pgText('amount::varchar') + ` || sum(amount)::varchar`],
      ['numeric(30,6)', pgText('big::text'), pgText('big::varchar')],
      ['domain', pgText('dom::text'), pgText('dom::varchar')],
      ['unconstrained numeric (text)', pgText('free::text'), pgText('free')],
      ['text', pgText('label') + ` || ${pgText('code')} || ${pgText(`nullif(format('%s', ch), '')`)} || ${pgText('"Ünï"')}`, pgText('label') + ` || ${pgText('code')} || ${pgText('ch')} || ${pgText('"Ünï"')}`],
      ['date', pgText(`to_char(d, 'YYYY-MM-DD')`) + ` || min(d)::text || max(d)::text`, pgText('strftime(d, \'%Y-%m-%d\')') + ` || min(d)::varchar || max(d)::varchar`],
      ['timestamp', pgText(`to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US')`), pgText(`strftime(ts, '%Y-%m-%d %H:%M:%S.%f')`)],
      ['timestamptz (UTC micros)', pgText(`(extract(epoch FROM tstz) * 1000000)::bigint::text`), pgText('epoch_us(tstz)::varchar')],
      ['uuid', pgText('u::text'), pgText('u::varchar')],
      ['bytea', pgText(`encode(raw, 'hex')`), pgText('lower(hex(raw))')],
      ['json', pgText('j::text'), pgText('j::varchar')],
      ['jsonb', pgText('jb::text'), pgText('jb::varchar')],
      ['text[]', pgText(`array_to_string(tags, ',', '<n>') || '/' || cardinality(tags)`), pgText(`array_to_string(list_transform(tags, x -> coalesce(x, '<n>')), ',') || '/' || len(tags)`)],
      ['int8[]', pgText(`array_to_string(nums, ',')`), pgText(`array_to_string(nums, ',')`)],
      ['numeric[]', pgText(`array_to_string(prices, ',', '<n>')`), pgText(`array_to_string(list_transform(prices, x -> coalesce(x::varchar, '<n>')), ',')`)],
      ['enum', pgText('m::text'), pgText('m')],
      ['interval (text)', pgText('span::text'), pgText('span')],
    ];
    const pgRow = (await db.sql.query(`SELECT ${compare.map(([, p], i) => `(${p}) AS c${i}`).join(', ')} FROM public."All ""Types""" WHERE id >= 0`)).rows[0] as Record<string, string>;
    const duckRow = (await duck<Record<string, string>>(`SELECT ${compare.map(([, , d], i) => `(${d}) AS c${i}`).join(', ')} FROM read_parquet('${file}') WHERE id >= 0`))[0]!; // the edge rows (infinities, BC) are for the round trip below
    for (const [i, [what]] of compare.entries()) expect(duckRow[`c${i}`], what).toBe(pgRow[`c${i}`]);

    // and back: the file's rows as COPY text into a table of the same shape, every value identical
    await db.sql.query(`CREATE TABLE public."All ""Types"" back" (LIKE public."All ""Types""" INCLUDING GENERATED)`);
    const back = { schema: 'public', name: 'All "Types" back' };
    const copyIn = db.sql.query(copyFrom(`COPY ${quoteQualified(back.schema, back.name)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) FROM STDIN`));
    await pipeline(Readable.from(parquetCopyText({ file: await asyncBufferFromFile(file), columns })), copyIn);
    const fingerprint = async (t: string) => (await db.sql.query(`SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY id)) AS h FROM ${t} t`)).rows[0];
    expect(await fingerprint('public."All ""Types"" back"')).toEqual(await fingerprint('public."All ""Types"""'));
  }, 120_000);
});
