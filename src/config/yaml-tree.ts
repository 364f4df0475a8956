import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import type { ConfigProblem } from './errors.js';
import { expandEnv } from './env.js';

export interface Pos {
  readonly line: number;
  readonly col: number;
}

export type TreeNode =
  | { readonly kind: 'map'; readonly pos: Pos; readonly entries: readonly MapEntry[] }
  | { readonly kind: 'seq'; readonly pos: Pos; readonly items: readonly TreeNode[] }
  | { readonly kind: 'scalar'; readonly pos: Pos; readonly value: string | number | boolean | null };

export interface MapEntry {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: TreeNode;
}

export interface ParsedDocument {
  readonly file: string;
  readonly root: TreeNode;
}

/**
 * Parses every YAML document in `text` into a tree that remembers line and column of every key
 * and value, expanding `${VAR}` / `${VAR:-default}` from `env` in the string scalars whose path
 * `expandAt` accepts (default: none; the config file expands everywhere, policy files nowhere, so
 * SQL such as a probe's `$$` dollar quoting is never rewritten).
 * YAML errors (syntax, duplicate keys) become problems located in the file.
 */
export function parseYamlDocuments(
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
  expandAt: (path: string) => boolean = () => false,
  /** For values that are not expanded: a problem to report about one (e.g. a `${VAR}` that would stay literal), if any. */
  literalOnly?: (path: string, value: string) => string | undefined,
): { documents: ParsedDocument[]; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  const at = (offset: number | undefined): Pos => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  const documents: ParsedDocument[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      const pos = at(e.pos[0]);
      problems.push({ file, ...pos, path: '', message: e.message.split('\n')[0] ?? e.message });
    }
    if (doc.errors.length > 0) continue;
    if (doc.contents === null) continue; // empty document (e.g. a trailing ---)
    const convert = (node: YamlNode | null, path: string): TreeNode => {
      if (node === null) return { kind: 'scalar', pos: { line: 1, col: 1 }, value: null };
      const pos = at(node.range?.[0]);
      if (isAlias(node)) {
        problems.push({ file, ...pos, path, message: 'YAML aliases are not supported in partwarden files' });
        return { kind: 'scalar', pos, value: null };
      }
      if (isMap(node)) {
        const entries: MapEntry[] = [];
        for (const pair of node.items) {
          const keyNode = pair.key as YamlNode | null;
          const keyPos = keyNode && isScalar(keyNode) ? at(keyNode.range?.[0]) : pos;
          const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : '';
          if (!keyNode || !isScalar(keyNode)) {
            problems.push({ file, ...keyPos, path, message: 'map keys must be plain strings' });
            continue;
          }
          const childPath = path ? `${path}.${key}` : key;
          const valueNode = (pair.value as YamlNode | null) ?? null;
          const value =
            valueNode === null
              ? ({ kind: 'scalar', pos: keyPos, value: null } as const)
              : convert(valueNode, childPath);
          entries.push({ key, keyPos, value });
        }
        return { kind: 'map', pos, entries };
      }
      if (isSeq(node)) {
        return {
          kind: 'seq',
          pos,
          items: node.items.map((item, i) => convert(item as YamlNode | null, `${path}[${i}]`)),
        };
      }
      if (isScalar(node)) {
        const v = node.value;
        if (typeof v === 'string') {
          if (!expandAt(path)) {
            const why = literalOnly?.(path, v);
            if (why) problems.push({ file, ...pos, path, message: why });
            return { kind: 'scalar', pos, value: v };
          }
          const expanded = expandEnv(v, env);
          if (!expanded.ok) {
            problems.push({ file, ...pos, path, message: expanded.message });
            return { kind: 'scalar', pos, value: v };
          }
          return { kind: 'scalar', pos, value: expanded.value };
        }
        if (typeof v === 'number' || typeof v === 'boolean' || v === null) return { kind: 'scalar', pos, value: v };
        if (typeof v === 'bigint') return { kind: 'scalar', pos, value: String(v) };
        return { kind: 'scalar', pos, value: String(v) };
      }
      problems.push({ file, ...pos, path, message: 'unsupported YAML node' });
      return { kind: 'scalar', pos, value: null };
    };
    documents.push({ file, root: convert(doc.contents as YamlNode, '') });
  }
  return { documents, problems };
}
