import * as z from 'zod';

/**
 * The few shapes partwarden's YAML files are made of, on top of zod 4: each carries its
 * description (and examples) for the generated JSON Schema, and reads YAML the way a DBA writes it.
 */

interface Doc {
  readonly description: string;
  readonly examples?: readonly string[];
  /** JSON Schema pattern for editors (kept loose; the check gives the precise message). */
  readonly pattern?: string;
}

const meta = (d: Doc | string) => (typeof d === 'string' ? { description: d } : { ...d, ...(d.examples ? { examples: [...d.examples] } : {}) });

/** A string (numbers and true/false written unquoted are read as their text: see readDocument). */
export const text = (d: Doc | string) => z.string().meta(meta(d));

/** A string whose `check` returns an error message, or undefined when the value is fine. */
export const checkedText = (d: Doc | string, check: (v: string) => string | undefined) =>
  z
    .string()
    .superRefine((v, ctx) => {
      const message = check(v);
      if (message) ctx.addIssue({ code: 'custom', message, input: v });
    })
    .meta(meta(d));

/** Why a text cannot be read (returned by a `parsedText` parser). */
export class Refusal {
  constructor(readonly message: string) {}
}
export const refuse = (message: string): Refusal => new Refusal(message);

/** A string turned into a value by `parse`, which returns the value or refuse(why). */
export function parsedText<T>(d: Doc | string, parse: (v: string) => T | Refusal) {
  return z
    .string()
    .transform((v, ctx): T => {
      const r = parse(v);
      if (!(r instanceof Refusal)) return r;
      ctx.addIssue({ code: 'custom', message: r.message, input: v });
      return z.NEVER;
    })
    .meta(meta(d));
}

export const whole = (description: string, bounds: { readonly min?: number; readonly max?: number } = {}) => {
  let s = z.int();
  if (bounds.min !== undefined) s = s.min(bounds.min);
  if (bounds.max !== undefined) s = s.max(bounds.max);
  return s.meta({ description });
};

export const flag = (description: string) => z.boolean().meta({ description });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string) => z.enum(values).meta({ description });

/** Any single YAML value: a string, a number, true/false or null (list partition values). */
export const scalar = (description: string) =>
  z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'expected a single value (a string, number, true/false or null)' }).meta({ description });

/** Either of two shapes; a value of neither kind is reported as "expected <expected>, got ...". */
export const either = <A extends z.ZodType, B extends z.ZodType>(a: A, b: B, expected: string, description: string) =>
  z.union([a, b], { error: `expected ${expected}` }).meta({ description });

/**
 * A map with exactly these keys (unknown keys are reported with a did-you-mean). `key:` with no
 * value means "not set" for an optional key and "is required but empty" for a required one (see readDocument).
 */
export const section = <S extends Record<string, z.ZodType>>(description: string, shape: S) => z.strictObject(shape).meta({ description });

/** A map of user-chosen keys, each value of one shape. */
export function mapOf<V extends z.ZodType>(description: string, values: V, minEntries = 0) {
  return z
    .record(z.string(), values)
    .superRefine((m, ctx) => {
      if (Object.keys(m).length < minEntries) ctx.addIssue({ code: 'custom', message: `needs at least ${minEntries} entr${minEntries === 1 ? 'y' : 'ies'}`, input: m });
    })
    .meta({ description, ...(minEntries > 0 ? { minProperties: minEntries } : {}) });
}

export function listOf<V extends z.ZodType>(description: string, items: V, minItems = 0) {
  return z.array(items).min(minItems).meta({ description });
}

export const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The fields of the section at `path`, found by following it through the schema (undefined: not a section). */
export function sectionAt(schema: z.ZodType, path: readonly PropertyKey[]): Readonly<Record<string, z.ZodType>> | undefined {
  let s: z.ZodType | undefined = schema;
  for (let i = 0; s; ) {
    if (s instanceof z.ZodPipe) s = s.out instanceof z.ZodTransform ? (s.in as z.ZodType) : (s.out as z.ZodType);
    else if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
    else if (i === path.length) return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
    else if (s instanceof z.ZodObject) s = s.shape[String(path[i++])] as z.ZodType | undefined;
    else if (s instanceof z.ZodRecord) (s = s.valueType as z.ZodType), i++;
    else if (s instanceof z.ZodArray) (s = s.element as z.ZodType), i++;
    else return undefined;
  }
  return undefined;
}
