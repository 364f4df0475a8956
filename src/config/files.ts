import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Policy files named by a directory (every *.yaml / *.yml in it, sorted) or a simple glob whose
 * last segment may contain `*` (e.g. `policies/prod-*.yaml`).
 */
export function listPolicyFiles(spec: string, baseDir: string): string[] | string {
  const abs = path.resolve(baseDir, spec);
  if (!abs.includes('*')) {
    let st;
    try {
      st = statSync(abs);
    } catch {
      return `policies path ${spec} does not exist (resolved to ${abs})`;
    }
    if (st.isFile()) return [abs];
    return readdirSync(abs)
      .filter((f) => /\.ya?ml$/i.test(f))
      .sort()
      .map((f) => path.join(abs, f));
  }
  const dir = path.dirname(abs);
  if (dir.includes('*')) return `only the last part of a policies glob may contain "*": ${spec}`;
  const re = new RegExp(
    '^' + path.basename(abs).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*') + '$',
  );
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return `policies directory ${dir} does not exist`;
  }
  return entries.filter((f) => re.test(f)).sort().map((f) => path.join(dir, f));
}
