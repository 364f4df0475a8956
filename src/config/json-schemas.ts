import { configSchema } from './config-schema.js';
import { policySchema } from './policy-schema.js';
import { toJsonSchema } from './schema-dsl.js';

/** The JSON Schemas in schema/, generated from the same definitions the validator uses. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'policy.schema.json': {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://partwarden.dev/schema/policy.schema.json',
      title: 'partwarden PartitionPolicy',
      ...toJsonSchema(policySchema),
    },
    'config.schema.json': {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://partwarden.dev/schema/config.schema.json',
      title: 'partwarden configuration',
      ...toJsonSchema(configSchema),
    },
  };
}

export function renderSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
