import type { CalendarUnit } from '../time/duration.js';

export const NAMING_TOKENS = ['table', 'schema', 'YYYY', 'MM', 'DD', 'HH', 'Q', 'start', 'end'] as const;
export type NamingToken = (typeof NAMING_TOKENS)[number];

/** PostgreSQL's identifier limit is in bytes (NAMEDATALEN - 1), not characters. */
export const MAX_IDENTIFIER_BYTES = 63;

export function defaultNaming(unit: CalendarUnit | 'step'): string {
  switch (unit) {
    case 'hour':
      return '{table}_p{YYYY}{MM}{DD}_{HH}';
    case 'day':
    case 'week':
      return '{table}_p{YYYY}{MM}{DD}';
    case 'month':
      return '{table}_p{YYYY}{MM}';
    case 'quarter':
      return '{table}_p{YYYY}q{Q}';
    case 'year':
      return '{table}_p{YYYY}';
    case 'step':
      return '{table}_p{start}';
  }
}

/** Tokens of which at least one must appear so that names are unique for this interval. */
const DISTINGUISHING: Readonly<Record<CalendarUnit | 'step', readonly NamingToken[][]>> = {
  hour: [['HH', 'DD', 'MM', 'YYYY']],
  day: [['DD', 'MM', 'YYYY']],
  week: [['DD', 'MM', 'YYYY']],
  month: [['MM', 'YYYY']],
  quarter: [['Q', 'YYYY'], ['MM', 'YYYY']],
  year: [['YYYY']],
  step: [['start'], ['end']],
};

/** Checks a template; returns an error message or undefined. */
export function checkNaming(template: string, unit: CalendarUnit | 'step'): string | undefined {
  const used = new Set<string>();
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    const t = m[1]!;
    if (!(NAMING_TOKENS as readonly string[]).includes(t)) return `unknown token {${t}} (known: ${NAMING_TOKENS.map((x) => `{${x}}`).join(' ')})`;
    used.add(t);
  }
  if (/[{}]/.test(template.replace(/\{[^}]*\}/g, ''))) return 'unbalanced { or }';
  if ((used.has('start') || used.has('end')) && unit !== 'step') {
    // {start}/{end} on time keys render as compact timestamps; unique as long as they are present.
    return undefined;
  }
  const ok = DISTINGUISHING[unit].some((set) => set.every((t) => used.has(t)));
  if (!ok) {
    const need = DISTINGUISHING[unit].map((s) => s.map((t) => `{${t}}`).join(' ')).join(' or ');
    return `with a ${unit === 'step' ? 'integer step' : unit} interval the name must contain ${need}, or two partitions would get the same name`;
  }
  return undefined;
}

export type NameParts = {
  readonly schema: string;
  readonly table: string;
  readonly YYYY?: string;
  readonly MM?: string;
  readonly DD?: string;
  readonly HH?: string;
  readonly Q?: string;
  readonly start: string;
  readonly end: string;
};

/** Tokens of list / hash names: {key}, {remainder}, {modulus}. */
export type OtherNameParts = { readonly schema: string; readonly table: string } & Readonly<Record<string, string>>;

function truncateBytes(s: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}

/**
 * Renders a partition name. When it would exceed 63 bytes, the {table} part is shortened
 * (on a character boundary, never splitting a UTF-8 sequence) so the distinguishing suffix survives;
 * if even that cannot fit, undefined is returned and the caller reports it.
 */
export function renderName(template: string, parts: NameParts | OtherNameParts): string | undefined {
  const render = (table: string) =>
    template.replace(/\{([^}]*)\}/g, (_, t: string) => {
      if (t === 'table') return table;
      const v = (parts as unknown as Record<string, string | undefined>)[t];
      return v ?? '';
    });
  const full = render(parts.table);
  if (Buffer.byteLength(full, 'utf8') <= MAX_IDENTIFIER_BYTES) return full;
  if (!template.includes('{table}')) return undefined;
  const occurrences = template.split('{table}').length - 1;
  const overflow = Buffer.byteLength(full, 'utf8') - MAX_IDENTIFIER_BYTES;
  const keep = Buffer.byteLength(parts.table, 'utf8') - Math.ceil(overflow / occurrences);
  if (keep < 1) return undefined;
  const shortened = render(truncateBytes(parts.table, keep));
  return Buffer.byteLength(shortened, 'utf8') <= MAX_IDENTIFIER_BYTES ? shortened : undefined;
}
