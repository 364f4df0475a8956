import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  policies: { type: 'string' },
  policy: { type: 'string', short: 'p' },
  output: { type: 'string', short: 'o' },
  at: { type: 'string' },
  db: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  partition: { type: 'string' },
  as: { type: 'string' },
  attach: { type: 'boolean' },
  'allow-mass-removal': { type: 'boolean' },
  cutoff: { type: 'string' },
  'history-name': { type: 'string' },
  undo: { type: 'boolean' },
  engine: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ParsedOptions = {
  config?: string;
  policies?: string;
  policy?: string;
  output?: string;
  at?: string;
  db?: boolean;
  'dry-run'?: boolean;
  partition?: string;
  as?: string;
  attach?: boolean;
  'allow-mass-removal'?: boolean;
  cutoff?: string;
  'history-name'?: string;
  undo?: boolean;
  engine?: string;
  help?: boolean;
};

/** Parses argv after the command; rejects options the command does not take. */
export function parseCommandArgs(args: readonly string[], allowed: readonly (keyof ParsedOptions)[]): ParsedOptions {
  let values: ParsedOptions;
  try {
    values = parseArgs({ args: [...args], options: COMMON_OPTIONS, allowPositionals: false, strict: true }).values as ParsedOptions;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  for (const key of Object.keys(values) as (keyof ParsedOptions)[]) {
    if (key !== 'help' && !allowed.includes(key)) throw new UsageError(`option --${key} is not valid for this command`);
  }
  if (values.output !== undefined && values.output !== 'text' && values.output !== 'json') {
    throw new UsageError(`--output must be text or json, got ${JSON.stringify(values.output)}`);
  }
  return values;
}

/** The clock of a read-only command: a fixed instant with --at or PARTWARDEN_NOW, else the database's. */
export const clockFor = (at: string | undefined, io: { fixedNow?: boolean }): 'fixed' | 'database' => (at !== undefined || io.fixedNow ? 'fixed' : 'database');

/** Parses `--at`: an ISO date or date-time (UTC unless it carries an offset). */
export function parseAt(text: string | undefined, nowMs: number): number {
  if (text === undefined) return nowMs;
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text.replace(' ', 'T')}Z`;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new UsageError(`--at: expected a date or time like 2025-03-30 or 2025-03-30T02:30:00+01:00, got ${JSON.stringify(text)}`);
  return ms;
}
