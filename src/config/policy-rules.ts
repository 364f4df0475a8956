import type * as z from 'zod';
import { checkNaming } from '../model/naming.js';
import { zstdAvailable } from '../model/runtime.js';
import { approxMs } from '../time/calendar.js';
import { formatCalendarInterval } from '../time/duration.js';
import type { PolicyDocument, RangeDocument, RetentionDocument, SpecDocument, SubpartitionDocument } from './policy-schema.js';

/** What a policy is checked against besides itself: the config file it is loaded with. */
export interface RulesContext {
  readonly knownDatabases: ReadonlySet<string>;
  readonly hasStorage: boolean;
}

type Fail = (path: readonly (string | number)[], message: string) => void;

/**
 * The rules that span several keys of a policy (a superRefine of the policy document, run once
 * every key is valid on its own): sections that belong to another strategy, retention that needs
 * storage or an age that a range can have, and so on.
 */
export function checkPolicy(doc: PolicyDocument, rc: RulesContext, ctx: z.RefinementCtx): void {
  const fail: Fail = (path, message) => ctx.addIssue({ code: 'custom', path: ['spec', ...path], message });
  const spec = doc.spec;
  if (!rc.knownDatabases.has(spec.database)) fail(['database'], `unknown database "${spec.database}" (config defines: ${[...rc.knownDatabases].join(', ') || 'none'})`);
  checkSections(spec, fail);
  if (spec.range) checkRange(spec.range, fail);
  if (spec.subpartition && spec.strategy === 'range') checkSubpartition(spec.subpartition, spec.range?.column, fail);
  if (spec.retention) checkRetention(spec, spec.retention, rc, fail);
  else if (spec.list?.onRemoved === 'archive' && !rc.hasStorage) fail(['list', 'onRemoved'], needsStorage('onRemoved: archive'));
}

function checkSections(spec: SpecDocument, fail: Fail): void {
  const s = spec.strategy;
  for (const other of ['range', 'list', 'hash'] as const) {
    if (spec[other] !== undefined && s !== other) fail([other], `only allowed with strategy: ${other} (this policy says strategy: ${s})`);
  }
  if (spec[s] === undefined) fail(['strategy'], `strategy: ${s} needs a spec.${s} section`);
  if (spec.subpartition !== undefined && s !== 'range') fail(['subpartition'], `only range policies have sub-partitions (this policy says strategy: ${s})`);
  if (s === 'hash') {
    for (const [k, v] of Object.entries(spec.default ?? {})) {
      if (v !== undefined) fail(['default', k], 'a hash-partitioned table cannot have a DEFAULT partition (PostgreSQL forbids it)');
    }
  }
}

function checkRange(r: RangeDocument, fail: Fail): void {
  const iv = r.interval;
  if (r.epoch !== undefined && iv.kind === 'step') fail(['range', 'epoch'], 'epoch keys are times: use a time interval like "1 day", not an integer step');
  if (r.naming !== undefined) {
    const msg = checkNaming(r.naming, iv.kind === 'step' ? 'step' : iv.interval.unit);
    if (msg) fail(['range', 'naming'], msg);
  }
  if (r.startFrom === undefined) return;
  if (iv.kind === 'step') {
    if (typeof r.startFrom !== 'bigint') fail(['range', 'startFrom'], 'with an integer step, startFrom must be a whole number');
    return;
  }
  const s = String(r.startFrom);
  if (!/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(s) || Number.isNaN(Date.parse(s.slice(0, 10)))) {
    fail(['range', 'startFrom'], `expected a date like 2024-01-01 (or "2024-01-01 06:00"), got ${JSON.stringify(s)}`);
  }
}

function checkSubpartition(sp: SubpartitionDocument, rangeColumn: string | undefined, fail: Fail): void {
  if (rangeColumn !== undefined && sp.column === rangeColumn) fail(['subpartition', 'column'], `sub-partitioning on the range column "${sp.column}" itself cannot spread rows; choose another column`);
  if (sp.strategy === 'hash') {
    if (sp.partitions !== undefined) fail(['subpartition', 'partitions'], 'only used with strategy: list');
    if (sp.modulus === undefined) fail(['subpartition', 'modulus'], 'strategy: hash needs a modulus (the number of sub-partitions)');
    return;
  }
  if (sp.modulus !== undefined) fail(['subpartition', 'modulus'], 'only used with strategy: hash');
  if (sp.partitions === undefined) fail(['subpartition'], 'strategy: list needs partitions (key -> values)');
}

const needsStorage = (what: string) => `${what} needs a storage: section in the config file (s3://bucket/prefix or file:///path)`;

function checkRetention(spec: SpecDocument, r: RetentionDocument, rc: RulesContext, fail: Fail): void {
  if (spec.strategy === 'hash') return fail(['retention'], 'hash partitions never expire: every remainder must stay attached');
  if (spec.strategy === 'list') return checkListRetention(spec, r, rc, fail);
  if (r.afterAge) checkAfterAge(spec, r, fail);
  // retention with afterAge alone converts old partitions and removes none
  const tieringOnly = r.afterAge !== undefined && !r.action && !r.keep && r.keepPartitions === undefined;
  if (!r.action && !tieringOnly) fail(['retention', 'action'], 'is required (archive, detach or drop)');
  if (r.keep && r.keepPartitions !== undefined) fail(['retention', 'keepPartitions'], 'set either keep or keepPartitions, not both');
  if (!r.keep && r.keepPartitions === undefined && !tieringOnly) fail(['retention'], 'needs keep (an age like "90 days") or keepPartitions (a count)');
  for (const k of ['archive', 'afterArchive'] as const) {
    if (r[k] !== undefined && r.action !== 'archive') fail(['retention', k], 'only used with action: archive');
  }
  if (r.action === 'archive') checkArchive(spec, r, rc, ['retention', 'action'], 'action: archive', fail);
  const iv = spec.range?.interval;
  if (r.keep && iv) {
    if (iv.kind === 'step') fail(['retention', 'keep'], 'an integer range has no age; use keepPartitions');
    else if (approxMs(r.keep) < approxMs(iv.interval)) {
      fail(['retention', 'keep'], `keeps less than one partition (${formatCalendarInterval(r.keep)} < interval); every partition would expire as soon as it is current`);
    }
  }
}

/** retention.afterAge: time-keyed range partitions, one level, converted before they expire. */
function checkAfterAge(spec: SpecDocument, r: RetentionDocument, fail: Fail): void {
  const a = r.afterAge!;
  const iv = spec.range?.interval;
  if (iv?.kind === 'step') fail(['retention', 'afterAge', 'age'], 'an integer range has no age; afterAge needs a time key (or range.epoch)');
  if (spec.subpartition) fail(['retention', 'afterAge'], 'is not supported with subpartition (each sub-partition would need converting); remove one of them');
  if (r.keep && approxMs(a.age) >= approxMs(r.keep)) {
    fail(['retention', 'afterAge', 'age'], `partitions expire at ${formatCalendarInterval(r.keep)} (keep), before they are ${formatCalendarInterval(a.age)} old: make age shorter than keep`);
  }
  if (!/^[^\0]{1,63}$/.test(a.accessMethod)) fail(['retention', 'afterAge', 'accessMethod'], 'must be an access method name (1 to 63 characters)');
}

/** List policies: retention only holds the guard and the archive settings used by onRemoved: archive. */
function checkListRetention(spec: SpecDocument, r: RetentionDocument, rc: RulesContext, fail: Fail): void {
  for (const k of ['keep', 'keepPartitions', 'action'] as const) {
    if (r[k] !== undefined) fail(['retention', k], 'list partitions do not expire; list.onRemoved says what happens to partitions no longer declared');
  }
  if (r.afterAge !== undefined) fail(['retention', 'afterAge'], 'list partitions have no age to convert by; afterAge is for range policies with a time key');
  if (spec.list?.onRemoved === 'archive') return checkArchive(spec, r, rc, ['list', 'onRemoved'], 'onRemoved: archive', fail);
  const other = (['archive', 'afterArchive'] as const).filter((k) => r[k] !== undefined);
  if (other.length > 0) fail(['retention', other[0]!], 'only used with list.onRemoved: archive (maxPerRun and allowMassRemoval apply to onRemoved: detach too)');
}

function checkArchive(spec: SpecDocument, r: RetentionDocument, rc: RulesContext, actionPath: readonly string[], what: string, fail: Fail): void {
  if (!rc.hasStorage) fail(actionPath, needsStorage(what));
  const a = r.archive;
  if (!a) return;
  const parquet = a.format === 'parquet';
  checkHiveLayout(spec, a, fail);
  if (parquet && (a.compression === 'gzip' || a.compression === 'none')) fail(['retention', 'archive', 'compression'], 'Parquet compresses inside the file: zstd (the default) or snappy');
  if (!parquet && a.compression === 'snappy') fail(['retention', 'archive', 'compression'], 'snappy is for format: parquet; csv and binary take gzip, zstd or none');
  if (!parquet && a.rowGroupRows !== undefined) fail(['retention', 'archive', 'rowGroupRows'], 'only used with format: parquet');
  if (parquet && a.compressionLevel !== undefined) fail(['retention', 'archive', 'compressionLevel'], 'not used with format: parquet (its codecs run at their default levels)');
  if ((a.compression === 'zstd' || (parquet && a.compression === undefined)) && !zstdAvailable()) {
    fail(['retention', 'archive', 'compression'], `zstd needs Node.js >= 22.15 (this is ${process.version}); use ${parquet ? 'snappy' : 'gzip'}`);
  }
  const level = a.compressionLevel;
  if (level !== undefined && a.compression === 'none') fail(['retention', 'archive', 'compressionLevel'], 'compressionLevel needs compression gzip or zstd');
  if (level !== undefined && a.compression === 'gzip' && level > 9) fail(['retention', 'archive', 'compressionLevel'], `gzip levels are 1 to 9, got ${level}`);
}

/** layout: hive is a Parquet layout keyed by a range partition's lower bound. */
function checkHiveLayout(spec: SpecDocument, a: NonNullable<RetentionDocument['archive']>, fail: Fail): void {
  if (a.layout !== 'hive') {
    if (a.hiveColumn !== undefined) fail(['retention', 'archive', 'hiveColumn'], 'only used with layout: hive');
    return;
  }
  if (a.format !== 'parquet') fail(['retention', 'archive', 'layout'], 'layout: hive is for format: parquet (the engines that read Hive paths read Parquet)');
  if (spec.strategy !== 'range') fail(['retention', 'archive', 'layout'], `layout: hive keys each file by its range partition's lower bound; a ${spec.strategy} policy's partitions have none (use layout: partition)`);
  if (a.hiveColumn !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(a.hiveColumn)) fail(['retention', 'archive', 'hiveColumn'], 'must be a plain column name (letters, digits, _; at most 63 characters)');
  if (a.hiveColumn !== undefined && spec.range && a.hiveColumn === spec.range.column) fail(['retention', 'archive', 'hiveColumn'], `must not be the key column ${spec.range.column}: query engines would read the path's lower bound instead of each row's own value`);
}
