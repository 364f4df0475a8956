import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode, type Pair } from 'yaml';
import type { ConfigProblem } from './errors.js';
import { expandEnv } from './env.js';

export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** A key or list index on the way from a document's root to a value. */
export type PathSegment = string | number;

/** One YAML document: its plain value (what the schema reads) and its nodes (where each value was written). */
export interface YamlDocument {
  readonly file: string;
  readonly value: unknown;
  readonly root: YamlNode | null;
  readonly lines: LineCounter;
}

/** `spec.list.partitions["eu.west"][0]` is written `spec.list.partitions.eu.west[0]`, as users read it. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

export interface ParseHooks {
  /** Expand `${VAR}` / `${VAR:-default}` from env in the string at this path (default: never). */
  readonly expandAt?: (path: string) => boolean;
  /** For values that are not expanded: a problem to report about one (e.g. a `${VAR}` that would stay literal), if any. */
  readonly literalOnly?: (path: string, value: string) => string | undefined;
}

/**
 * Parses every YAML document in `text` with the `yaml` package, keeping its nodes (ranges) and
 * line counter for positions. YAML errors (syntax, duplicate keys), aliases and non-scalar keys
 * become problems located in the file.
 */
export function parseYamlDocuments(file: string, text: string, env: NodeJS.ProcessEnv, hooks: ParseHooks = {}): { documents: YamlDocument[]; problems: ConfigProblem[] } {
  const lines = new LineCounter();
  const problems: ConfigProblem[] = [];
  const documents: YamlDocument[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      problems.push({ file, ...at(lines, e.pos[0]), path: '', message: e.message.split('\n')[0] ?? e.message });
    }
    if (doc.errors.length > 0 || doc.contents === null) continue; // broken, or empty (a trailing ---)
    const report = (node: YamlNode | null | undefined, path: readonly PathSegment[], message: string) =>
      problems.push({ file, ...at(lines, node?.range?.[0]), path: formatPath(path), message });
    const value = toPlain(doc.contents as YamlNode, [], { env, hooks, report });
    documents.push({ file, value, root: doc.contents as YamlNode, lines });
  }
  return { documents, problems };
}

interface Walk {
  readonly env: NodeJS.ProcessEnv;
  readonly hooks: ParseHooks;
  readonly report: (node: YamlNode | null | undefined, path: readonly PathSegment[], message: string) => void;
}

/** The plain value of a node: maps become objects, sequences arrays, scalars their value. */
function toPlain(node: YamlNode | null, path: readonly PathSegment[], w: Walk): unknown {
  if (node === null) return null;
  if (isAlias(node)) {
    w.report(node, path, 'YAML aliases are not supported in partwarden files');
    return null;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      if (!key || !isScalar(key)) {
        w.report(key ?? node, path, 'map keys must be plain strings');
        continue;
      }
      const name = String(key.value);
      // defineProperty: a key named __proto__ stays a key
      Object.defineProperty(out, name, { value: toPlain((pair.value as YamlNode | null) ?? null, [...path, name], w), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => toPlain(item as YamlNode | null, [...path, i], w));
  if (isScalar(node)) return scalarValue(node.value, node, path, w);
  w.report(node, path, 'unsupported YAML node');
  return null;
}

function scalarValue(v: unknown, node: YamlNode, path: readonly PathSegment[], w: Walk): unknown {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  if (typeof v !== 'string') return String(v);
  const dotted = formatPath(path);
  if (!w.hooks.expandAt?.(dotted)) {
    const why = w.hooks.literalOnly?.(dotted, v);
    if (why) w.report(node, path, why);
    return v;
  }
  const expanded = expandEnv(v, w.env);
  if (expanded.ok) return expanded.value;
  w.report(node, path, expanded.message);
  return v;
}

function at(lines: LineCounter, offset: number | undefined): Pos {
  const p = lines.linePos(offset ?? 0);
  return { line: p.line, col: p.col };
}

/** The pair of `map` whose key reads as `seg` (YAML keys may be numbers: `2024: [...]`). */
function pairOf(map: YamlNode, seg: PathSegment): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg)) as Pair | undefined;
}

/** The nodes along `path`: the last one found, and the pair holding it when it is a map value. */
function walk(d: YamlDocument, path: readonly PathSegment[]): { node: YamlNode | null; pair?: Pair; complete: boolean } {
  let node = d.root;
  let pair: Pair | undefined;
  for (const seg of path) {
    if (node === null) return { node, pair, complete: false };
    const next: unknown = typeof seg === 'number' && isSeq(node) ? node.items[seg] : (pair = pairOf(node, seg))?.value;
    if (typeof seg === 'number') pair = undefined;
    if (next === undefined || next === null) {
      // `key:` with no value: the key is where it was written
      return pair && next === null ? { node: pair.key as YamlNode, pair, complete: true } : { node, pair: undefined, complete: false };
    }
    node = next as YamlNode;
  }
  return { node, pair, complete: true };
}

/** Where the value at `path` was written (the deepest existing ancestor when it was not). */
export function valuePos(d: YamlDocument, path: readonly PathSegment[]): Pos {
  const { node } = walk(d, path);
  const empty = node !== null && isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
  if (empty) return keyPos(d, path);
  return at(d.lines, node?.range?.[0]);
}

/** Where the key of the last segment of `path` was written (its value's position for list items). */
export function keyPos(d: YamlDocument, path: readonly PathSegment[]): Pos {
  const parent = walk(d, path.slice(0, -1));
  const last = path[path.length - 1];
  const pair = parent.complete && parent.node && last !== undefined ? pairOf(parent.node, last) : undefined;
  const key = pair?.key as YamlNode | undefined;
  return key ? at(d.lines, key.range?.[0]) : valuePos(d, path);
}
