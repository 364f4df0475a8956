import pg from 'pg';
/** What a session needs to know about its database (config's DatabaseConfig has these and more). */
export interface ConnectionSettings {
  readonly name: string;
  /** Contains secrets: never print it (see redactUrl). */
  readonly url: string;
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

/** `postgres://user:***@host:5432/db` — the URL with its password hidden, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|key|token/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return '<unparseable database url>';
  }
}

/** Removes anything that looks like the database password from an error message. */
export function scrubSecrets(message: string, db: ConnectionSettings): string {
  let out = message.split(db.url).join(redactUrl(db.url));
  try {
    const pw = decodeURIComponent(new URL(db.url).password);
    if (pw.length >= 3) out = out.split(pw).join('***');
  } catch {
    /* not a URL: nothing to scrub */
  }
  return out;
}

export class DatabaseUnavailableError extends Error {
  constructor(readonly database: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * Opens a dedicated session with the settings partwarden's SQL relies on: bounds are printed and
 * parsed in UTC with ISO dates, JIT is off (catalog queries are short), and the session is named
 * so DBAs can find it in pg_stat_activity.
 * Each SET is its own query (one statement per query, everywhere).
 */
export async function connect(db: ConnectionSettings, applicationName = 'partwarden'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url, keepAlive: true, application_name: applicationName, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {
    /* a dropped connection surfaces on the next query; never crash the process here */
  });
  try {
    await client.connect();
    await client.query("SET TimeZone = 'UTC'");
    await client.query("SET DateStyle = 'ISO, MDY'");
    await client.query("SET IntervalStyle = 'postgres'");
    // JIT compiles the catalog query once its estimated cost passes jit_above_cost (1,000+ tables):
    // ~1 s of LLVM work per reconcile for a query that runs in milliseconds
    await client.query('SET jit = off');
    await client.query(`SET lock_timeout = ${Math.max(0, Math.round(db.lockTimeoutMs))}`);
    await client.query(`SET statement_timeout = ${Math.max(0, Math.round(db.statementTimeoutMs))}`);
    await noteCitus(client);
  } catch (err) {
    await client.end().catch(() => undefined);
    const msg = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(db.name, `database "${db.name}" (${redactUrl(db.url)}): ${scrubSecrets(msg, db)}`, { cause: err });
  }
  return client;
}

const citusSessions = new WeakSet<pg.Client>();

/**
 * On a Citus coordinator, the session-level lock_timeout above bounds the coordinator's own lock
 * waits only: Citus sends DDL to the workers over its own connections, where it waits for shard
 * locks without limit (measured: a DETACH under lock_timeout 1s waited 18 s behind a reader on a
 * worker). Citus propagates SET LOCAL to those connections when citus.propagate_set_commands is
 * 'local': set here for the session, so every transaction's SET LOCAL lock_timeout reaches the
 * workers, and statements that would run alone run in a transaction of their own (onCitus).
 */
async function noteCitus(client: pg.Client): Promise<void> {
  const r = await client.query<{ citus: boolean }>("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus");
  if (!r.rows[0]?.citus) return;
  await client.query("SET citus.propagate_set_commands = 'local'");
  citusSessions.add(client);
}

/** Whether this session is on a Citus coordinator (see noteCitus). */
export const onCitus = (client: pg.Client): boolean => citusSessions.has(client);

export async function serverVersionNum(client: pg.Client): Promise<number> {
  const r = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(r.rows[0]!.v);
}
