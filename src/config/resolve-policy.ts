import { parseCalendarInterval, type CalendarInterval } from '../time/duration.js';
import type { ConfigProblem } from './errors.js';
import { parseIdentifier, parseQualifiedName, type QualifiedName } from './qualified-name.js';
import { asObj, type Obj, type Plain } from './schema-dsl.js';
import { posAt } from './tree-path.js';
import type { ArchiveSpec, DeclaredListPartition, DefaultSpec, HashSpec, HealthSpec, ListSpec, ListValue, Policy, RangeKeyInterval, RangeSpec, RetentionSpec, SubpartitionSpec } from './types.js';
import { zstdAvailable } from '../model/runtime.js';
import type { TreeNode } from './yaml-tree.js';
import { checkNaming } from '../model/naming.js';
import { approxMs } from '../time/calendar.js';

const obj = asObj;
const str = (v: Plain | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: Plain | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: Plain | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);


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
  if (spec.subpartition !== undefined && strategy !== 'range') fail('spec.subpartition', `only range policies have sub-partitions (this policy says strategy: ${strategy})`);

  const def = obj(spec.default);
  if (strategy === 'hash') {
    for (const k of Object.keys(def)) fail(`spec.default.${k}`, 'a hash-partitioned table cannot have a DEFAULT partition (PostgreSQL forbids it)');
  }
  const defaultSpec: DefaultSpec = {
    create: bool(def.create) ?? false,
    maxRows: num(def.maxRows) ?? 0,
    relocate: bool(def.relocate) ?? false,
    relocateBatchRows: num(def.relocateBatchRows) ?? 10_000,
  };

  let range: RangeSpec | undefined;
  if (strategy === 'range') range = resolveRange(obj(spec.range), fail);

  let subpartition: SubpartitionSpec | undefined;
  if (strategy === 'range' && spec.subpartition !== undefined) subpartition = resolveSubpartition(obj(spec.subpartition), range?.column, fail);
  let list: ListSpec | undefined;
  if (strategy === 'list') list = resolveList(obj(spec.list), fail);
  let hash: HashSpec | undefined;
  if (strategy === 'hash') hash = resolveHash(obj(spec.hash), fail);

  let retention: RetentionSpec | undefined;
  if (strategy === 'hash' && spec.retention !== undefined) fail('spec.retention', 'hash partitions never expire: every remainder must stay attached');
  else if (strategy === 'list' && spec.retention !== undefined) retention = resolveListRetention(obj(spec.retention), list?.onRemoved, hasStorage, fail);
  else if (strategy === 'list' && list?.onRemoved === 'archive') retention = resolveListRetention({}, 'archive', hasStorage, fail);
  else if (spec.retention !== undefined) retention = resolveRetention(obj(spec.retention), range, hasStorage, fail);

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
  if (strategy === 'range' && range) return Object.freeze({ ...base, strategy: 'range' as const, range: Object.freeze(range), ...(subpartition ? { subpartition: Object.freeze(subpartition) } : {}) });
  if (strategy === 'list' && list) return Object.freeze({ ...base, strategy: 'list' as const, list: Object.freeze(list) });
  if (strategy === 'hash' && hash) return Object.freeze({ ...base, strategy: 'hash' as const, hash: Object.freeze(hash) });
  return undefined;
}

/** Checks the declared partitions of a list: a value may belong to one partition only. */
function resolveListPartitions(raw: Obj, path: string, fail: (path: string, message: string) => void): DeclaredListPartition[] {
  const out: DeclaredListPartition[] = [];
  const owner = new Map<string, string>();
  for (const [key, v] of Object.entries(raw)) {
    const values = (Array.isArray(v) ? v : []).filter((x): x is ListValue => x === null || typeof x !== 'object');
    if (key.length === 0) fail(`${path}`, 'a partition key must not be empty');
    values.forEach((value, i) => {
      const id = value === null ? 'null' : `${typeof value}:${String(value)}`;
      const other = owner.get(id);
      if (other !== undefined) fail(`${path}.${key}[${i}]`, `value ${formatListValue(value)} is already declared in partition "${other}"; a value can belong to one partition only`);
      else owner.set(id, key);
    });
    out.push({ key, values });
  }
  return out;
}

export function formatListValue(v: ListValue): string {
  return v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function resolveList(l: Obj, fail: (path: string, message: string) => void): ListSpec {
  const naming = str(l.naming) ?? '{table}_{key}';
  const msg = checkTemplate(naming, ['table', 'schema', 'key'], ['key']);
  if (msg) fail('spec.list.naming', msg);
  return {
    column: columnName(l.column, 'spec.list.column', fail),
    partitions: resolveListPartitions(obj(l.partitions), 'spec.list.partitions', fail),
    naming,
    onRemoved: (str(l.onRemoved) ?? 'keep') as ListSpec['onRemoved'],
  };
}

function resolveHash(h: Obj, fail: (path: string, message: string) => void): HashSpec {
  const naming = str(h.naming) ?? '{table}_h{remainder}';
  const msg = checkTemplate(naming, ['table', 'schema', 'remainder', 'modulus'], ['remainder']);
  if (msg) fail('spec.hash.naming', msg);
  return { column: columnName(h.column, 'spec.hash.column', fail), modulus: num(h.modulus) ?? 1, naming };
}

function resolveSubpartition(sp: Obj, rangeColumn: string | undefined, fail: (path: string, message: string) => void): SubpartitionSpec | undefined {
  const column = columnName(sp.column, 'spec.subpartition.column', fail);
  if (rangeColumn !== undefined && column === rangeColumn) fail('spec.subpartition.column', `sub-partitioning on the range column "${column}" itself cannot spread rows; choose another column`);
  if (str(sp.strategy) === 'hash') {
    if (sp.partitions !== undefined) fail('spec.subpartition.partitions', 'only used with strategy: list');
    const modulus = num(sp.modulus);
    if (modulus === undefined) {
      fail('spec.subpartition.modulus', 'strategy: hash needs a modulus (the number of sub-partitions)');
      return undefined;
    }
    return { strategy: 'hash', column, modulus };
  }
  if (sp.modulus !== undefined) fail('spec.subpartition.modulus', 'only used with strategy: hash');
  if (sp.partitions === undefined) {
    fail('spec.subpartition', 'strategy: list needs partitions (key -> values)');
    return undefined;
  }
  return { strategy: 'list', column, partitions: resolveListPartitions(obj(sp.partitions), 'spec.subpartition.partitions', fail) };
}

/** A key column as PostgreSQL reads it (like `table:`): unquoted folds to lower case, "Quoted" is exact. */
function columnName(v: Plain | undefined, path: string, fail: (path: string, message: string) => void): string {
  const text = str(v);
  if (text === undefined) return '';
  const id = parseIdentifier(text);
  if (typeof id === 'string') {
    fail(path, id);
    return text;
  }
  return id.name;
}

/** retention.maxPerRun: lets a daily or hourly policy catch up over a few runs, never a mass removal in one. */
export const DEFAULT_MAX_PER_RUN = 10;

/** List policies: retention only holds the archive settings used by onRemoved: archive. */
function resolveListRetention(r: Obj, onRemoved: ListSpec['onRemoved'] | undefined, hasStorage: boolean, fail: (path: string, message: string) => void): RetentionSpec | undefined {
  for (const k of ['keep', 'keepPartitions', 'action'] as const) {
    if (r[k] !== undefined) fail(`spec.retention.${k}`, 'list partitions do not expire; list.onRemoved says what happens to partitions no longer declared');
  }
  const guard = { maxPerRun: num(r.maxPerRun) ?? DEFAULT_MAX_PER_RUN, allowMassRemoval: bool(r.allowMassRemoval) ?? false };
  if (onRemoved !== 'archive') {
    const other = Object.keys(r).filter((k) => k !== 'maxPerRun' && k !== 'allowMassRemoval');
    if (other.length > 0) fail(`spec.retention.${other[0]}`, 'only used with list.onRemoved: archive (maxPerRun and allowMassRemoval apply to onRemoved: detach too)');
    return onRemoved === 'detach' && Object.keys(r).length > 0 ? { action: 'detach', ...guard } : undefined;
  }
  return resolveRetention({ ...r, action: 'archive' }, undefined, hasStorage, fail, 'spec.list.onRemoved');
}

/** Checks a name template's tokens; `required` must all appear so names are unique. */
function checkTemplate(template: string, known: readonly string[], required: readonly string[]): string | undefined {
  const used = new Set<string>();
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!known.includes(m[1]!)) return `unknown token {${m[1]}} (known: ${known.map((k) => `{${k}}`).join(' ')})`;
    used.add(m[1]!);
  }
  if (/[{}]/.test(template.replace(/\{[^}]*\}/g, ''))) return 'unbalanced { or }';
  const missing = required.filter((t) => !used.has(t));
  return missing.length > 0 ? `the name must contain ${missing.map((t) => `{${t}}`).join(' ')}, or two partitions would get the same name` : undefined;
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
    column: columnName(r.column, 'spec.range.column', fail),
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
  actionPath = 'spec.retention.action',
): RetentionSpec | undefined {
  const keepText = str(r.keep);
  const keep: CalendarInterval | undefined = keepText ? parseCalendarInterval(keepText) : undefined;
  const keepPartitions = num(r.keepPartitions);
  const action = str(r.action) as RetentionSpec['action'] | undefined;
  const isList = actionPath !== 'spec.retention.action';
  if (!isList && !action) fail('spec.retention.action', 'is required (archive, detach or drop)');
  if (keep && keepPartitions !== undefined) fail('spec.retention.keepPartitions', 'set either keep or keepPartitions, not both');
  if (!isList && !keep && keepPartitions === undefined && keepText === undefined) fail('spec.retention', 'needs keep (an age like "90 days") or keepPartitions (a count)');
  for (const k of ['archive', 'afterArchive'] as const) {
    if (r[k] !== undefined && action !== 'archive') fail(`spec.retention.${k}`, 'only used with action: archive');
  }
  let archive: ArchiveSpec | undefined;
  if (action === 'archive') {
    if (!hasStorage) fail(actionPath, (isList ? 'onRemoved: archive' : 'action: archive') + ' needs a storage: section in the config file (s3://bucket/prefix or file:///path)');
    const a = obj(r.archive);
    const compression = (str(a.compression) ?? 'gzip') as ArchiveSpec['compression'];
    if (compression === 'zstd' && !zstdAvailable()) fail('spec.retention.archive.compression', `zstd needs Node.js >= 22.15 (this is ${process.version}); use gzip`);
    const level = num(a.compressionLevel);
    if (level !== undefined && compression === 'none') fail('spec.retention.archive.compressionLevel', 'compressionLevel needs compression gzip or zstd');
    if (level !== undefined && compression === 'gzip' && level > 9) fail('spec.retention.archive.compressionLevel', `gzip levels are 1 to 9, got ${level}`);
    archive = {
      format: (str(a.format) ?? 'csv') as ArchiveSpec['format'],
      compression,
      ...(level !== undefined ? { compressionLevel: level } : {}),
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
  const guard = { maxPerRun: num(r.maxPerRun) ?? DEFAULT_MAX_PER_RUN, allowMassRemoval: bool(r.allowMassRemoval) ?? false };
  return { keep, keepPartitions, action, ...guard, ...(archive ? { archive: Object.freeze(archive) } : {}) };
}
