import { resolveSchema } from './resolve-schema.js';
import type { JsonSchema, ParamSpec } from './types.js';

/**
 * A field's type as the reference docs write it: `string | null`, `array<integer>`,
 * `object | any` (an alternative that accepts anything is `any`).
 */
export function renderType(schema: JsonSchema, schemas: Record<string, JsonSchema>): string {
  const s = resolveSchema(schema, schemas);
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    const alternatives = (s.anyOf ?? s.oneOf) as JsonSchema[];
    return alternatives.map((a) => renderType(a, schemas)).join(' | ');
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  if (types.length === 0) return 'any';
  return types.map((t) => (t === 'array' ? `array<${s.items ? renderType(s.items as JsonSchema, schemas) : 'any'}>` : t)).join(' | ');
}

export function renderParamType(p: ParamSpec): string {
  return p.enum ? p.enum.map((v) => JSON.stringify(v)).join(' | ') : p.type;
}

/** The description of a field: its own, else the one of the schema it references. */
export function describeField(schema: JsonSchema, schemas: Record<string, JsonSchema>): string {
  if (typeof schema.description === 'string') return schema.description;
  const resolved = resolveSchema(schema, schemas);
  return typeof resolved.description === 'string' ? resolved.description : '';
}

/** The properties of a record schema, with references followed. */
export function recordFields(schema: JsonSchema | undefined, schemas: Record<string, JsonSchema>): [string, JsonSchema][] {
  if (!schema) return [];
  return Object.entries((resolveSchema(schema, schemas).properties ?? {}) as Record<string, JsonSchema>);
}

/** The shared schema name a record points at (`#/schemas/Contact` → `Contact`), if any. */
export function refName(schema: JsonSchema | undefined): string | undefined {
  const ref = schema?.$ref;
  return typeof ref === 'string' && ref.startsWith('#/schemas/') ? ref.slice('#/schemas/'.length) : undefined;
}

/** Copies a schema with `#/schemas/X` references pointed elsewhere. */
export function retarget(node: unknown, to: (name: string) => string, drop: (key: string) => boolean = () => false): unknown {
  if (Array.isArray(node)) return node.map((n) => retarget(n, to, drop));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (drop(k)) continue;
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/schemas/') ? to(v.slice('#/schemas/'.length)) : retarget(v, to, drop);
  }
  return out;
}
