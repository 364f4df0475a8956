import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/embedded-pg.js';

/** The pgbouncer binary (PW_PGBOUNCER, or on PATH); .ci/run installs Debian's package. */
export function pgbouncerBinary(): string {
  const explicit = process.env.PW_PGBOUNCER;
  if (explicit) return explicit;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer || ls /usr/sbin/pgbouncer'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    throw new Error('pgbouncer is not installed (apt-get install pgbouncer; .ci/run does it)');
  }
}

/** A real PgBouncer on loopback in front of one database, in the given pool mode. */
export async function startPgBouncer(o: { pgPort: number; database: string; password: string; poolMode: 'transaction' | 'session' }): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-pgbouncer-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `${o.database} = host=127.0.0.1 port=${o.pgPort} dbname=${o.database} user=postgres password=${o.password}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      `pool_mode = ${o.poolMode}`,
      'default_pool_size = 10',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  chmodSync(ini, 0o644);
  // PgBouncer refuses to run as root: switch to the server's user, as the dev PostgreSQL does
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini];
  const child: ChildProcess = spawn(pgbouncerBinary(), args, { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `postgres://postgres:${o.password}@127.0.0.1:${port}/${o.database}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r).once('error', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
