export interface QualifiedName {
  readonly schema: string;
  readonly name: string;
}

/**
 * Parses `schema.table` the way PostgreSQL reads it: unquoted parts fold to lower case, double-quoted
 * parts are kept exactly (`""` is a quote). `"Sales Data"."Events 2024"` keeps case and spaces.
 */
export function parseQualifiedName(text: string): QualifiedName | string {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    if (s[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        if (i >= s.length) return 'unterminated double quote';
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += s[i];
        i++;
      }
      if (part === '') return 'empty quoted identifier';
      parts.push(part);
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      const raw = s.slice(i, j);
      if (!/^[\p{L}_][\p{L}\p{N}_$]*$/u.test(raw)) {
        return raw === '' ? 'empty name part' : `"${raw}" needs double quotes (it has characters PostgreSQL only accepts in quoted identifiers)`;
      }
      parts.push(raw.toLowerCase());
      i = j;
    }
    if (i >= s.length) break;
    if (s[i] !== '.') return `unexpected character ${JSON.stringify(s[i])} after a quoted name`;
    i++;
  }
  if (parts.length !== 2) return `expected a schema-qualified name like public.events, got ${parts.length} part(s)`;
  for (const p of parts) if (Buffer.byteLength(p, 'utf8') > 63) return `"${p}" is longer than PostgreSQL's 63-byte identifier limit`;
  return { schema: parts[0]!, name: parts[1]! };
}

/**
 * One identifier (a column) read like `table:` is: unquoted folds to lower case, `"Quoted"` is kept
 * exactly. Returns the name, or a sentence saying what is wrong.
 */
export function parseIdentifier(text: string): { name: string } | string {
  const q = parseQualifiedName(`x.${text}`);
  if (typeof q === 'string') return q.startsWith('expected a schema-qualified') ? `expected one column name, got ${JSON.stringify(text)}` : q;
  return { name: q.name };
}

/** How a qualified name is shown to people (quoted only where needed). */
export function displayName(q: QualifiedName): string {
  return `${displayIdent(q.schema)}.${displayIdent(q.name)}`;
}

/** One identifier as people write it: bare when that reads back the same, quoted otherwise. */
export function displayIdent(p: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(p) ? p : `"${p.replaceAll('"', '""')}"`;
}
