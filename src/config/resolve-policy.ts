import { parseCalendarInterval, type CalendarInterval } from './duration.js';
import type { ConfigProblem } from './errors.js';
import { parseQualifiedName, type QualifiedName } from './qualified-name.js';
import type { Plain } from './schema-dsl.js';
import { posAt } from './tree-path.js';
import type { ArchiveSpec, DefaultSpec, HealthSpec, Policy, RangeKeyInterval, RangeSpec, RetentionSpec } from './types.js';
import { zstdAvailable } from '../archive/compression.js';
import type { TreeNode } from './yaml-tree.js';
import { checkNaming } from '../planner/naming.js';
import { approxMs } from '../planner/calendar.js';

type Obj = { readonly [key: string]: Plain };
const obj = (v: Plain | undefined): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});
const str = (v: Plain | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: Plain | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: Plain | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** Features the SPEC describes that arrive in later versions: rejected clearly instead of ignored. */
const NOT_YET = 'is not supported by this version of partwarden yet';

/**
 * Turns one schema-valid policy document into a frozen Policy, checking the rules that span
 * several keys. Returns undefined (and pushes problems) when the policy cannot be used.
 */
export function resolvePolicy(
  file: string,
  root: TreeNode,
  doc: Obj,
  knownDatabases: ReadonlySet<string>,
  hasStorage: boolean,
  problems: ConfigProblem[],
): Policy | undefined {
  const before = problems.length;
  const fail = (path: string, message: string) => {
    const pos = posAt(root, path);
    problems.push({ file, line: pos.line, col: pos.col, path, message });
  };
  const metadata = obj(doc.metadata);
  const spec = obj(doc.spec);
  const name = str(metadata.name) ?? '';
  const strategy = str(spec.strategy);
  const database = str(spec.database) ?? '';
  if (database && !knownDatabases.has(database)) {
    fail('spec.database', `unknown database "${database}" (config defines: ${[...knownDatabases].join(', ') || 'none'})`);
  }
  const tableResult = parseQualifiedName(str(spec.table) ?? '');
  const table: QualifiedName | undefined = typeof tableResult === 'string' ? undefined : tableResult;

  for (const s of ['range', 'list', 'hash'] as const) {
    if (spec[s] !== undefined && strategy !== s) fail(`spec.${s}`, `only allowed with strategy: ${s} (this policy says strategy: ${strategy})`);
  }
  if (strategy && spec[strategy] === undefined) fail('spec.strategy', `strategy: ${strategy} needs a spec.${strategy} section`);
  if (strategy === 'list' || strategy === 'hash') fail('spec.strategy', `strategy: ${strategy} ${NOT_YET} (range only for now)`);
  if (spec.subpartition !== undefined) fail('spec.subpartition', `sub-partitioning ${NOT_YET}`);

  const def = obj(spec.default);
  if (bool(def.create)) fail('spec.default.create', `creating a DEFAULT partition ${NOT_YET}; create it by hand if you need one`);
  const defaultSpec: DefaultSpec = {
    create: false,
    maxRows: num(def.maxRows) ?? 0,
    relocate: bool(def.relocate) ?? false,
    relocateBatchRows: num(def.relocateBatchRows) ?? 10_000,
  };

  let range: RangeSpec | undefined;
  if (strategy === 'range') range = resolveRange(obj(spec.range), fail);

  let retention: RetentionSpec | undefined;
  if (spec.retention !== undefined) retention = resolveRetention(obj(spec.retention), range, hasStorage, fail);

  const health = obj(spec.health);
  const healthSpec: HealthSpec = {
    maxPartitions: num(health.maxPartitions),
    probes: (Array.isArray(health.probes) ? health.probes : []).map((p) => {
      const o = obj(p);
      return { name: str(o.name) ?? '', query: str(o.query) ?? '', maxPartitionsScanned: num(o.maxPartitionsScanned) ?? 1 };
    }),
  };

  if (problems.length > before || !table || !strategy) return undefined;
  const pos = posAt(root, 'metadata.name');
  const base = {
    name,
    origin: { file, line: pos.line, col: pos.col },
    database,
    table: Object.freeze(table),
    schedule: str(spec.schedule),
    default: Object.freeze(defaultSpec),
    retention: retention && Object.freeze(retention),
    health: Object.freeze(healthSpec),
  };
  if (strategy === 'range' && range) return Object.freeze({ ...base, strategy: 'range' as const, range: Object.freeze(range) });
  return undefined;
}

function resolveRange(r: Obj, fail: (path: string, message: string) => void): RangeSpec | undefined {
  const rawInterval = r.interval;
  let interval: RangeKeyInterval | undefined;
  if (typeof rawInterval === 'number') interval = { kind: 'step', step: BigInt(rawInterval) };
  else if (typeof rawInterval === 'string') {
    const ci = parseCalendarInterval(rawInterval);
    if (ci) interval = { kind: 'calendar', interval: ci };
  }
  if (!interval) return undefined;
  const unit = interval.kind === 'step' ? 'step' : interval.interval.unit;
  const naming = str(r.naming);
  if (naming !== undefined) {
    const msg = checkNaming(naming, unit);
    if (msg) fail('spec.range.naming', msg);
  }
  let startFrom: string | bigint | undefined;
  if (r.startFrom !== undefined) {
    if (interval.kind === 'step') {
      if (typeof r.startFrom === 'number') startFrom = BigInt(r.startFrom);
      else fail('spec.range.startFrom', 'with an integer step, startFrom must be a whole number');
    } else {
      const s = String(r.startFrom);
      if (!/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(s) || Number.isNaN(Date.parse(s.slice(0, 10)))) {
        fail('spec.range.startFrom', `expected a date like 2024-01-01 (or "2024-01-01 06:00"), got ${JSON.stringify(s)}`);
      } else startFrom = s;
    }
  }
  return {
    column: str(r.column) ?? '',
    interval,
    premake: num(r.premake) ?? 4,
    timezone: str(r.timezone) ?? 'UTC',
    naming,
    startFrom,
  };
}

function resolveRetention(
  r: Obj,
  range: RangeSpec | undefined,
  hasStorage: boolean,
  fail: (path: string, message: string) => void,
): RetentionSpec | undefined {
  const keepText = str(r.keep);
  const keep: CalendarInterval | undefined = keepText ? parseCalendarInterval(keepText) : undefined;
  const keepPartitions = num(r.keepPartitions);
  const action = str(r.action) as RetentionSpec['action'] | undefined;
  if (keep && keepPartitions !== undefined) fail('spec.retention.keepPartitions', 'set either keep or keepPartitions, not both');
  if (!keep && keepPartitions === undefined && keepText === undefined) fail('spec.retention', 'needs keep (an age like "90 days") or keepPartitions (a count)');
  for (const k of ['archive', 'afterArchive'] as const) {
    if (r[k] !== undefined && action !== 'archive') fail(`spec.retention.${k}`, 'only used with action: archive');
  }
  let archive: ArchiveSpec | undefined;
  if (action === 'archive') {
    if (!hasStorage) fail('spec.retention.action', 'action: archive needs a storage: section in the config file (s3://bucket/prefix or file:///path)');
    const a = obj(r.archive);
    const compression = (str(a.compression) ?? 'gzip') as ArchiveSpec['compression'];
    if (compression === 'zstd' && !zstdAvailable()) fail('spec.retention.archive.compression', `zstd needs Node.js >= 22.15 (this is ${process.version}); use gzip`);
    archive = {
      format: (str(a.format) ?? 'csv') as ArchiveSpec['format'],
      compression,
      verify: (str(a.verify) ?? 'checksum') as ArchiveSpec['verify'],
      afterArchive: (str(r.afterArchive) ?? 'drop') as ArchiveSpec['afterArchive'],
    };
  }
  if (keep && range) {
    if (range.interval.kind === 'step') fail('spec.retention.keep', 'an integer range has no age; use keepPartitions');
    else if (approxMs(keep) < approxMs(range.interval.interval)) {
      fail('spec.retention.keep', `keeps less than one partition (${keepText} < interval); every partition would expire as soon as it is current`);
    }
  }
  if (!action) return undefined;
  return { keep, keepPartitions, action, ...(archive ? { archive: Object.freeze(archive) } : {}) };
}
