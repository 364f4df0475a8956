import type { ObservedPartition } from '../catalog/types.js';
import { displayName } from '../config/qualified-name.js';
import type { Problem, PartitionRef } from './actions.js';
import { hashBoundSql, hashOverlaps, listBoundSql, parseHashBound, parseListBound, showValue, sortValues, valueSetKey, type CanonicalValue, type HashBound } from './list-hash-bounds.js';
import { renderName } from '../model/naming.js';

/** A declared list partition with its values in PostgreSQL's canonical text form. */
export interface CanonicalListPartition {
  readonly key: string;
  readonly values: readonly CanonicalValue[];
}

export interface MissingChild {
  readonly ref: PartitionRef;
  readonly boundSql: string;
  /** Human-readable bounds: `IN ('EU', 'GB')`, `remainder 3 of 8`. */
  readonly bounds: string;
  /** List: the values (for DEFAULT checks and relocation). */
  readonly values?: readonly CanonicalValue[];
}

export interface ChildrenPlan {
  readonly missing: readonly MissingChild[];
  readonly problems: readonly Problem[];
  /** List: attached partitions none of whose values are declared (onRemoved applies to them). */
  readonly undeclared: readonly ObservedPartition[];
  /** Hash: partitions whose modulus differs from the policy's (never touched). */
  readonly mismatched: readonly ObservedPartition[];
}

interface Common {
  readonly policy: string;
  /** The table whose partitions these are (the policy's table or a sub-partitioned child). */
  readonly parent: PartitionRef;
  readonly partitions: readonly ObservedPartition[];
  readonly naming: string;
  /** Names already taken in the schema by this plan or the catalog. */
  readonly usedNames: Set<string>;
}

export const showValues = (values: readonly CanonicalValue[]): string => `IN (${sortValues(values).map(showValue).join(', ')})`;

function nameFor(c: Common, tokens: Readonly<Record<string, string>>, what: string, problems: Problem[]): string | undefined {
  const name = renderName(c.naming, { schema: c.parent.schema, table: c.parent.name, ...tokens });
  if (!name) {
    problems.push({ policy: c.policy, rule: 'naming', message: `naming "${c.naming}" cannot produce a name of at most 63 bytes for ${what} of ${displayName(c.parent)}` });
    return undefined;
  }
  if (c.usedNames.has(name)) {
    problems.push({ policy: c.policy, rule: 'naming', partition: name, message: `name "${name}" for ${what} of ${displayName(c.parent)} is already taken by another table; change the naming template` });
    return undefined;
  }
  c.usedNames.add(name);
  return name;
}

/**
 * LIST: which declared partitions are missing. An existing partition with exactly the declared
 * values is adopted whatever its name; a declared value already served by a partition with other
 * values is a conflict (explained, never "fixed" by moving rows around); attached partitions none
 * of whose values are declared are returned as undeclared.
 */
export function planListChildren(c: Common & { readonly declared: readonly CanonicalListPartition[] }): ChildrenPlan {
  const problems: Problem[] = [];
  const missing: MissingChild[] = [];
  const existing: Array<{ part: ObservedPartition; values: CanonicalValue[] }> = [];
  for (const part of c.partitions) {
    if (part.isDefault) continue;
    const values = parseListBound(part.boundExpr);
    if (!values) {
      problems.push({ policy: c.policy, rule: 'unmanaged_partition', partition: part.name, message: `bounds "${part.boundExpr}" are not a list partwarden can read; left alone` });
      continue;
    }
    existing.push({ part, values });
  }
  const byValue = new Map<string, (typeof existing)[number]>();
  for (const e of existing) for (const v of e.values) byValue.set(JSON.stringify(v), e);
  const bySet = new Map(existing.map((e) => [valueSetKey(e.values), e]));
  const declaredValues = new Set<string>();
  const seenCanonical = new Map<string, string>();
  const clashing = new Set<string>();
  for (const d of c.declared) {
    for (const v of d.values) {
      declaredValues.add(JSON.stringify(v));
      const other = seenCanonical.get(JSON.stringify(v));
      if (other !== undefined && other !== d.key) {
        clashing.add(d.key);
        problems.push({ policy: c.policy, rule: 'list_partition_missing', partition: d.key, blocking: true, message: `value ${showValue(v)} is declared in both "${other}" and "${d.key}" (the same value for this column's type); "${d.key}" is not created until the policy is fixed` });
      } else seenCanonical.set(JSON.stringify(v), d.key);
    }
  }
  for (const d of c.declared) {
    if (clashing.has(d.key)) continue;
    const values = [...new Map(d.values.map((v) => [JSON.stringify(v), v])).values()];
    if (bySet.has(valueSetKey(values))) continue; // adopted: same values, any name
    const conflicts = values
      .map((v) => ({ v, e: byValue.get(JSON.stringify(v)) }))
      .filter((x): x is { v: CanonicalValue; e: (typeof existing)[number] } => x.e !== undefined);
    if (conflicts.length > 0) {
      const e = conflicts[0]!.e;
      problems.push({
        policy: c.policy,
        rule: 'list_partition_missing',
        partition: d.key,
        blocking: true,
        message:
          `declared partition "${d.key}" ${showValues(values)} cannot be created: ${conflicts.map((x) => showValue(x.v)).join(', ')} ` +
          `${conflicts.length === 1 ? 'is' : 'are'} already served by partition ${e.part.name} (${showValues(e.values)}). ` +
          `Declare ${e.part.name}'s exact values, or move the rows by hand (detach ${e.part.name}, attach tables with the new value sets)`,
      });
      continue;
    }
    const name = nameFor(c, { key: d.key }, `list partition "${d.key}"`, problems);
    if (!name) continue;
    missing.push({ ref: { schema: c.parent.schema, name }, boundSql: listBoundSql(values), bounds: showValues(values), values });
  }
  const undeclared = existing.filter((e) => !e.values.some((v) => declaredValues.has(JSON.stringify(v)))).map((e) => e.part);
  return { missing, problems, undeclared, mismatched: [] };
}

/**
 * HASH: every remainder 0..modulus-1 must exist (a missing one makes inserts fail). Partitions of
 * another modulus are reported and never touched; a remainder they already cover is not created
 * (it would overlap), and moduli that do not divide each other cannot be completed.
 */
export function planHashChildren(c: Common & { readonly modulus: number }): ChildrenPlan {
  const problems: Problem[] = [];
  const missing: MissingChild[] = [];
  const bounds: Array<{ part: ObservedPartition; b: HashBound }> = [];
  for (const part of c.partitions) {
    const b = parseHashBound(part.boundExpr);
    if (!b) {
      problems.push({ policy: c.policy, rule: 'unmanaged_partition', partition: part.name, message: `bounds "${part.boundExpr}" are not a hash bound partwarden can read; left alone` });
      continue;
    }
    bounds.push({ part, b });
  }
  const mismatched = bounds.filter((x) => x.b.modulus !== c.modulus);
  for (const x of mismatched) {
    problems.push({
      policy: c.policy,
      rule: 'hash_modulus_mismatch',
      partition: x.part.name,
      message: `partition ${x.part.name} of ${displayName(c.parent)} has modulus ${x.b.modulus} (remainder ${x.b.remainder}), the policy says modulus ${c.modulus}; left alone`,
    });
  }
  for (let r = 0; r < c.modulus; r++) {
    const want = { modulus: c.modulus, remainder: r };
    if (bounds.some((x) => x.b.modulus === c.modulus && x.b.remainder === r)) continue;
    const incompatible = mismatched.find((x) => c.modulus % x.b.modulus !== 0 && x.b.modulus % c.modulus !== 0);
    if (incompatible) {
      problems.push({
        policy: c.policy,
        rule: 'hash_remainder_missing',
        blocking: true,
        message: `remainder ${r} of ${c.modulus} of ${displayName(c.parent)} is missing and cannot be created next to ${incompatible.part.name} (modulus ${incompatible.b.modulus}): one modulus must divide the other`,
      });
      continue;
    }
    if (mismatched.some((x) => hashOverlaps(x.b, want))) continue; // served by a partition of another modulus
    const name = nameFor(c, { remainder: String(r), modulus: String(c.modulus) }, `remainder ${r} of ${c.modulus}`, problems);
    if (!name) continue;
    missing.push({ ref: { schema: c.parent.schema, name }, boundSql: hashBoundSql(c.modulus, r), bounds: `remainder ${r} of ${c.modulus}` });
  }
  return { missing, problems, undeclared: [], mismatched: mismatched.map((x) => x.part) };
}
