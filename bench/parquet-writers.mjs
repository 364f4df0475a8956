// The measurement behind the choice of Parquet writer (docs/performance.md, "Parquet writer"):
// 1M synthetic rows (bigint, timestamptz micros, text, int, double) in row groups of 100k, zstd,
// written by each candidate; prints seconds, object MB and this process's peak RSS.
//
//   npm i --no-save parquet-wasm@0.8.0 apache-arrow@21.2.0   # the candidates that are not dependencies
//   node bench/parquet-writers.mjs hyparquet|wasm|duckdb      # one candidate per process (RSS apart)
//
// hyparquet-writer hands its bytes on after every row group (what partwarden does); parquet-wasm
// (arrow-rs in WebAssembly) takes Arrow record batches through transformParquetStream; DuckDB
// (@duckdb/node-api, native) gets the rows through its appender and writes a local file with COPY.
import { zstdCompressSync } from 'node:zlib';
import { rmSync, statSync } from 'node:fs';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const GROUP = 100_000;
const which = process.argv[2];
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const batch = (start, n) => {
  const id = [], ts = [], txt = [], num = [], dbl = [];
  for (let g = start; g < start + n; g++) {
    id.push(BigInt(g)); ts.push(1_700_000_000_000_000n + BigInt(g) * 1_000_000n); txt.push(`row ${g} ${'x'.repeat(g % 30)}`); num.push(g % 1000); dbl.push(g / 7);
  }
  return { id, ts, txt, num, dbl };
};
const t0 = performance.now();
let bytes = 0;
if (which === 'hyparquet') {
  const { ParquetWriter, ByteWriter } = await import('hyparquet-writer');
  const w = new ByteWriter(1 << 20);
  w.flush = () => { bytes += w.index; w.index = 0; };
  w.finish = () => w.flush();
  const schema = [{ name: 'root', num_children: 5 }, { name: 'id', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'ts', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
    { name: 'txt', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }, { name: 'num', type: 'INT32', repetition_type: 'OPTIONAL' },
    { name: 'dbl', type: 'DOUBLE', repetition_type: 'OPTIONAL' }];
  const pw = new ParquetWriter({ writer: w, schema, codec: 'ZSTD', compressors: { ZSTD: (b) => zstdCompressSync(b) } });
  for (let s = 0; s < ROWS; s += GROUP) pw.write({ columnData: Object.entries(batch(s, Math.min(GROUP, ROWS - s))).map(([name, data]) => ({ name, data })), rowGroupSize: GROUP });
  pw.finish();
} else if (which === 'wasm') {
  const arrow = await import('apache-arrow');
  const pq = await import('parquet-wasm');
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build();
  let s = 0;
  const source = new ReadableStream({
    pull(ctrl) {
      if (s >= ROWS) return ctrl.close();
      const d = batch(s, Math.min(GROUP, ROWS - s));
      s += GROUP;
      const t = arrow.tableFromArrays({ id: BigInt64Array.from(d.id), ts: BigInt64Array.from(d.ts), txt: d.txt, num: Int32Array.from(d.num), dbl: Float64Array.from(d.dbl) });
      for (const b of pq.Table.fromIPCStream(arrow.tableToIPC(t, 'stream')).recordBatches()) ctrl.enqueue(b);
    },
  });
  for await (const c of await pq.transformParquetStream(source, props)) bytes += c.byteLength;
} else if (which === 'duckdb') {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  await con.run('CREATE TABLE t (id BIGINT, ts TIMESTAMPTZ, txt VARCHAR, num INTEGER, dbl DOUBLE)');
  const app = await con.createAppender('t');
  for (let s = 0; s < ROWS; s += GROUP) {
    const d = batch(s, Math.min(GROUP, ROWS - s));
    for (let i = 0; i < d.id.length; i++) {
      app.appendBigInt(d.id[i]); app.appendVarchar(new Date(Number(d.ts[i] / 1000n)).toISOString()); app.appendVarchar(d.txt[i]); app.appendInteger(d.num[i]); app.appendDouble(d.dbl[i]); app.endRow();
    }
  }
  app.flushSync(); app.closeSync();
  const file = `/tmp/parquet-writers-${process.pid}.parquet`;
  await con.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${GROUP})`);
  bytes = statSync(file).size;
  rmSync(file);
} else {
  console.error('usage: node bench/parquet-writers.mjs hyparquet|wasm|duckdb');
  process.exit(2);
}
clearInterval(sample);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ writer: which, rows: ROWS, seconds: Number(((performance.now() - t0) / 1000).toFixed(2)), objectMb: Number((bytes / 1e6).toFixed(1)), peakRssMb: Math.round(peak / 1e6) }));
