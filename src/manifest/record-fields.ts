import { resolveSchema } from './resolve-schema.js';
import type { JsonSchema } from './types.js';

/**
 * The fields a record schema declares, for field selection (`fields`, `agent_fields`): the
 * names under `properties`, through `$ref`s and the branches of allOf/anyOf/oneOf. Undefined
 * when the schema declares none (`{ type: object }`): then any name may exist.
 *
 * @example
 * declaredFields({ $ref: '#/schemas/Contact' }, schemas); // ['type', 'id', 'email', ...]
 */
export function declaredFields(schema: JsonSchema | undefined, schemas: Record<string, JsonSchema>): string[] | undefined {
  const props = declaredProperties(schema, schemas);
  return props && Object.keys(props);
}

/** The `properties` a schema declares (merged over its allOf/anyOf/oneOf branches), or undefined. */
export function declaredProperties(schema: JsonSchema | undefined, schemas: Record<string, JsonSchema>, depth = 0): Record<string, JsonSchema> | undefined {
  if (!schema || typeof schema !== 'object' || depth > 16) return undefined;
  const s = resolveSchema(schema, schemas);
  let out: Record<string, JsonSchema> | undefined;
  if (s.properties && typeof s.properties === 'object') out = { ...(s.properties as Record<string, JsonSchema>) };
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    const branches = s[k];
    if (!Array.isArray(branches)) continue;
    for (const b of branches) {
      const more = declaredProperties(b as JsonSchema, schemas, depth + 1);
      if (more) out = { ...more, ...out };
    }
  }
  return out;
}

/** The schema of an array's items, when a (resolved) schema is an array; else the schema itself. */
function throughArrays(schema: JsonSchema, schemas: Record<string, JsonSchema>): JsonSchema {
  const s = resolveSchema(schema, schemas);
  const types = Array.isArray(s.type) ? s.type : [s.type];
  return types.includes('array') && s.items && typeof s.items === 'object' && !Array.isArray(s.items) ? (s.items as JsonSchema) : s;
}

/**
 * Why a dotted field path (`custom_attributes.plan`) names nothing a record of this schema
 * can hold, or undefined when it may. Each step is checked where the schema declares its
 * properties (through arrays, whose items are projected); a free-form object (no declared
 * properties) accepts any name below it.
 */
export function fieldPathIssue(
  path: string,
  schema: JsonSchema | undefined,
  schemas: Record<string, JsonSchema>,
): { step: string; at: string; known: string[]; scalar?: string } | undefined {
  const steps = path.split('.');
  let current: JsonSchema | undefined = schema;
  for (let i = 0; i < steps.length && current; i++) {
    const props = declaredProperties(current, schemas);
    if (!props) {
      // A value declared as a string (or number...) has no field to go into.
      const type = resolveSchema(current, schemas).type;
      const types = (Array.isArray(type) ? type : [type]).filter((t) => typeof t === 'string' && t !== 'null');
      if (types.length && !types.includes('object') && !types.includes('array')) return { step: steps[i]!, at: steps.slice(0, i).join('.'), known: [], scalar: types.join(' or ') };
      return undefined;
    }
    const step = steps[i]!;
    if (!Object.hasOwn(props, step)) return { step, at: steps.slice(0, i).join('.'), known: Object.keys(props) };
    current = throughArrays(props[step]!, schemas);
  }
  return undefined;
}
