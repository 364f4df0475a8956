import type { ConfigProblem } from './errors.js';
import { didYouMean } from './suggest.js';
import type { Pos, TreeNode } from './yaml-tree.js';

/**
 * A small schema language: one definition gives both the validator (with file:line:col errors and
 * "did you mean" hints) and the JSON Schema that editors use for autocompletion.
 */
export type Schema =
  | StringSchema
  | { readonly type: 'integer'; readonly description: string; readonly min?: number; readonly max?: number }
  | { readonly type: 'boolean'; readonly description: string }
  /** Any scalar: a string, a number, true/false or null (list partition values). */
  | { readonly type: 'scalar'; readonly description: string }
  | ObjectSchema
  | { readonly type: 'map'; readonly description: string; readonly values: Schema; readonly minEntries?: number }
  | { readonly type: 'array'; readonly description: string; readonly items: Schema; readonly minItems?: number }
  | { readonly type: 'union'; readonly description: string; readonly of: readonly Schema[]; readonly expected: string };

export interface StringSchema {
  readonly type: 'string';
  readonly description: string;
  readonly enum?: readonly string[];
  /** JSON Schema pattern (kept loose; `check` gives the precise message). */
  readonly pattern?: string;
  /** Returns an error message, or undefined when the value is fine. */
  readonly check?: (value: string) => string | undefined;
  readonly examples?: readonly string[];
}

export interface ObjectSchema {
  readonly type: 'object';
  readonly description: string;
  readonly properties: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
}

export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** A validated YAML map. */
export type Obj = { readonly [key: string]: Plain };

/** The value as a map (an empty one when it is not a map). */
export const asObj = (v: Plain | undefined): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});

interface Ctx {
  readonly file: string;
  readonly problems: ConfigProblem[];
}

function describe(node: TreeNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing';
  return JSON.stringify(node.value);
}

function report(ctx: Ctx, pos: Pos, path: string, message: string): void {
  ctx.problems.push({ file: ctx.file, line: pos.line, col: pos.col, path, message });
}

/** Validates `node` against `schema`; returns the plain value (undefined where invalid). */
export function validateNode(schema: Schema, node: TreeNode, path: string, ctx: Ctx): Plain | undefined {
  switch (schema.type) {
    case 'string': {
      if (node.kind !== 'scalar' || typeof node.value !== 'string') {
        if (node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'boolean') && !schema.enum) {
          // YAML turns `startFrom: 2024` or `naming: 123` into numbers; a string was meant.
          return validateNode(schema, { ...node, value: String(node.value) }, path, ctx);
        }
        report(ctx, node.pos, path, `expected a string, got ${describe(node)}`);
        return undefined;
      }
      const v = node.value;
      if (schema.enum && !schema.enum.includes(v)) {
        const hint = didYouMean(v, schema.enum);
        report(
          ctx,
          node.pos,
          path,
          `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(v)}` +
            (hint ? ` (did you mean "${hint}"?)` : ''),
        );
        return undefined;
      }
      const msg = schema.check?.(v);
      if (msg) {
        report(ctx, node.pos, path, msg);
        return undefined;
      }
      return v;
    }
    case 'integer': {
      if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
        report(ctx, node.pos, path, `expected a whole number, got ${describe(node)}`);
        return undefined;
      }
      if (schema.min !== undefined && node.value < schema.min) {
        report(ctx, node.pos, path, `must be at least ${schema.min}, got ${node.value}`);
        return undefined;
      }
      if (schema.max !== undefined && node.value > schema.max) {
        report(ctx, node.pos, path, `must be at most ${schema.max}, got ${node.value}`);
        return undefined;
      }
      return node.value;
    }
    case 'boolean': {
      if (node.kind !== 'scalar' || typeof node.value !== 'boolean') {
        report(ctx, node.pos, path, `expected true or false, got ${describe(node)}`);
        return undefined;
      }
      return node.value;
    }
    case 'scalar': {
      if (node.kind !== 'scalar') {
        report(ctx, node.pos, path, `expected a single value (a string, number, true/false or null), got ${describe(node)}`);
        return undefined;
      }
      return node.value;
    }
    case 'array': {
      if (node.kind !== 'seq') {
        report(ctx, node.pos, path, `expected a list, got ${describe(node)}`);
        return undefined;
      }
      if (schema.minItems !== undefined && node.items.length < schema.minItems) {
        report(ctx, node.pos, path, `needs at least ${schema.minItems} item(s)`);
      }
      const out: Plain[] = [];
      node.items.forEach((item, i) => {
        const v = validateNode(schema.items, item, `${path}[${i}]`, ctx);
        if (v !== undefined) out.push(v);
      });
      return out;
    }
    case 'map': {
      if (node.kind !== 'map') {
        report(ctx, node.pos, path, `expected a map, got ${describe(node)}`);
        return undefined;
      }
      if (schema.minEntries !== undefined && node.entries.length < schema.minEntries) {
        report(ctx, node.pos, path, `needs at least ${schema.minEntries} entr${schema.minEntries === 1 ? 'y' : 'ies'}`);
      }
      const out: { [key: string]: Plain } = {};
      for (const e of node.entries) {
        const v = validateNode(schema.values, e.value, path ? `${path}.${e.key}` : e.key, ctx);
        if (v !== undefined) out[e.key] = v;
      }
      return out;
    }
    case 'object': {
      if (node.kind !== 'map') {
        report(ctx, node.pos, path, `expected a map, got ${describe(node)}`);
        return undefined;
      }
      const out: { [key: string]: Plain } = {};
      const known = Object.keys(schema.properties);
      for (const e of node.entries) {
        const childPath = path ? `${path}.${e.key}` : e.key;
        const prop = schema.properties[e.key];
        if (!prop) {
          const hint = didYouMean(e.key, known);
          report(
            ctx,
            e.keyPos,
            childPath,
            `unknown key "${e.key}"` + (hint ? ` (did you mean "${hint}"?)` : ` (allowed: ${known.join(', ')})`),
          );
          continue;
        }
        if (e.value.kind === 'scalar' && e.value.value === null && !(schema.required ?? []).includes(e.key)) {
          continue; // `key:` with no value = not set
        }
        const v = validateNode(prop, e.value, childPath, ctx);
        if (v !== undefined) out[e.key] = v;
      }
      for (const req of schema.required ?? []) {
        const entry = node.entries.find((e) => e.key === req);
        if (!entry) report(ctx, node.pos, path ? `${path}.${req}` : req, 'is required');
        else if (entry.value.kind === 'scalar' && entry.value.value === null) report(ctx, entry.keyPos, path ? `${path}.${req}` : req, 'is required but empty');
      }
      return out;
    }
    case 'union': {
      for (const alt of schema.of) {
        const trial: Ctx = { file: ctx.file, problems: [] };
        const v = validateNode(alt, node, path, trial);
        if (trial.problems.length === 0) return v;
      }
      // Report the most specific failure: the alternative that matches the node's kind.
      for (const alt of schema.of) {
        const kindMatches =
          (alt.type === 'string' && node.kind === 'scalar' && typeof node.value === 'string') ||
          (alt.type === 'integer' && node.kind === 'scalar' && typeof node.value === 'number');
        if (kindMatches) return validateNode(alt, node, path, ctx);
      }
      report(ctx, node.pos, path, `expected ${schema.expected}, got ${describe(node)}`);
      return undefined;
    }
  }
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** JSON Schema (draft 2020-12) for `schema`. */
export function toJsonSchema(schema: Schema): { [key: string]: Json } {
  switch (schema.type) {
    case 'string': {
      const out: { [key: string]: Json } = { type: 'string', description: schema.description };
      if (schema.enum) out.enum = [...schema.enum];
      if (schema.pattern) out.pattern = schema.pattern;
      if (schema.examples) out.examples = [...schema.examples];
      return out;
    }
    case 'integer': {
      const out: { [key: string]: Json } = { type: 'integer', description: schema.description };
      if (schema.min !== undefined) out.minimum = schema.min;
      if (schema.max !== undefined) out.maximum = schema.max;
      return out;
    }
    case 'boolean':
      return { type: 'boolean', description: schema.description };
    case 'scalar':
      return { type: ['string', 'number', 'boolean', 'null'], description: schema.description };
    case 'array': {
      const out: { [key: string]: Json } = { type: 'array', description: schema.description, items: toJsonSchema(schema.items) };
      if (schema.minItems !== undefined) out.minItems = schema.minItems;
      return out;
    }
    case 'map': {
      const out: { [key: string]: Json } = {
        type: 'object',
        description: schema.description,
        additionalProperties: toJsonSchema(schema.values),
      };
      if (schema.minEntries !== undefined) out.minProperties = schema.minEntries;
      return out;
    }
    case 'object': {
      const props: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(schema.properties)) props[k] = toJsonSchema(v);
      const out: { [key: string]: Json } = {
        type: 'object',
        description: schema.description,
        properties: props,
        additionalProperties: false,
      };
      if (schema.required && schema.required.length > 0) out.required = [...schema.required];
      return out;
    }
    case 'union':
      return { description: schema.description, anyOf: schema.of.map(toJsonSchema) };
  }
}
