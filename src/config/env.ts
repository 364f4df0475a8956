/**
 * Expands `${VAR}` and `${VAR:-default}` (default used when VAR is unset or empty), like a POSIX shell.
 * `$$` stands for a literal `$`. An unset variable without a default is an error, so a typo in a
 * variable name cannot silently become an empty URL.
 */
export function expandEnv(
  text: string,
  env: NodeJS.ProcessEnv,
): { ok: true; value: string } | { ok: false; message: string } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '$' && text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (ch === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end < 0) return { ok: false, message: `unterminated \${...} in "${text}"` };
      const inner = text.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(inner);
      if (!m) return { ok: false, message: `"\${${inner}}" is not a valid variable reference (use \${NAME} or \${NAME:-default})` };
      const name = m[1]!;
      const fallback = m[2];
      const value = env[name];
      if (value !== undefined && value !== '') out += value;
      else if (fallback !== undefined) out += fallback;
      else return { ok: false, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` };
      i = end + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return { ok: true, value: out };
}
