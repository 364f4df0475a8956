import * as z from 'zod';
import type { ConfigProblem } from './errors.js';
import { didYouMean } from './suggest.js';
import { formatPath, keyPos, valuePos, type PathSegment, type Pos, type YamlDocument } from './yaml-docs.js';
import { isMap, sectionAt } from './zod-kit.js';

type Issue = z.core.$ZodIssue;

/**
 * Reads a YAML document with a zod schema the way a DBA writes YAML, and reports what is wrong
 * as `file:line:col: path: message`, every problem at once:
 * - `naming: 123`, `name: 2024`: YAML made a number of what is meant as text; read as the text;
 * - `key:` with no value: not set, for an optional key ("is required but empty" for a required one).
 * Both are found in zod's own issues and the value re-read, so the schemas stay plain zod (and
 * their JSON Schema exact).
 */
export function readDocument<S extends z.ZodType>(schema: S, d: YamlDocument): { ok: true; data: z.output<S> } | { ok: false; problems: ConfigProblem[] } {
  let value = d.value;
  for (let pass = 0; ; pass++) {
    const r = schema.safeParse(value, { reportInput: true });
    if (r.success) return { ok: true, data: r.data };
    const repaired = pass < 4 ? repair(value, r.error.issues, schema) : undefined;
    if (!repaired) return { ok: false, problems: toProblems(r.error.issues, d, schema) };
    value = repaired;
  }
}

/** The value with the issues YAML alone caused set right (undefined: none of them). */
function repair(value: unknown, issues: readonly Issue[], schema: z.ZodType): unknown {
  const fixes = issues.flatMap((iss): { path: PathSegment[]; set: string | undefined }[] => {
    const path = iss.path as PathSegment[];
    const input = (iss as { input?: unknown }).input;
    if (iss.code === 'invalid_type' && iss.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) return [{ path, set: String(input) }];
    const field = input === null ? fieldAt(schema, path) : undefined;
    return field?.safeParse(undefined).success ? [{ path, set: undefined }] : [];
  });
  if (fixes.length === 0) return undefined;
  const copy = structuredClone(value);
  for (const f of fixes) {
    const parent = f.path.slice(0, -1).reduce<unknown>((v, seg) => (v as Record<PropertyKey, unknown>)[seg], copy) as Record<PropertyKey, unknown>;
    const key = f.path[f.path.length - 1]!;
    if (f.set === undefined) delete parent[key];
    else parent[key] = f.set;
  }
  return copy;
}

/** The schema of a section's field at `path` (undefined when `path` does not end at a section key). */
function fieldAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  const last = path[path.length - 1];
  return typeof last === 'string' ? sectionAt(schema, path.slice(0, -1))?.[last] : undefined;
}

/** What a value looks like, for "expected a string, got a map". */
function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isMap(v)) return 'a map';
  if (v === null) return 'nothing';
  return JSON.stringify(v);
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a whole number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
};

/** zod's issues as problems, located at the key or value in the YAML document; one problem per unknown key. */
function toProblems(issues: readonly Issue[], d: YamlDocument, schema: z.ZodType, base: readonly PathSegment[] = []): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (path: readonly PathSegment[], pos: Pos, message: string) => out.push({ file: d.file, ...pos, path: formatPath(path), message });
  for (const iss of issues) {
    const path = [...base, ...(iss.path as PathSegment[])];
    const input = (iss as { input?: unknown }).input;
    if (iss.code === 'unrecognized_keys') {
      const known = Object.keys(sectionAt(schema, path) ?? {});
      for (const key of iss.keys) {
        const hint = didYouMean(key, known);
        add([...path, key], keyPos(d, [...path, key]), `unknown key "${key}"` + (hint ? ` (did you mean "${hint}"?)` : ` (allowed: ${known.join(', ')})`));
      }
    } else if (iss.code === 'invalid_union') {
      // report the alternative of the value's kind (a string that is not a duration), else what was expected
      const ofKind = iss.errors.filter((branch) => !branch.some((b) => b.code === 'invalid_type' && b.path.length === 0));
      if (ofKind.length === 1) out.push(...toProblems(ofKind[0]!, d, schema, path));
      else add(path, valuePos(d, path), `${iss.message}, got ${describe(input)}`);
    } else if (input === null && fieldAt(schema, path)) {
      add(path, keyPos(d, path), 'is required but empty');
    } else {
      // a missing key is reported where its map was written
      const missing = iss.code === 'invalid_type' && input === undefined;
      add(path, valuePos(d, missing ? path.slice(0, -1) : path), message(iss, input));
    }
  }
  return out;
}

function message(iss: Issue, input: unknown): string {
  switch (iss.code) {
    case 'invalid_type':
      return input === undefined ? 'is required' : `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describe(input)}`;
    case 'invalid_value': {
      if (typeof input !== 'string') return `expected a string, got ${describe(input)}`;
      const allowed = iss.values.map(String);
      const hint = didYouMean(input, allowed);
      return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(input)}` + (hint ? ` (did you mean "${hint}"?)` : '');
    }
    case 'too_small':
      return iss.origin === 'array' ? `needs at least ${iss.minimum} item(s)` : `must be at least ${iss.minimum}, got ${describe(input)}`;
    case 'too_big':
      return iss.origin === 'array' ? `has more than ${iss.maximum} item(s)` : `must be at most ${iss.maximum}, got ${describe(input)}`;
    default:
      return iss.message;
  }
}
