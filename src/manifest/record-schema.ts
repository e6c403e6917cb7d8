import type * as AjvModule from 'ajv';
import type { Ajv } from 'ajv';
import { lazy } from '../lazy.js';
import { closest } from '../suggest.js';
import { patternIssue } from '../regex.js';
import type { RawIssue } from './structure.js';
import type { JsonSchema } from './types.js';

/**
 * Record schemas are JSON Schema (draft-07) plus manifest keywords. Two reshape what the
 * API sends into what the connector promises:
 * - `x-from: a.b`  the field's value is read from this dotted path of the raw record;
 * - `x-coerce: true`  a number the API sends as a string (or the reverse) is converted
 *   to the declared type.
 * One speaks to callers: `errorMessage: "..."` is what a parameter check says when the
 * value breaks this (sub)schema (see src/request/params.ts).
 */
export const RECORD_KEYWORDS = ['x-from', 'x-coerce', 'errorMessage'] as const;

const SCHEMA_KEYWORDS = new Set([
  '$ref', '$id', '$comment', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly',
  'type', 'enum', 'const', 'format', 'nullable',
  'properties', 'required', 'additionalProperties', 'patternProperties', 'propertyNames', 'minProperties', 'maxProperties',
  'items', 'additionalItems', 'contains', 'minItems', 'maxItems', 'uniqueItems',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern',
  'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else', 'definitions', '$defs',
  ...RECORD_KEYWORDS,
]);
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'];
const SUBSCHEMAS = ['additionalProperties', 'propertyNames', 'contains', 'not', 'if', 'then', 'else', 'additionalItems'];

const ajv = lazy<typeof AjvModule>('ajv');
let metaValidatorInstance: Ajv | undefined;
const metaValidator = () => (metaValidatorInstance ??= new (ajv().Ajv)({ strict: false, allErrors: true }));

/** Checks every record schema of a (structurally valid) manifest: keywords, types, extensions. */
export function checkRecordSchemas(raw: Record<string, any>): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const [name, schema] of Object.entries<JsonSchema>(raw.schemas ?? {})) checkSchema(schema, ['schemas', name], issues);
  for (const [entity, e] of Object.entries<any>(raw.entities)) {
    for (const [action, a] of Object.entries<any>(e.actions)) {
      if (a.record) checkSchema(a.record, ['entities', entity, 'actions', action, 'record'], issues);
    }
  }
  return issues;
}

function checkSchema(schema: JsonSchema, at: (string | number)[], issues: RawIssue[]): void {
  const before = issues.length;
  walk(schema, at, issues);
  if (issues.length > before) return;
  const validator = metaValidator();
  if (!validator.validateSchema(schema)) {
    for (const e of validator.errors ?? []) {
      const path = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/');
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
      issues.push({
        path: [...at, ...path],
        message: `not a valid JSON Schema: ${e.message ?? 'invalid'}${allowed ? ` (${allowed.join(', ')})` : ''}`,
      });
      // One message per schema: the meta-schema's anyOf branches repeat each other.
      break;
    }
  }
}

function walk(schema: unknown, at: (string | number)[], issues: RawIssue[]): void {
  if (typeof schema === 'boolean') return;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    issues.push({ path: at, message: 'a schema must be a mapping such as { type: string }' });
    return;
  }
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (!SCHEMA_KEYWORDS.has(key)) {
      const guess = closest(key, SCHEMA_KEYWORDS);
      issues.push({
        path: [...at, key],
        atKey: true,
        message: `unknown JSON Schema keyword "${key}"${guess ? `; did you mean "${guess}"?` : ''} (field names go under \`properties\`)`,
      });
    }
  }
  if (s['x-from'] !== undefined && (typeof s['x-from'] !== 'string' || !/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(s['x-from']))) {
    issues.push({ path: [...at, 'x-from'], message: 'x-from must be a dotted path into the raw record, e.g. avatar.image_url' });
  }
  const bad = typeof s.pattern === 'string' ? patternIssue(s.pattern) : undefined;
  if (bad) issues.push({ path: [...at, 'pattern'], message: bad });
  if (s.errorMessage !== undefined && (typeof s.errorMessage !== 'string' || s.errorMessage.trim() === '')) {
    issues.push({ path: [...at, 'errorMessage'], message: 'errorMessage must be a sentence (a string) that says which rule the value broke' });
  }
  if (s['x-coerce'] !== undefined && typeof s['x-coerce'] !== 'boolean') {
    issues.push({ path: [...at, 'x-coerce'], message: 'x-coerce must be true or false' });
  }
  for (const key of SUBSCHEMA_MAPS) {
    const map = s[key];
    if (map && typeof map === 'object') for (const [k, v] of Object.entries(map)) walk(v, [...at, key, k], issues);
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = s[key];
    if (Array.isArray(list)) list.forEach((v, i) => walk(v, [...at, key, i], issues));
  }
  for (const key of SUBSCHEMAS) if (s[key] !== undefined && typeof s[key] === 'object') walk(s[key], [...at, key], issues);
  if (Array.isArray(s.items)) s.items.forEach((v, i) => walk(v, [...at, 'items', i], issues));
  else if (s.items !== undefined) walk(s.items, [...at, 'items'], issues);
}
