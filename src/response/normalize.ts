import { resolveSchema } from '../manifest/resolve-schema.js';
import type { JsonSchema } from '../manifest/types.js';
import { compileGetter, type Getter } from '../dotted-path.js';

/** Reshapes one raw record, in place, into what the manifest's record schema promises. */
export type Normalizer = (record: Record<string, unknown>) => void;

interface FieldRule {
  field: string;
  from: Getter | undefined;
  coerce: 'integer' | 'number' | 'string' | undefined;
}

/**
 * Builds a normalizer from the `x-from` / `x-coerce` keywords of a record schema's fields,
 * or returns undefined when the schema has none, so records that need nothing cost nothing.
 */
export function compileNormalizer(schema: JsonSchema | undefined, schemas: Record<string, JsonSchema>): Normalizer | undefined {
  if (!schema) return undefined;
  const properties = (resolveSchema(schema, schemas).properties ?? {}) as Record<string, JsonSchema>;
  const rules: FieldRule[] = [];
  for (const [field, raw] of Object.entries(properties)) {
    const prop = resolveSchema(raw, schemas);
    const from = typeof prop['x-from'] === 'string' ? compileGetter(prop['x-from']) : undefined;
    const coerce = prop['x-coerce'] === true ? coercionTarget(prop.type) : undefined;
    if (from || coerce) rules.push({ field, from, coerce });
  }
  if (rules.length === 0) return undefined;
  return (record) => {
    for (const rule of rules) {
      let value = record[rule.field];
      // Only an object is reshaped: a value already in the promised form is kept as is.
      if (rule.from && value !== null && typeof value === 'object') value = rule.from(record) ?? null;
      if (rule.coerce) value = coerce(value, rule.coerce);
      if (value !== undefined) record[rule.field] = value;
    }
  };
}

function coercionTarget(type: unknown): FieldRule['coerce'] {
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  if (types.includes('string')) return 'string';
  return undefined;
}

function coerce(value: unknown, to: NonNullable<FieldRule['coerce']>): unknown {
  if (to === 'string') return typeof value === 'number' ? String(value) : value;
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  if (!Number.isFinite(n) || (to === 'integer' && !Number.isInteger(n))) return value;
  return n;
}
