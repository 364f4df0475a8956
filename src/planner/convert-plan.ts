import { displayName } from '../config/qualified-name.js';
import { quoteIdent } from '../db/quote.js';
import { defaultNaming, renderName } from '../model/naming.js';
import type { PartitionRef } from '../model/refs.js';
import { program, steps as make, type Step } from '../model/steps.js';
import { commentSql, createPartitionOfSql, rangeBoundSql, validateConstraintSql, analyzeSql } from '../sql/ddl.js';
import {
  addCheckNotValidSql, addConstraintSql, withinBoundsSql, createIndexConcurrentlySql, createIndexOnSql, createParentSql, dropIndexConcurrentlySql, keyConstraintDef,
} from '../sql/convert-ddl.js';
import { parseRangeBound } from './bounds.js';
import { BOUND_CHECK, PARENT_MARKER } from './convert-names.js';
import { carriedIndexes, indexesToWiden, type ConvertInputs } from './convert-inputs.js';
import { preflight } from './convert-preflight.js';
import { swapStatements } from './convert-swap.js';
import { makeGrid, type Grid } from './grid.js';
import { displayKey, isTimeKey, keyLiteral, parseBoundLiteral } from './keys.js';
import { nameParts } from './range-create.js';

/**
 * `partwarden convert`: the plan that turns a plain table into a partitioned one without moving its
 * rows. Recomputed from the catalog before every step, so a run killed anywhere resumes where the
 * catalog says it stopped: a valid widened index, the new parent (its comment holds the cutoff),
 * the CHECK, its validation are each found again and skipped.
 */
export type { ConvertInputs };

export interface ConvertPlan {
  readonly refusals: readonly string[];
  readonly warnings: readonly string[];
  /** What the DBA reads before the statements: key range, cutoff, partitions. */
  readonly summary: readonly string[];
  /** The remaining steps, in order (all of them on a fresh table). */
  readonly steps: readonly Step[];
  readonly boundSql?: string;
}

const DAY_US = 86_400_000_000n;

/** A plan that does nothing and says why. */
export const refusedPlan = (message: string): ConvertPlan => ({ refusals: [message], warnings: [], summary: [], steps: [] });

export function planConvert(inp: ConvertInputs): ConvertPlan {
  const { policy, table: t, names } = inp;
  const ref = policy.table;
  const resuming = t.tempParent !== undefined;
  const pre = preflight(policy, t, { hasNullKeys: inp.stats.nulls, historyName: names.history, resuming });
  const grid = makeGrid(policy.range, inp.keyType);
  const cut = chooseCutoff(inp, grid);
  const refusals = [...pre.refusals, ...(cut.refusal ? [cut.refusal] : [])];
  if (t.tempParent && !t.tempParent.partitioned) refusals.push(`${displayName({ schema: ref.schema, name: names.tempParent })} exists and is not partitioned: convert builds the new table under that name; rename or drop it`);
  if (refusals.length > 0 || cut.cutoff === undefined) return { refusals, warnings: pre.warnings, summary: [], steps: [] };
  const cutoff = cut.cutoff;
  const lit = (k: bigint) => keyLiteral(k, inp.keyType);
  const oldest = cut.oldest ?? oldestBound(inp, grid);
  if (oldest >= cutoff) return { refusals: [`the historical partition would be empty ([${displayKey(oldest, inp.keyType)}, ${displayKey(cutoff, inp.keyType)})): choose a later --cutoff`], warnings: pre.warnings, summary: [], steps: [] };
  const boundSql = rangeBoundSql(lit(oldest), lit(cutoff));
  const temp: PartitionRef = { schema: ref.schema, name: names.tempParent };
  const premade = premadePartitions(inp, grid, cutoff);
  const check = t.checks.find((c) => c.name === BOUND_CHECK);
  const list: Step[] = [];
  const widen = indexStatements(inp);
  if (widen.length > 0) list.push(make.convertIndex(widen));
  if (!t.tempParent) list.push(make.convertParent(parentStatements(inp, temp, boundSql, premade)));
  if (!check) list.push(make.convertCheck(addCheckNotValidSql(ref, BOUND_CHECK, withinBoundsSql(policy.range.column, lit(oldest), lit(cutoff)))));
  if (!check?.validated) list.push(make.convertValidate(validateConstraintSql(ref, BOUND_CHECK)));
  list.push(make.convertSwap(swapStatements(inp, temp, boundSql, premade.map((p) => p.ref))));
  list.push(make.convertFinish([...t.incoming.map((f) => validateConstraintSql(f.table, f.name)), analyzeSql([ref])]));
  const show = (k: bigint) => displayKey(k, inp.keyType);
  const summary = [
    `keys in ${displayName(ref)}: ${inp.stats.lo ?? '(no rows)'} .. ${inp.stats.hi ?? '(no rows)'}`,
    `cutoff ${show(cutoff)} (${cut.source}): the table becomes partition ${names.history} [${show(oldest)}, ${show(cutoff)}); rows from the cutoff on go to new partitions, rows below ${show(oldest)} are refused (as by any partitioned table without DEFAULT)`,
    `new partitions: ${premade.map((p) => `${p.ref.name} [${show(p.from)}, ${show(p.to)})`).join(', ')}`,
  ];
  return { refusals: [], warnings: pre.warnings, summary, steps: program(list).steps, boundSql };
}

/**
 * The cutoff: the one a conversion under way chose (in its new parent's comment), else --cutoff,
 * else (time keys) the grid boundary at least a day and a whole interval after both the largest
 * key and now: the CHECK rejects keys from the cutoff on until the swap, so it must lie beyond any
 * key the application writes meanwhile. Integer keys grow at a rate only the DBA knows: --cutoff.
 */
/** The historical partition's lower bound: the boundary at or below the smallest key (or now, for an empty table). */
function oldestBound(inp: ConvertInputs, grid: Grid): bigint {
  const lo = inp.stats.lo === null ? undefined : parseBoundLiteral(inp.stats.lo, inp.keyType);
  return grid.floor(lo ?? (isTimeKey(inp.keyType) ? grid.nowKey(inp.nowMs) : 0n));
}

function chooseCutoff(inp: ConvertInputs, grid: Grid): { cutoff?: bigint; oldest?: bigint; refusal?: string; source?: string } {
  const { keyType } = inp;
  const name = displayName(inp.policy.table);
  const hi = inp.stats.hi === null ? null : parseBoundLiteral(inp.stats.hi, keyType);
  if (hi === undefined) return { refusal: `the largest ${inp.policy.range.column} in ${name} is ${inp.stats.hi}, which partwarden cannot plan a bound above` };
  const now = grid.nowKey(inp.nowMs);
  const marker = inp.table.tempParent?.comment;
  if (marker?.startsWith(PARENT_MARKER)) {
    const bound = parseRangeBound(marker.slice(PARENT_MARKER.length), keyType);
    const to = bound?.to;
    if (to == null || bound?.from == null) return { refusal: `the comment of ${inp.names.tempParent} does not name a cutoff (${marker}); partwarden convert --undo drops that table to start over` };
    if (hi !== null && hi >= to) return { refusal: `rows at or above the cutoff ${displayKey(to, keyType)} the conversion under way chose were written meanwhile (up to ${inp.stats.hi}): partwarden convert --undo starts over (it drops ${inp.names.tempParent}${inp.table.checks.some((c) => c.name === BOUND_CHECK) ? ` and the constraint ${BOUND_CHECK}` : ''})` };
    if (isTimeKey(keyType) && to <= grid.next(grid.floor(now))) return { refusal: `the conversion under way chose the cutoff ${displayKey(to, keyType)}, which is less than an interval away: the CHECK would soon reject new rows; partwarden convert --undo starts over (it drops ${inp.names.tempParent}${inp.table.checks.some((c) => c.name === BOUND_CHECK) ? ` and the constraint ${BOUND_CHECK}` : ''})` };
    return { cutoff: to, oldest: bound.from, source: 'chosen when this conversion began' };
  }
  if (inp.cutoff !== undefined) return givenCutoff(inp, grid, hi, now);
  if (!isTimeKey(keyType)) {
    const suggestion = grid.floor((hi ?? 0n) + 10n * (grid.next(0n) - 0n));
    return { refusal: `${name} has an integer key: choose the cutoff, a boundary above every ${inp.policy.range.column} the application writes until the swap (largest now: ${inp.stats.hi ?? 'no rows'}), e.g. --cutoff ${suggestion}` };
  }
  const base = hi !== null && hi > now ? hi : now;
  let c = grid.next(grid.next(grid.floor(base)));
  while (c - base < DAY_US) c = grid.next(c);
  return { cutoff: c, source: 'a day and an interval ahead of the largest key and of now' };
}

function givenCutoff(inp: ConvertInputs, grid: Grid, hi: bigint | null, now: bigint): { cutoff?: bigint; refusal?: string; source?: string } {
  const text = inp.cutoff!;
  let c: bigint;
  try {
    c = isTimeKey(inp.keyType) ? grid.start(text) : BigInt(text);
  } catch {
    return { refusal: `--cutoff ${text} is not a ${isTimeKey(inp.keyType) ? 'date or time (YYYY-MM-DD[ HH:MM])' : 'whole number'}` };
  }
  const show = (k: bigint) => displayKey(k, inp.keyType);
  if (grid.floor(c) !== c) return { refusal: `--cutoff ${text} is not a boundary of the policy's partitions; the nearest are ${show(grid.floor(c))} and ${show(grid.next(c))}` };
  if (hi !== null && c <= hi) return { refusal: `--cutoff ${text} is not above the largest ${inp.policy.range.column} (${inp.stats.hi}): every existing row must lie below it` };
  if (isTimeKey(inp.keyType) && c <= now) return { refusal: `--cutoff ${text} is in the past: rows written now would be rejected` };
  return { cutoff: c, source: '--cutoff' };
}

interface Premade {
  readonly ref: PartitionRef;
  readonly from: bigint;
  readonly to: bigint;
  readonly boundSql: string;
}

/** The new partitions from the cutoff on: to the policy's premake horizon, at least one. */
function premadePartitions(inp: ConvertInputs, grid: Grid, cutoff: bigint): Premade[] {
  const { policy } = inp;
  const r = policy.range;
  const current = r.interval.kind === 'step' ? (inp.stats.hi === null ? 0n : parseBoundLiteral(inp.stats.hi, inp.keyType) ?? 0n) : grid.nowKey(inp.nowMs);
  let horizon = grid.floor(current);
  for (let i = 0; i <= r.premake; i++) horizon = grid.next(horizon);
  const end = horizon > grid.next(cutoff) ? horizon : grid.next(cutoff);
  const naming = r.naming ?? defaultNaming(r.interval.kind === 'step' ? 'step' : r.interval.interval.unit);
  const out: Premade[] = [];
  for (let from = cutoff; from < end; from = grid.next(from)) {
    const to = grid.next(from);
    const name = renderName(naming, nameParts(policy, inp.keyType, from, to)) ?? `${policy.table.name}_p${out.length}`;
    out.push({ ref: { schema: policy.table.schema, name }, from, to, boundSql: rangeBoundSql(keyLiteral(from, inp.keyType), keyLiteral(to, inp.keyType)) });
  }
  return out;
}

/** Each unique index that lacks the key gets a twin with the key appended, unless a valid one is there. */
function indexStatements(inp: ConvertInputs): string[] {
  const { table: t, names, policy } = inp;
  const key = policy.range.column;
  return indexesToWiden(t, key)
    .filter((x) => !t.indexes.some((y) => y.name === names.widened(x.name) && y.valid))
    .flatMap((x) => [
      dropIndexConcurrentlySql({ schema: policy.table.schema, name: names.widened(x.name) }),
      createIndexConcurrentlySql(names.widened(x.name), policy.table, [...(x.columns as string[]), key]),
    ]);
}

/**
 * The new parent in one transaction: its columns (LIKE), the cutoff in its comment, a counterpart
 * of every index and constraint of the old table under a work name (ATTACH then adopts the old
 * table's own instead of building any), its CHECKs and outgoing foreign keys, its first partitions.
 */
function parentStatements(inp: ConvertInputs, temp: PartitionRef, boundSql: string, premade: readonly Premade[]): string[] {
  const { table: t, names, policy } = inp;
  const key = policy.range.column;
  const widened = new Set(indexesToWiden(t, key).map((x) => x.name));
  const out = [createParentSql(temp, policy.table, key), commentSql(temp, PARENT_MARKER + boundSql)];
  for (const x of carriedIndexes(t)) {
    const columns = widened.has(x.name) ? [...(x.columns as string[]), key] : undefined;
    const name = names.parentIndex(x.name);
    if (x.constraint && (x.contype === 'p' || x.contype === 'u')) {
      out.push(addConstraintSql(temp, name, columns ? keyConstraintDef(x.primary, columns, x.deferrable, x.deferred) : x.condef!));
    } else {
      out.push(createIndexOnSql(name, temp, x.unique, columns ? `btree (${columns.map(quoteIdent).join(', ')})` : x.tail));
    }
  }
  for (const c of t.checks.filter((c) => c.name !== BOUND_CHECK && !c.noInherit)) out.push(addConstraintSql(temp, c.name, c.def));
  for (const f of t.outgoing) out.push(addConstraintSql(temp, f.name, f.def));
  for (const p of premade) out.push(createPartitionOfSql(p.ref, temp, p.boundSql));
  return out;
}

