import { ARCHIVE_DEFAULTS, DEFAULT_AFTER_ARCHIVE, DEFAULT_ROW_GROUP_ROWS, DEFAULT_PARTITION, RETENTION_DEFAULTS, type PolicyDocument, type RetentionDocument, type SpecDocument } from './policy-schema.js';
import type { ArchiveSpec, Origin, Policy, RetentionSpec, SubpartitionSpec, TemplateSpec } from './types.js';
import { approxMs } from '../time/calendar.js';

/**
 * Builds the frozen Policy the rest of partwarden works with from a checked policy document
 * (every key parsed and defaulted by policy-schema.ts, every rule of policy-rules.ts holding).
 */
export function resolvePolicy(doc: PolicyDocument, origin: Origin): Policy {
  const spec = doc.spec;
  const base = {
    name: doc.metadata.name,
    origin,
    database: spec.database,
    table: Object.freeze(spec.table),
    schedule: spec.schedule,
    default: Object.freeze({ ...DEFAULT_PARTITION, ...defined(spec.default ?? {}) }),
    retention: freeze(resolveRetention(spec)),
    health: Object.freeze({ maxPartitions: spec.health.maxPartitions, maxShards: spec.health.maxShards, probes: Object.freeze(spec.health.probes.map((p) => Object.freeze(p))) }),
    analyze: Object.freeze({ parent: spec.analyze === 'parent', minIntervalMs: approxMs(spec.analyzeMinInterval) }),
    ...(spec.template ? { template: Object.freeze(resolveTemplate(spec.template)) } : {}),
    drift: spec.drift,
  };
  if (spec.strategy === 'range') {
    const subpartition = resolveSubpartition(spec);
    const tiering = spec.retention?.afterAge;
    return Object.freeze({
      ...base, strategy: 'range' as const, range: Object.freeze({ ...spec.range! }),
      ...(subpartition ? { subpartition: Object.freeze(subpartition) } : {}),
      ...(tiering ? { tiering: Object.freeze({ age: tiering.age, accessMethod: tiering.accessMethod, maxPerRun: spec.retention!.maxPerRun }) } : {}),
    });
  }
  if (spec.strategy === 'list') return Object.freeze({ ...base, strategy: 'list' as const, list: Object.freeze({ ...spec.list! }) });
  return Object.freeze({ ...base, strategy: 'hash' as const, hash: Object.freeze({ ...spec.hash! }) });
}

function resolveTemplate(t: NonNullable<SpecDocument['template']>): TemplateSpec {
  if ('schema' in t) return { table: t, storage: {}, toast: {} };
  const text = (m: Readonly<Record<string, string | number | boolean>> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    ...(t.table ? { table: t.table } : {}),
    storage: text(t.storage), toast: text(t.toast),
    ...(t.unlogged !== undefined ? { unlogged: t.unlogged } : {}),
    ...(t.comment !== undefined ? { comment: t.comment } : {}),
  };
}

const freeze = <T extends object>(v: T | undefined): T | undefined => (v === undefined ? undefined : Object.freeze(v));

/** The keys that were set (so that a default is not overwritten by `undefined`). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveSubpartition(spec: SpecDocument): SubpartitionSpec | undefined {
  const sp = spec.subpartition;
  if (!sp) return undefined;
  return sp.strategy === 'hash' ? { strategy: 'hash', column: sp.column, modulus: sp.modulus! } : { strategy: 'list', column: sp.column, partitions: sp.partitions! };
}

function resolveRetention(spec: SpecDocument): RetentionSpec | undefined {
  const r = spec.retention ?? RETENTION_DEFAULTS;
  const guard = { maxPerRun: r.maxPerRun, allowMassRemoval: r.allowMassRemoval };
  if (spec.strategy === 'list') {
    // list partitions do not expire: retention is the guard (onRemoved: detach) and the archive settings (onRemoved: archive)
    const onRemoved = spec.list!.onRemoved;
    if (onRemoved === 'archive') return { action: 'archive', ...guard, archive: resolveArchive(r, spec) };
    return onRemoved === 'detach' && spec.retention ? { action: 'detach', ...guard } : undefined;
  }
  if (!r.action) return undefined;
  return { keep: r.keep, keepPartitions: r.keepPartitions, action: r.action, ...guard, ...(r.action === 'archive' ? { archive: resolveArchive(r, spec) } : {}) };
}

function resolveArchive(r: RetentionDocument, spec: SpecDocument): ArchiveSpec {
  const { compressionLevel, compression, rowGroupRows, hiveColumn, ...a } = r.archive ?? ARCHIVE_DEFAULTS;
  const parquet = a.format === 'parquet';
  return Object.freeze({
    ...a,
    ...(a.layout === 'hive' ? { hiveColumn: hiveColumn ?? `${spec.range?.column ?? 'key'}_from` } : {}),
    compression: compression ?? (parquet ? 'zstd' : 'gzip'),
    ...(parquet ? { rowGroupRows: rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS } : {}),
    ...(compressionLevel !== undefined ? { compressionLevel } : {}),
    afterArchive: r.afterArchive ?? DEFAULT_AFTER_ARCHIVE,
  });
}
