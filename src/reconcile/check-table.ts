import { BINARY_ON_CITUS } from '../catalog/citus.js';
import type { ObservedTable } from '../catalog/types.js';
import type { Policy, RangePolicy } from '../config/types.js';
import { displayIdent, displayName } from '../config/qualified-name.js';
import { isTimeKey, keyTypeOf, SUPPORTED_RANGE_KEYS, type KeyType } from '../planner/keys.js';
import { parseHashBound } from '../planner/list-hash-bounds.js';
import { ownerFix } from '../planner/dress.js';

export interface TableCheck {
  /** Problems that stop partwarden from managing the table. */
  readonly errors: readonly string[];
  /** Things a DBA should know, that do not stop management. */
  readonly warnings: readonly string[];
  readonly keyType?: KeyType;
  /** list/hash policies: the key column's type (format_type), for casting declared values. */
  readonly keyColumnType?: string;
  /** subpartition: the sub-partition column's type. */
  readonly subColumnType?: string;
}

const RELKIND: Readonly<Record<string, string>> = {
  r: 'a plain (not partitioned) table', v: 'a view', m: 'a materialized view', f: 'a foreign table', S: 'a sequence', i: 'an index', c: 'a composite type',
};

/** Checks that the table matches its policy: partitioned, by that strategy and column, of a plannable type, manageable by this role. */
export function checkTable(policy: Policy, t: ObservedTable, configFile = 'partwarden.yaml'): TableCheck {
  const name = displayName(policy.table);
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!t.exists) return { errors: [`table ${name} does not exist`], warnings };
  if (t.relkind === 'r' && policy.strategy === 'range') {
    const command = `partwarden convert --config ${configFile} --policy ${policy.name}`;
    return { errors: [`${name} is a plain (not partitioned) table: ${command} turns it into a partitioned one online, without moving its rows (${command} --dry-run prints every statement first)`], warnings };
  }
  if (t.relkind !== 'p') return { errors: [`${name} is ${RELKIND[t.relkind] ?? `relkind ${t.relkind}`}, not a partitioned table (PARTITION BY ${policy.strategy.toUpperCase()})`], warnings };
  if (t.strategy !== policy.strategy) {
    return { errors: [`${name} is partitioned by ${String(t.strategy).toUpperCase()}, but the policy says strategy: ${policy.strategy}`], warnings };
  }
  if (!t.canManage) errors.push(`the connected role cannot run DDL on ${name}: it must own the table or be a member of the owning role`);
  if (!t.canCreateInSchema) errors.push(`the connected role has no CREATE privilege on schema ${displayIdent(policy.table.schema)}`);
  if (policy.template?.table && t.template?.missing) errors.push(`template table ${displayName(policy.template.table)} does not exist`);
  const owner = t.dress && ownerFix(t.dress, policy.table.schema);
  if (owner) warnings.push(owner);
  if (t.referencedBy.length > 0) warnings.push(`foreign keys from ${t.referencedBy.join(', ')} reference ${name}: DETACH also locks those tables (SHARE) and fails if referencing rows exist`);
  let keyType: KeyType | undefined;
  let keyColumnType: string | undefined;
  let subColumnType: string | undefined;
  if (policy.strategy === 'list' || policy.strategy === 'hash') {
    const column = policy.strategy === 'list' ? policy.list.column : policy.hash.column;
    if (t.keyColumns.length !== 1) errors.push(`${name} has a multi-column partition key (${t.keyColumns.map((k) => k.name ?? 'expression').join(', ')}); partwarden manages single-column ${policy.strategy} keys only`);
    else {
      const key = t.keyColumns[0]!;
      if (key.name === null) errors.push(`${name} is partitioned on an expression; partwarden manages plain column keys only`);
      else if (key.name !== column) errors.push(`${name} is partitioned on column "${key.name}", but the policy says column: ${column}`);
      else keyColumnType = key.type;
    }
    if (policy.strategy === 'hash') {
      const moduli = [...new Set(t.partitions.map((p) => parseHashBound(p.boundExpr)?.modulus).filter((m): m is number => m !== undefined))];
      const other = moduli.filter((m) => m !== policy.hash.modulus);
      if (other.length > 0) {
        warnings.push(`${name} has hash partitions with modulus ${other.join(', ')}, the policy says modulus ${policy.hash.modulus}: those partitions are reported (hash_modulus_mismatch) and never touched` +
          (moduli.length === 1 ? `; if the table is right, set hash.modulus: ${other[0]}` : ''));
      }
    }
  }
  errors.push(...capabilityErrors(policy, t));
  if (policy.strategy === 'range' && policy.subpartition) {
    const sp = policy.subpartition;
    const col = t.columns.find((c) => c.name === sp.column);
    if (!col) errors.push(`subpartition column "${sp.column}" does not exist in ${name}`);
    else subColumnType = col.type;
    for (const p of t.partitions) {
      if (p.sub && p.sub.strategy && (p.sub.strategy !== sp.strategy || p.sub.column !== sp.column)) {
        warnings.push(`partition ${p.name} is sub-partitioned by ${p.sub.strategy.toUpperCase()} (${p.sub.column ?? 'expression'}), the policy says ${sp.strategy.toUpperCase()} (${sp.column}); its sub-partitions are left alone`);
      }
    }
  }
  if (policy.strategy === 'range') keyType = checkRangeKey(policy, t, errors);
  return { errors, warnings, keyType, keyColumnType, subColumnType };
}

/** What the policy asks that this database cannot do: Citus' limits, a table access method it lacks. */
function capabilityErrors(policy: Policy, t: ObservedTable): string[] {
  const name = displayName(policy.table);
  const errors: string[] = [];
  const distributed = t.citus?.kind === 'distributed';
  if (distributed && policy.retention?.archive && policy.retention.archive.format !== 'csv') errors.push(`${name} is a distributed Citus table: ${BINARY_ON_CITUS}`);
  if (policy.strategy !== 'range') return errors;
  if (distributed && policy.subpartition) {
    errors.push(`${name} is a distributed Citus table, and Citus does not support multi-level partitioning: its partitions cannot be sub-partitioned (remove subpartition from policy ${policy.name})`);
  }
  const am = policy.tiering?.accessMethod;
  if (am !== undefined && t.tableAccessMethods && !t.tableAccessMethods.includes(am)) {
    errors.push(`retention.afterAge.accessMethod: access method "${am}" is not installed in this database (table access methods: ${t.tableAccessMethods.join(', ')})` +
      (am === 'columnar' ? '; Citus columnar comes with CREATE EXTENSION citus_columnar' : ''));
  }
  return errors;
}

/** A range policy's key: one plain column of a plannable type, with an interval that fits it. */
function checkRangeKey(policy: RangePolicy, t: ObservedTable, errors: string[]): KeyType | undefined {
  const name = displayName(policy.table);
  if (t.keyColumns.length !== 1) {
    errors.push(`${name} has a multi-column partition key (${t.keyColumns.map((k) => k.name ?? 'expression').join(', ')}); partwarden manages single-column range keys only`);
    return undefined;
  }
  const key = t.keyColumns[0]!;
  if (key.name === null) errors.push(`${name} is partitioned on an expression; partwarden manages plain column keys only`);
  else if (key.name !== policy.range.column) errors.push(`${name} is partitioned on column "${key.name}", but the policy says column: ${policy.range.column}`);
  if (key.name === null || key.name !== policy.range.column) return undefined;
  const interval = policy.range.interval;
  const shown = key.baseType ? `${key.type} (a domain over ${key.baseType})` : key.type;
  const keyType = encodedKeyType(keyTypeOf(key.baseType ?? key.type), key.baseType ?? key.type, policy, (e) => errors.push(`column ${key.name} is ${shown}: ${e}`));
  if (errors.length > 0) return undefined;
  if (!keyType) errors.push(`partition key ${key.name} has type ${shown}; ${SUPPORTED_RANGE_KEYS}`);
  else if (interval.kind === 'step' && isTimeKey(keyType)) errors.push(`column ${key.name} is ${key.type}: use a time interval like "1 day", not an integer step`);
  else if (interval.kind === 'calendar' && !isTimeKey(keyType)) {
    errors.push(`column ${key.name} is ${key.type}: use an integer step (e.g. interval: 100000), not "${interval.interval.count} ${interval.interval.unit}" (or, if it holds times since 1970, set range.epoch: seconds | milliseconds | microseconds)`);
  }
  else if (interval.kind === 'calendar' && keyType === 'date' && interval.interval.unit === 'hour') errors.push(`column ${key.name} is a date: an hourly interval does not fit; use days or longer`);
  return keyType;
}

/**
 * Time held in other types: an integer column with range.epoch (bigint; integer for seconds
 * only, which end in 2038), a uuid column on a time interval (UUIDv7: its first 48 bits are the
 * millisecond it was made).
 */
export function encodedKeyType(plain: KeyType | undefined, type: string, policy: RangePolicy, error: (message: string) => void): KeyType | undefined {
  const epoch = policy.range.epoch;
  if (epoch) {
    if (plain !== 'bigint' && plain !== 'integer') return error('range.epoch needs an integer column (bigint)'), undefined;
    if (plain === 'integer' && epoch !== 'seconds') return error(`an integer column cannot hold ${epoch} since 1970 (it overflows within weeks); use bigint`), undefined;
    return epoch === 'seconds' ? 'epoch_s' : epoch === 'milliseconds' ? 'epoch_ms' : 'epoch_us';
  }
  if (type === 'uuid' && policy.range.interval.kind === 'calendar') return 'uuidv7';
  return plain;
}
