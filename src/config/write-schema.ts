/** `npm run schema`: regenerates schema/*.json from the validator's definitions. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas, renderSchema } from './json-schemas.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
for (const [file, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(path.join(root, 'schema', file), renderSchema(schema));
  process.stdout.write(`wrote schema/${file}\n`);
}
