/**
 * npm does not link a package's own `bin` into its node_modules/.bin. This runs from `prepare`
 * (after `npm ci` / `npm install` in a checkout) so that `node_modules/.bin/partwarden` works.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const target = path.join(root, 'dist/src/cli/main.js');
const binDir = path.join(root, 'node_modules/.bin');
if (existsSync(path.join(root, 'node_modules')) && existsSync(target)) {
  mkdirSync(binDir, { recursive: true });
  const link = path.join(binDir, 'partwarden');
  rmSync(link, { force: true });
  symlinkSync(path.relative(binDir, target), link);
  chmodSync(target, 0o755);
}
