/**
 * The outputSchema of a tool: the envelope its results come in (`{ records, next_page }` or
 * `{ record }`) around the record schema, projected to the fields the tool returns by default
 * (the entity's `agent_fields`). Other fields a caller asks for (`fields`) are allowed beside
 * them, so every answer validates; no field is required, since a selection may leave any out.
 * Pure: from the manifest only.
 */
import { declaredProperties } from '../manifest/record-fields.js';
import { resolveSchema } from '../manifest/resolve-schema.js';
import type { JsonSchema } from '../manifest/types.js';
import { fieldTree, type FieldTree } from '../response/project.js';
import { inlineRefs } from './inline-refs.js';

type Schema = Record<string, unknown>;

export interface OutputShape {
  list: boolean;
  /** The parameter next_page goes back in, for paginated lists. */
  cursorParam: string | undefined;
  record: JsonSchema | undefined;
  /** The fields returned by default; undefined for whole records. */
  fields: readonly string[] | undefined;
}

/** The JSON Schema of a tool's structuredContent. */
export function toolOutputSchema(shape: OutputShape, schemas: Record<string, JsonSchema>): Schema {
  const record = { ...described(recordSchema(shape.record, shape.fields, schemas)), type: 'object' };
  const extras = {
    record_truncated: { type: 'string', description: "The beginning of a record's JSON text that was larger than the output budget (not parseable on its own)." },
    note: { type: 'string', description: 'What was left out or changed to keep within the output budget, and how to get the rest.' },
  };
  if (!shape.list) {
    // A 204 answers no record.
    return { type: 'object', properties: { record: { anyOf: [record, { type: 'null' }] }, ...extras } };
  }
  return {
    type: 'object',
    properties: {
      records: { type: 'array', items: record },
      next_page: {
        type: ['string', 'null'],
        description: shape.cursorParam ? `null on the last page; else pass it back as ${shape.cursorParam} for the next page.` : 'Always null: every record is in this result.',
      },
      total_count: { type: 'integer', description: 'How many records the whole list holds, when the API says.' },
      ...extras,
    },
    required: ['records', 'next_page'],
  };
}

/** One record as a tool returns it: the record schema, projected to `fields` when given, with nothing required at the levels a selection cuts. */
function recordSchema(record: JsonSchema | undefined, fields: readonly string[] | undefined, schemas: Record<string, JsonSchema>): Schema {
  if (!record) return { type: 'object' };
  if (!fields) return withoutRequired(inlineRefs(record, schemas) as Schema);
  return projected(record, fieldTree(fields), schemas, 0);
}

function projected(schema: JsonSchema, tree: FieldTree, schemas: Record<string, JsonSchema>, depth: number): Schema {
  const s = resolveSchema(schema, schemas);
  const types = Array.isArray(s.type) ? s.type : [s.type];
  // A selection through a list applies to each item.
  if (types.includes('array') && s.items && typeof s.items === 'object' && !Array.isArray(s.items) && depth < 16) {
    const { items, ...rest } = s;
    return { ...(inlineRefs(rest, schemas) as Schema), items: projected(items as JsonSchema, tree, schemas, depth + 1) };
  }
  const props = declaredProperties(s, schemas);
  // A free-form value: its selected part is still such a value.
  if (!props || depth >= 16) return withoutRequired(inlineRefs(s, schemas) as Schema);
  const properties: Record<string, unknown> = {};
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(props, key)) continue;
    properties[key] = sub === true ? inlineRefs(props[key], schemas) : projected(props[key]!, sub, schemas, depth + 1);
  }
  const out: Schema = { ...(s.type !== undefined ? { type: s.type } : {}), properties };
  if (typeof s.description === 'string') out.description = s.description;
  return out;
}

const CONSTRAINTS = new Set(['type', 'enum', 'const', 'format', 'required', 'additionalProperties', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else', 'errorMessage']);

/**
 * A record schema whose types are words in each field's description, not constraints. Clients
 * reject an answer whose structuredContent breaks its outputSchema, and an API drifts (a number
 * sent as a string, null where an object was): one odd field must not cost the agent the whole
 * page. Catching drift is `validateResponses`' job; this keeps the fields and what they hold.
 */
function described(schema: Schema): Schema {
  const out: Schema = {};
  const said = typeWords(schema);
  const description = [said, typeof schema.description === 'string' ? schema.description : ''].filter(Boolean).join('. ');
  if (description) out.description = description;
  if (schema.properties && typeof schema.properties === 'object') {
    out.properties = Object.fromEntries(Object.entries(schema.properties as Record<string, Schema>).map(([k, v]) => [k, described(v)]));
  }
  if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) out.items = described(schema.items as Schema);
  // No type on containers either: `properties` and `items` apply only to objects and arrays,
  // so a field that drifted to another kind passes, its declared kind said in its description.
  for (const [k, v] of Object.entries(schema)) if (!CONSTRAINTS.has(k) && !(k in out) && k !== 'description') out[k] = v;
  return out;
}

function typeWords(schema: Schema): string {
  const of = (s: Schema): string[] => {
    const t = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
    const alternatives = Array.isArray(s.anyOf) ? (s.anyOf as Schema[]).flatMap(of) : [];
    return [...t, ...alternatives];
  };
  return [...new Set(of(schema))].join(' | ');
}

function withoutRequired(schema: Schema): Schema {
  const { required: _required, ...rest } = schema;
  return rest;
}
