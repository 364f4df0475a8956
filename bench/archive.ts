/**
 * bench/archive: archive a partition of >= 1 GB on disk and compare with the raw speed of
 * `COPY ... TO STDOUT` into /dev/null measured in the same run (the physical limit here); restore
 * it and compare with raw `COPY FROM`. Prints a table and writes bench/results/archive.json.
 * The same measurements run inside `npm run bench` (side by side with pg_partman).
 *
 *   npm run bench:archive            (SIZE_MB=1024 REPEAT=5 PW_PG_VERSION=18 by default)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevPostgres } from '../src/dev/embedded-pg.js';
import { archiveBench, archiveTable } from './archive-runs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const server = await startDevPostgres({ version: process.env.PW_PG_VERSION ?? '18' });
  try {
    await server.createDatabase('bench');
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const r = await archiveBench({ url: server.url('bench'), sizeMb: Number(process.env.SIZE_MB ?? 1024), repeat: Number(process.env.REPEAT ?? 5), log: say });
    say('');
    for (const line of archiveTable(r)) say(line);
    const result = { bench: 'archive', postgres: server.version, node: process.version, cpus: os.cpus().length, ...r, at: new Date().toISOString() };
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    writeFileSync(path.join(root, 'bench/results/archive.json'), `${JSON.stringify(result, null, 2)}\n`);
    say('\nwrote bench/results/archive.json');
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
