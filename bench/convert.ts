/**
 * bench/convert: turning a live plain table into a partitioned one, partwarden convert next to
 * pg_partman's online recipe (its "Partitioning an Existing Table / Online Partitioning" howto:
 * a new partitioned table made with create_parent(), the old table attached as its DEFAULT in one
 * locked transaction, then partition_data_proc() moving every row out of the DEFAULT), on the same
 * table, on the same server (Debian's postgresql-15 and postgresql-15-partman).
 *
 *   npm run bench:convert -- [--quick]          (ROWS=2000000; --quick: ROWS=100000)
 *
 * The table: an identity primary key, a timestamptz key over the last 30 days, an index on it. An
 * application session inserts a row and updates an old one every 10 ms through each conversion;
 * reported per tool: the conversion's wall time, the application's longest statement (what a lock
 * held against it costs), its errors, rows written by the conversion (WAL), and that every row is
 * there afterwards. Prints a table, writes bench/results/<date>-convert[-quick].json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { load } from '../src/config/load.js';
import type { RangePolicy } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';
import { convert } from '../src/reconcile/convert.js';
import { textTable } from '../src/text-table.js';
import { startPartmanServer } from './partman-server.js';

const QUICK = process.argv.includes('--quick');
const ROWS = Number(process.env.ROWS ?? (QUICK ? 100_000 : 2_000_000));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Result {
  readonly tool: string;
  readonly seconds: number;
  readonly appTransactions: number;
  readonly appLongestMs: number;
  readonly appErrors: number;
  /** How long the application had to stop writing for the conversion to finish. */
  readonly appPausedS: number;
  readonly walMb: number;
  readonly rowsKept: boolean;
  /** What went wrong on the way (and what was done about it). */
  readonly notes: readonly string[];
}

async function createTable(sql: pg.Client, schema: string): Promise<void> {
  await sql.query(`CREATE SCHEMA ${schema}`);
  await sql.query(`CREATE TABLE ${schema}.ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now(), account int NOT NULL, note text)`);
  await sql.query(`INSERT INTO ${schema}.ev (ts, account, note) SELECT now() - (g * interval '30 days' / ${ROWS}), g % 100, md5(g::text) FROM generate_series(1, ${ROWS}) g`);
  await sql.query(`CREATE INDEX ev_ts_idx ON ${schema}.ev (ts)`);
  await sql.query(`VACUUM ANALYZE ${schema}.ev`);
}

/** The application: an insert and an update of an old row every 10 ms, each timed, until stopped. */
function application(url: string, schema: string) {
  const s = { transactions: 0, errors: 0, longestMs: 0, inserted: 0, pausedMs: 0, firstErrors: [] as string[] };
  let stop = false;
  let paused: number | undefined;
  const done = (async () => {
    const c = new pg.Client(url);
    c.on('error', () => undefined); // a server stopping under it: the statement fails and is counted
    await c.connect();
    for (let i = 0; !stop; i++) {
      if (paused !== undefined) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const t0 = Date.now();
      try {
        await c.query(`INSERT INTO ${schema}.ev (account, note) VALUES ($1, 'app')`, [i % 100]);
        s.inserted++;
        await c.query(`UPDATE ${schema}.ev SET note = 'updated' WHERE id = $1`, [1 + ((i * 7919) % ROWS)]);
        s.transactions++;
      } catch (err) {
        s.errors++;
        if (s.firstErrors.length < 3) s.firstErrors.push((err as Error).message);
      }
      s.longestMs = Math.max(s.longestMs, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
    await c.end().catch(() => undefined);
  })();
  return {
    s,
    stop: async () => ((stop = true), await done),
    /** The application stops writing (a maintenance window), then goes on. */
    pause: () => void (paused = Date.now()),
    resume: () => void ((s.pausedMs += Date.now() - (paused ?? Date.now())), (paused = undefined)),
  };
}

type Application = ReturnType<typeof application>;

async function measured(sql: pg.Client, url: string, tool: string, schema: string, run: (app: Application) => Promise<string[]>): Promise<Result> {
  const app = application(url, schema);
  await new Promise((r) => setTimeout(r, 1000));
  const wal0 = (await sql.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
  const t0 = process.hrtime.bigint();
  let seconds: number;
  let walMb: number;
  let notes: string[];
  try {
    notes = await run(app);
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    walMb = Number((await sql.query<{ b: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS b', [wal0])).rows[0]!.b) / 1048576;
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await app.stop();
  }
  const n = Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.ev`)).rows[0]!.n);
  const partitioned = (await sql.query<{ k: string }>(`SELECT relkind::text AS k FROM pg_class WHERE oid = '${schema}.ev'::regclass`)).rows[0]!.k === 'p';
  if (!partitioned) throw new Error(`${tool}: ${schema}.ev is not partitioned after the conversion`);
  return {
    tool, seconds: Math.round(seconds * 10) / 10, appTransactions: app.s.transactions, appLongestMs: app.s.longestMs, appErrors: app.s.errors, appPausedS: Math.round(app.s.pausedMs / 100) / 10,
    walMb: Math.round(walMb), rowsKept: n === ROWS + app.s.inserted, notes: [...notes, ...app.s.firstErrors.map((e) => `the application got: ${e}`)],
  };
}

/** partwarden convert, as `partwarden convert --policy ev` runs it. */
async function partwarden(url: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-convert-bench-'));
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'policies', 'ev.yaml'), `apiVersion: partwarden/v1\nkind: PartitionPolicy\nmetadata:\n  name: ev\nspec:\n  database: main\n  table: pw.ev\n  strategy: range\n  range:\n    column: ts\n    interval: 1 day\n    premake: 4\n`);
  writeFileSync(path.join(dir, 'partwarden.yaml'), `databases:\n  main:\n    url: ${JSON.stringify(url)}\npolicies: ./policies\n`);
  const { config, policies } = load({ configFile: path.join(dir, 'partwarden.yaml') });
  const r = await convert({ config, policy: policies[0] as RangePolicy, dryRun: false, log: silentLogger() });
  if (r.status !== 'converted') throw new Error(`partwarden convert: ${r.status} ${r.error ?? r.plan?.refusals.join('; ') ?? ''}`);
  return [];
}

/** pg_partman 4.7's online recipe, step by step as its howto writes it. */
async function pgPartman(sql: pg.Client, app: Application): Promise<string[]> {
  await sql.query(`CREATE TABLE pm.ev_new (id bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, ts timestamptz NOT NULL DEFAULT now(), account int NOT NULL, note text) PARTITION BY RANGE (ts)`);
  await sql.query(`CREATE INDEX ev_new_ts_idx ON pm.ev_new (ts)`);
  // the primary key cannot be on the parent (it lacks the key): pg_partman puts it on each child through a template
  await sql.query(`CREATE TABLE pm.ev_template (LIKE pm.ev)`);
  await sql.query(`ALTER TABLE pm.ev_template ADD PRIMARY KEY (id)`);
  await sql.query(`SELECT partman.create_parent('pm.ev_new', 'ts', 'native', 'daily', p_template_table := 'pm.ev_template', p_premake := 1, p_start_partition := (now() + interval '2 days')::text)`);
  await sql.query(`DROP TABLE pm.ev_new_default`);
  await sql.query(`UPDATE partman.part_config SET parent_table = 'pm.ev', premake = 4 WHERE parent_table = 'pm.ev_new'`);
  const children = (await sql.query<{ n: string }>(`SELECT c.relname AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'pm.ev_new'::regclass`)).rows;
  // the swap: ATTACH ... DEFAULT scans the whole old table under ACCESS EXCLUSIVE
  await sql.query('BEGIN');
  await sql.query('LOCK TABLE pm.ev IN ACCESS EXCLUSIVE MODE');
  await sql.query('LOCK TABLE pm.ev_new IN ACCESS EXCLUSIVE MODE');
  const last = (await sql.query<{ m: string }>('SELECT max(id) AS m FROM pm.ev')).rows[0]!.m;
  await sql.query('ALTER TABLE pm.ev RENAME TO ev_default');
  await sql.query('ALTER TABLE pm.ev_default ALTER id DROP IDENTITY');
  await sql.query('ALTER TABLE pm.ev_new RENAME TO ev');
  for (const c of children) await sql.query(`ALTER TABLE pm.${c.n} RENAME TO ${c.n.replace(/^ev_new_/, 'ev_')}`);
  await sql.query('ALTER SEQUENCE pm.ev_new_id_seq RENAME TO ev_id_seq');
  await sql.query(`ALTER TABLE pm.ev ALTER id RESTART WITH ${BigInt(last) + 1n}`);
  await sql.query('ALTER TABLE pm.ev ATTACH PARTITION pm.ev_default DEFAULT');
  await sql.query('COMMIT');
  // every row moves out of the DEFAULT, a day at a time (each batch: to a temp table, CREATE the
  // child, back in). Today's rows keep arriving in the DEFAULT meanwhile, and the child's ATTACH
  // then fails ("updated partition constraint for default partition ... would be violated",
  // pg_partman #822): retried as a DBA would, and at last with the application paused.
  const notes: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const last = attempt > 3;
    if (last) app.pause();
    try {
      await sql.query(`CALL partman.partition_data_proc('pm.ev', p_batch := 200)`);
      break;
    } catch (err) {
      notes.push(`partition_data_proc attempt ${attempt}: ${(err as Error).message.split('\n')[0]}`);
      if (last) throw err;
    } finally {
      if (last) app.resume();
    }
  }
  await sql.query('VACUUM ANALYZE pm.ev');
  await sql.query('ALTER TABLE pm.ev ALTER id SET GENERATED ALWAYS');
  await sql.query(`SELECT partman.run_maintenance('pm.ev')`);
  return notes;
}

async function main(): Promise<void> {
  const server = await startPartmanServer();
  try {
    const { sql, url } = server;
    say(`converting a ${ROWS.toLocaleString('en')}-row table under a live application (PostgreSQL ${server.version}, pg_partman ${server.partmanVersion}, ${os.cpus().length} CPUs)`);
    await createTable(sql, 'pw');
    await createTable(sql, 'pm');
    const results = [
      await measured(sql, url, 'partwarden convert', 'pw', () => partwarden(url)),
      await measured(sql, url, 'pg_partman: DEFAULT, then partition_data_proc', 'pm', (app) => pgPartman(sql, app)),
    ];
    const rows = [['tool', 'seconds', 'app transactions', 'app longest statement ms', 'app errors', 'app paused s', 'WAL MB', 'every row kept']];
    for (const r of results) rows.push([r.tool, String(r.seconds), String(r.appTransactions), String(r.appLongestMs), String(r.appErrors), String(r.appPausedS), String(r.walMb), r.rowsKept ? 'yes' : 'NO']);
    say('');
    for (const line of textTable(rows)) say(line);
    for (const r of results) for (const n of r.notes) say(`${r.tool}: ${n}`);
    if (results.some((r) => !r.rowsKept)) throw new Error('a conversion lost or duplicated rows');
    const date = new Date().toISOString().slice(0, 10);
    const file = `bench/results/${date}-convert${QUICK || process.env.ROWS ? `-${ROWS}-rows` : ''}.json`;
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, file), `${JSON.stringify({ bench: 'convert', date, rows: ROWS, postgres: server.version, pgPartman: server.partmanVersion, node: process.version, cpus: os.cpus().length, results }, null, 2)}\n`);
    say(`\nwrote ${file}`);
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/convert failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
