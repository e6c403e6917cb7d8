import type { JsonSchema } from './types.js';

/** Follows a `#/schemas/Name` reference (and chains of them) to the schema it names. */
export function resolveSchema(schema: JsonSchema, schemas: Record<string, JsonSchema>): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 32; hops++) {
    const target = schemas[current.$ref.slice('#/schemas/'.length)];
    if (!target) break;
    const { $ref: _ref, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}
