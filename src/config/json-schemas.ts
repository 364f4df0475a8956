import * as z from 'zod';
import { configDocument } from './config-schema.js';
import { policyDocument } from './policy-schema.js';

/** JSON Schema (draft 2020-12, the input side: what a user may write) of one of our documents. */
function jsonSchema(schema: z.ZodType, id: string, title: string): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return { $schema, $id: `https://partwarden.dev/schema/${id}`, title, ...rest };
}

/** The JSON Schemas in schema/, generated from the same declarations the loader uses. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'policy.schema.json': jsonSchema(policyDocument, 'policy.schema.json', 'partwarden PartitionPolicy'),
    'config.schema.json': jsonSchema(configDocument, 'config.schema.json', 'partwarden configuration'),
  };
}

export function renderSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
