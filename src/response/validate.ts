import { Ajv, type ValidateFunction } from 'ajv';
import { RECORD_KEYWORDS } from '../manifest/record-schema.js';
import type { JsonSchema } from '../manifest/types.js';

/** Returns undefined for a valid record, or a sentence saying where it breaks the schema. */
export type RecordValidator = (record: unknown) => string | undefined;

/**
 * Compiles a validator for one operation's record schema. The manifest's `#/schemas/X`
 * references are served from one shared schema document per manifest.
 */
export function createRecordValidators(schemas: Record<string, JsonSchema>): (schema: JsonSchema) => RecordValidator {
  const ajv = new Ajv({ strict: false, allErrors: false, allowUnionTypes: true });
  for (const keyword of RECORD_KEYWORDS) ajv.addKeyword({ keyword });
  ajv.addSchema({ $id: 'manifest', definitions: rewriteRefs(schemas) });
  return (schema) => {
    const validate: ValidateFunction = ajv.compile(rewriteRefs(schema) as object);
    return (record) => {
      if (validate(record)) return undefined;
      const e = validate.errors![0]!;
      return `${e.instancePath || '(record)'} ${e.message ?? 'is invalid'}`;
    };
  };
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/schemas/') ? `manifest#/definitions/${v.slice(10)}` : rewriteRefs(v);
  }
  return out;
}
