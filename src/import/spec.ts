import { ConfigurationError } from '../errors.js';
import { lazy } from '../lazy.js';
import type * as Yaml from 'yaml';
import { patternIssue } from '../regex.js';
import { schemaName } from './names.js';

const yaml = lazy<typeof Yaml>('yaml');

export type Json = Record<string, any>;

/** An OpenAPI document (YAML or JSON text), checked to be one. */
export function parseSpec(text: string, source: string): Json {
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigurationError(`${source} is not YAML or JSON (${(err as Error).message.split('\n')[0]}).`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigurationError(`${source} is not an OpenAPI document: its top is not a mapping.`);
  const d = doc as Json;
  const version = String(d.openapi ?? d.swagger ?? '');
  if (!/^3\.[01]\./.test(version)) {
    throw new ConfigurationError(`${source} is not OpenAPI 3.0 or 3.1 (openapi: ${JSON.stringify(d.openapi ?? d.swagger ?? null)}). Convert a Swagger 2 document first.`);
  }
  if (!d.paths || typeof d.paths !== 'object') throw new ConfigurationError(`${source} has no paths.`);
  return d;
}

/** Follows local `$ref`s (`#/components/parameters/x`) to what they name; schemas are left as references. */
export function deref<T = Json>(doc: Json, value: unknown, depth = 0): T {
  let v = value as Json;
  for (let i = 0; v && typeof v === 'object' && typeof v.$ref === 'string' && i < 32; i++) {
    const target = pointer(doc, v.$ref);
    if (target === undefined) return v as T;
    v = target;
  }
  return (depth > 32 ? {} : v) as T;
}

export function pointer(doc: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node as Json;
}

/** The component schema a `$ref` names, or undefined. */
export function componentName(ref: unknown): string | undefined {
  return typeof ref === 'string' && ref.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : undefined;
}

/** JSON Schema keywords a manifest keeps; anything else of OpenAPI's (`discriminator`, `xml`, `example`...) is dropped. */
const KEEP = new Set([
  'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'type', 'enum', 'const', 'format', 'nullable',
  'properties', 'required', 'additionalProperties', 'patternProperties', 'propertyNames', 'minProperties', 'maxProperties',
  'items', 'contains', 'minItems', 'maxItems', 'uniqueItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'anyOf', 'oneOf', 'allOf', 'not',
]);
const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'object', 'array', 'null']);

/**
 * An OpenAPI schema in the manifest's JSON Schema: `#/components/schemas/X` becomes
 * `#/schemas/X` (noted in `refs`), OpenAPI-only keywords go, a property's `required: true`
 * (a common slip) becomes its parent's `required` list, invalid patterns are dropped.
 */
export function cleanSchema(schema: unknown, refs: Set<string>, depth = 0): Json {
  if (schema === true || schema === undefined || schema === null) return {};
  if (schema === false) return { not: {} };
  if (typeof schema !== 'object' || Array.isArray(schema) || depth > 64) return {};
  const s = schema as Json;
  const name = componentName(s.$ref);
  if (name !== undefined) {
    refs.add(name);
    return { $ref: `#/schemas/${schemaName(name)}` };
  }
  if (typeof s.$ref === 'string') return {};
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (!KEEP.has(k)) continue;
    switch (k) {
      case 'properties':
      case 'patternProperties': {
        if (!v || typeof v !== 'object') break;
        const props: Json = {};
        for (const [p, ps] of Object.entries(v as Json)) props[p] = cleanSchema(ps, refs, depth + 1);
        out[k] = props;
        break;
      }
      case 'items':
      case 'additionalProperties':
      case 'propertyNames':
      case 'contains':
      case 'not':
        out[k] = typeof v === 'boolean' ? v : cleanSchema(v, refs, depth + 1);
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
        if (Array.isArray(v) && v.length) out[k] = v.map((x) => cleanSchema(x, refs, depth + 1));
        break;
      case 'required':
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.required = [...new Set(v)];
        break;
      case 'type': {
        const types = (Array.isArray(v) ? v : [v]).filter((t) => TYPES.has(t));
        if (types.length) out.type = types.length === 1 ? types[0] : types;
        break;
      }
      case 'pattern':
        if (typeof v === 'string' && validRegExp(v)) out.pattern = v;
        break;
      case 'enum':
        if (Array.isArray(v) && v.length) out.enum = v;
        break;
      case 'examples':
        if (Array.isArray(v)) out.examples = v;
        break;
      default:
        out[k] = v;
    }
  }
  // `required: true` on a property is OpenAPI 2 style: it belongs to the parent's list.
  const props = s.properties && typeof s.properties === 'object' ? (s.properties as Json) : {};
  const flagged = Object.entries(props).filter(([, p]) => p && typeof p === 'object' && p.required === true).map(([n]) => n);
  if (flagged.length) out.required = [...new Set([...((out.required as string[]) ?? []), ...flagged])];
  // 3.0's `nullable` said what 3.1's type lists say.
  if (s.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    delete out.nullable;
  } else delete out.nullable;
  return out;
}

/** A pattern the engine can run (linear time, RE2 syntax); others are dropped from imports. */
export function validRegExp(source: string): boolean {
  return patternIssue(source) === undefined;
}
