#!/usr/bin/env node
import { ConfigError, formatProblem } from '../config/errors.js';
import { createLogger } from '../log.js';
import { UsageError } from './args.js';
import { applyCommand } from './apply.js';
import { EXIT } from './exit-codes.js';
import type { CommandIO } from './io.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { archiveCommand } from './archive.js';
import { restoreCommand } from './restore.js';
import { importCommand } from './import.js';
import { convertCommand } from './convert.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { VERSION } from '../version.js';

const USAGE = `partwarden ${VERSION} — keeps PostgreSQL partitioning healthy from YAML policies

Usage:
  partwarden validate [--config F] [--policies P] [--db]
  partwarden plan     [--config F] [--at TIME] [--policy NAME] [--output text|json]
  partwarden apply    [--config F] [--policy NAME] [--dry-run] [--output text|json]
  partwarden run      [--config F]
  partwarden status   [--config F] [--policy NAME] [--output text|json]
  partwarden archive list [--config F] [--policy NAME] [--output text|json]
  partwarden archive query [--config F] --policy NAME [--engine duckdb|pg_duckdb|parquet_s3_fdw]
  partwarden restore  [--config F] --policy NAME --partition NAME [--as SCHEMA.TABLE] [--attach]
  partwarden import pg-partman [--config F] [--db NAME] [--table SCHEMA.TABLE]
  partwarden convert  [--config F] --policy NAME [--dry-run] [--cutoff KEY] [--history-name NAME] [--undo]

The config file defaults to ./partwarden.yaml (or $PARTWARDEN_CONFIG).
Exit codes: 0 ok, 1 invalid config / error / work left undone, 2 violations (status).`;

const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CommandIO) => Promise<number>>> = {
  validate: validateCommand,
  plan: planCommand,
  apply: applyCommand,
  run: runCommand,
  status: statusCommand,
  archive: archiveCommand,
  restore: restoreCommand,
  import: importCommand,
  convert: convertCommand,
};

/**
 * The wall clock, or a fixed instant from PARTWARDEN_NOW (ISO 8601) for reproducing a run
 * "as of" a date (tests, incident analysis), like `plan --at` for every command.
 */
function clock(): () => number {
  const fixed = process.env.PARTWARDEN_NOW;
  if (!fixed) return () => Date.now();
  const ms = Date.parse(fixed);
  if (Number.isNaN(ms)) throw new UsageError(`PARTWARDEN_NOW: expected an ISO 8601 time, got ${JSON.stringify(fixed)}`);
  return () => ms;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io: CommandIO = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    log: createLogger(),
    now: () => Date.now(),
  };
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command === undefined ? EXIT.FAILURE : EXIT.OK;
  }
  if (command === '--version' || command === 'version') {
    io.out(VERSION);
    return EXIT.OK;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`unknown command "${command}"\n\n${USAGE}`);
    return EXIT.FAILURE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(USAGE);
    return EXIT.OK;
  }
  try {
    return await run(rest, { ...io, now: clock(), fixedNow: process.env.PARTWARDEN_NOW !== undefined, wallClock: () => Date.now() });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) io.err(formatProblem(p));
      return EXIT.FAILURE;
    }
    if (err instanceof UsageError) {
      io.err(`partwarden ${command}: ${err.message}`);
      return EXIT.FAILURE;
    }
    io.err(`partwarden ${command}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.FAILURE;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`partwarden: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
