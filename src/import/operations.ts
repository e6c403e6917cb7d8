import { splitPath } from '../dotted-path.js';
import { snake, unique } from './names.js';
import { importPaging, type ImportedParam } from './paging.js';
import { resolve, schemaAt, typesOf } from './schema-walk.js';
import { cleanSchema, deref, validRegExp, type Json } from './spec.js';

/** One operation of the spec, as an action of the manifest or the reason it could not be one. */
export type ImportedOperation =
  | { ok: true; id: string; entity: string; action: string; kind: string; spec: Json; comments: string[]; paged: boolean; declaresPaging: boolean }
  | { ok: false; id: string; kind: string; reason: string };

const ACTIONS: Record<string, string> = { api_search: 'search' };
const JINJA = /\{\{|\{%/;

class Skip extends Error {}

/** Everything one operation needs from the rest of the spec. */
export interface OperationContext {
  doc: Json;
  path: string;
  method: string;
  op: Json;
  pathParams: unknown[];
  /** Component schemas the manifest must carry, filled as references are met. */
  refs: Set<string>;
}

export function importOperation(c: OperationContext): ImportedOperation {
  const { op } = c;
  const id = String(op.operationId ?? `${c.method.toUpperCase()} ${c.path}`);
  const dialect = typeof op['x-airbyte-action'] === 'string';
  const kind = dialect ? String(op['x-airbyte-action']) : guessAction(c);
  try {
    return convert(c, id, kind, dialect);
  } catch (err) {
    if (err instanceof Skip) return { ok: false, id, kind, reason: err.message };
    throw err;
  }
}

function guessAction(c: OperationContext): string {
  const method = c.method.toUpperCase();
  const endsWithParam = /\}[^/]*$/.test(c.path);
  if (method === 'GET') {
    if (endsWithParam) return 'get';
    const types = typesOf(c.doc, successSchema(c.doc, c.op)?.schema);
    return types.includes('array') || hasArrayProperty(c.doc, successSchema(c.doc, c.op)?.schema) ? 'list' : 'get';
  }
  if (method === 'POST') return /search|query/i.test(c.path.split('/').at(-1) ?? '') ? 'search' : 'create';
  if (method === 'PUT' || method === 'PATCH') return 'update';
  if (method === 'DELETE') return 'delete';
  return method.toLowerCase();
}

function hasArrayProperty(doc: Json, schema: unknown): boolean {
  const s = resolve(doc, schema);
  return Object.values((s?.properties ?? {}) as Json).some((p) => typesOf(doc, p).includes('array'));
}

/** The first 2xx answer's JSON schema (or a note that it is not JSON). */
function successSchema(doc: Json, op: Json): { schema: unknown; binary: boolean; linkHeader: boolean } | undefined {
  const responses = (op.responses ?? {}) as Json;
  const code = Object.keys(responses).find((k) => /^2(\d\d|XX)$/i.test(k)) ?? (responses.default ? 'default' : undefined);
  if (!code) return undefined;
  const res = deref<Json>(doc, responses[code]);
  const content = (res.content ?? {}) as Json;
  const json = Object.keys(content).find((t) => /json/i.test(t));
  const headers = Object.keys((res.headers ?? {}) as Json).map((h) => h.toLowerCase());
  return {
    schema: json ? content[json]?.schema : undefined,
    binary: !json && Object.keys(content).length > 0,
    linkHeader: headers.includes('link'),
  };
}

function convert(c: OperationContext, id: string, kind: string, dialect: boolean): ImportedOperation {
  const { doc, op } = c;
  const comments: string[] = [];
  if (kind === 'download' || op['x-airbyte-file-url'] !== undefined) throw new Skip('file download (the format reads JSON answers only)');
  if (op['x-airbyte-record-filter'] !== undefined || op['x-airbyte-record-transform'] !== undefined) {
    throw new Skip('a record filter or transform (an expression over each record) the format cannot say');
  }
  const success = successSchema(doc, op);
  if (success?.binary) throw new Skip('a binary answer (the format reads JSON answers only)');
  const action = snake(ACTIONS[kind] ?? kind);
  const entity = snake(String(op['x-airbyte-entity'] ?? (Array.isArray(op.tags) && op.tags[0]) ?? c.path.split('/').find((s) => s && !s.startsWith('{')) ?? 'items'));

  // The path actually called: the override, with any query it carries split off.
  const override = op['x-airbyte-path-override']?.path;
  let rawPath = typeof override === 'string' ? override : c.path;
  const fixedQuery: Json = {};
  const q = rawPath.indexOf('?');
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(rawPath.slice(q + 1))) fixedQuery[k] = v;
    rawPath = rawPath.slice(0, q);
  }
  if (!rawPath.startsWith('/')) rawPath = `/${rawPath}`;

  const taken = new Set<string>();
  const params: ImportedParam[] = [];
  const renamed = new Map<string, string>();
  const declared = [...c.pathParams, ...((op.parameters as unknown[]) ?? [])].map((p) => deref<Json>(doc, p)).filter((p) => p && typeof p === 'object' && typeof p.name === 'string');
  // Operation parameters win over path-level ones of the same name and place.
  const seen = new Set<string>();
  const unique_ = declared.reverse().filter((p) => !seen.has(`${p.in}:${p.name}`) && seen.add(`${p.in}:${p.name}`)).reverse();
  const placeholders = [...rawPath.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!);
  for (const p of unique_) {
    if (p.in === 'cookie') throw new Skip(`cookie parameter ${p.name} (the format sends no cookies)`);
    if (p.in === 'path' && !placeholders.includes(p.name)) {
      comments.push(`The spec declares the path parameter ${p.name}, which its path does not use; it was left out.`);
      continue;
    }
    const name = unique(snake(p.name), taken);
    if (p.in === 'path') renamed.set(p.name, name);
    params.push({ name, spec: paramSpec(c, p, name, comments) });
  }
  for (const ph of placeholders) {
    if (renamed.has(ph)) continue;
    const name = unique(snake(ph), taken);
    renamed.set(ph, name);
    params.push({ name, spec: { type: 'string', in: 'path', required: true } });
  }
  const path = rawPath.replace(/\{([^{}]+)\}/g, (_m, n: string) => `{${renamed.get(n)}}`);

  // The body: JSON or form fields as body parameters, or a GraphQL document with its variables.
  const spec: Json = {};
  const bodyType = op.requestBody?.['x-airbyte-body-type'] ?? op['x-airbyte-body-type'];
  if (bodyType?.type === 'graphql') graphql(c, bodyType as Json, params, taken, spec, comments);
  else if (op.requestBody) requestBody(c, params, taken, spec);

  // Records: where they are and what one looks like.
  const extractor = op['x-airbyte-record-extractor'];
  if (typeof extractor === 'string' && extractor.includes('[*]')) throw new Skip('records nested in arrays of arrays ([*]), which the format cannot flatten');
  const list = kind === 'list' || kind === 'search' || kind === 'api_search';
  const where = typeof extractor === 'string' ? (extractor === '$' ? '$' : extractor.replace(/^\$\.?/, '')) : undefined;
  let recordsPath: string | undefined;
  let unwrap: string | undefined;
  let record: Json = { type: 'object' };
  const response = success?.schema;
  if (list) {
    recordsPath = where ?? guessRecords(doc, response, comments);
    const arr = recordsPath === '$' ? resolve(doc, response) : schemaAt(doc, response, recordsPath);
    if (arr?.items) record = cleanSchema(arr.items, c.refs);
    else if (response) comments.push(`The answer's schema has no array at ${recordsPath}; records are taken as objects.`);
  } else if (response) {
    if (where && where !== '$') unwrap = where;
    const one = unwrap ? schemaAt(doc, response, unwrap) : undefined;
    const raw = unwrap ? one : response;
    if (raw) record = unwrap ? cleanSchema(refOrSelf(doc, response, unwrap) ?? raw, c.refs) : cleanSchema(response, c.refs);
  }
  if (!record.$ref && typesOf(doc, record).length === 0 && !record.anyOf && !record.oneOf) record = { ...record, type: 'object' };

  // Hints for agents sit on the operation, or on the record's schema.
  const recordName = typeof record.$ref === 'string' ? record.$ref.slice('#/schemas/'.length) : undefined;
  const schemaHints = recordName ? rawComponent(doc, recordName)?.['x-airbyte-ai-hints'] : undefined;
  const description = describe(op, list || kind === 'get' ? schemaHints : undefined);
  if (description) spec.description = description;
  spec.method = c.method.toUpperCase();
  spec.path = path;
  if (Object.keys(fixedQuery).length) spec.query = fixedQuery;
  if (kind === 'search' && spec.method === 'POST') spec.idempotent = true;
  if (list && spec.method === 'POST' && kind === 'list') spec.idempotent = true;

  let paged = false;
  const declaresPaging = list && op['x-airbyte-no-pagination'] === undefined && op['x-airbyte-meta-extractor'] !== undefined;
  if (list) {
    const paging = importPaging({
      doc,
      meta: dialect ? ((op['x-airbyte-meta-extractor'] as Record<string, unknown>) ?? {}) : undefined,
      noPagination: op['x-airbyte-no-pagination'] === undefined ? undefined : String(op['x-airbyte-no-pagination']),
      params,
      response,
      linkHeader: success?.linkHeader ?? false,
    });
    // Half a list is no list: paging the spec declares but gives no way to follow is not imported.
    if (paging.unconsumed && declaresPaging) throw new Skip('paging values no parameter takes back (a gap in the spec)');
    for (const r of paging.remove) params.splice(params.findIndex((p) => p.name === r), 1);
    params.push(...paging.add);
    spec.pagination = paging.pagination;
    paged = paging.paged;
    if (paging.comment) comments.push(paging.comment);
  }
  if (params.length) spec.params = Object.fromEntries(params.map((p) => [p.name, p.spec]));
  if (list) spec.records = recordsPath;
  if (unwrap) spec.unwrap = unwrap;
  spec.record = record;
  // Keys in the order a person reads them.
  const ordered: Json = {};
  for (const k of ['description', 'method', 'path', 'query', 'idempotent', 'body_format', 'body', 'params', 'records', 'unwrap', 'record', 'pagination']) if (spec[k] !== undefined) ordered[k] = spec[k];
  return { ok: true, id, entity, action, kind, spec: ordered, comments, paged, declaresPaging };
}

/** A component schema by its manifest name (names are kept unless they had to be cleaned). */
function rawComponent(doc: Json, name: string): Json | undefined {
  const components = (doc.components?.schemas ?? {}) as Json;
  if (Object.hasOwn(components, name)) return components[name] as Json;
  return Object.entries(components).find(([k]) => k.replace(/[^A-Za-z0-9_]+/g, '_') === name)?.[1] as Json | undefined;
}

/** The schema at `path` as a reference when it is one, so records keep their shared type. */
function refOrSelf(doc: Json, response: unknown, path: string): unknown {
  const keys = splitPath(path);
  const parent = keys.length > 1 ? schemaAt(doc, response, keys.slice(0, -1).join('.')) : resolve(doc, response);
  const key = keys.at(-1)!;
  const raw = (parent?.properties as Json | undefined)?.[key];
  if (/^\d+$/.test(key)) return parent?.items;
  return raw;
}

function guessRecords(doc: Json, response: unknown, comments: string[]): string {
  const types = typesOf(doc, response);
  if (types.includes('array')) return '$';
  const s = resolve(doc, response);
  const arrays = Object.entries((s?.properties ?? {}) as Json).filter(([, p]) => typesOf(doc, p).includes('array'));
  if (arrays.length >= 1) {
    if (arrays.length > 1) comments.push(`The answer has several arrays (${arrays.map(([k]) => k).join(', ')}); the records were taken from ${arrays[0]![0]}: check.`);
    return arrays[0]![0];
  }
  comments.push('The spec does not say where the records are; the whole answer is taken as the list: check.');
  return '$';
}

/** A parameter of the spec as a manifest parameter. */
function paramSpec(c: OperationContext, p: Json, name: string, comments: string[]): Json {
  const schema = resolve(c.doc, p.schema) ?? {};
  const where = p.in === 'header' || p.in === 'path' || p.in === 'query' ? p.in : 'query';
  const out = valueSpec(c, schema, where, comments, `${p.name}`);
  if (where !== 'query') out.in = where;
  // A path parameter's wire name is its placeholder, renamed with it.
  if (p.name !== name && where !== 'path') out.wire_name = p.name;
  if ((p.required === true && out.default === undefined) || where === 'path') out.required = true;
  if (p.description || schema.description) out.description = String(p.description ?? schema.description).trim();
  if (where === 'query' && out.type === 'array' && (p.explode === false || p.style === 'pipeDelimited' || p.style === 'spaceDelimited')) out.style = 'comma';
  return ordered(out);
}

/** A parameter's keys in the order a person reads them. */
function ordered(p: Json): Json {
  const out: Json = {};
  for (const k of ['type', 'in', 'wire_name', 'required', 'description', 'default', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'style', 'items', 'properties', 'additionalProperties', 'minItems', 'maxItems']) {
    if (p[k] !== undefined) out[k] = p[k];
  }
  return out;
}

/** Type, limits, default and nested shape of one value, within what a manifest parameter may say. */
function valueSpec(c: OperationContext, schema: Json, where: string, comments: string[], label: string): Json {
  // Without a type, a value is sent as text.
  let type = typesOf(c.doc, schema)[0] ?? 'string';
  if ((type === 'object' || type === 'array') && (where === 'path' || where === 'header')) type = 'string';
  if (type === 'null') type = 'string';
  const out: Json = { type };
  const numeric = type === 'integer' || type === 'number';
  if (numeric) {
    if (typeof schema.minimum === 'number') out.minimum = schema.minimum;
    if (typeof schema.maximum === 'number') out.maximum = schema.maximum;
  }
  if (type === 'string') {
    if (Number.isInteger(schema.minLength)) out.minLength = schema.minLength;
    if (Number.isInteger(schema.maxLength)) out.maxLength = schema.maxLength;
    if (typeof schema.pattern === 'string' && validRegExp(schema.pattern)) out.pattern = schema.pattern;
  }
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((v: unknown) => (type === 'integer' ? Number.isInteger(v) : type === 'number' ? typeof v === 'number' : typeof v === 'string'));
    if (values.length && (type === 'string' || numeric)) out.enum = values;
  }
  if (type === 'array') {
    out.items = cleanSchema(schema.items ?? {}, c.refs);
    if (Number.isInteger(schema.minItems)) out.minItems = schema.minItems;
    if (Number.isInteger(schema.maxItems)) out.maxItems = schema.maxItems;
  }
  if (type === 'object') {
    const cleaned = cleanSchema(schema, c.refs);
    if (cleaned.properties) out.properties = cleaned.properties;
    if (cleaned.additionalProperties !== undefined) out.additionalProperties = cleaned.additionalProperties;
  }
  if (schema.default !== undefined) {
    if (typeof schema.default === 'string' && JINJA.test(schema.default)) {
      comments.push(`The default of ${label} is an expression (${schema.default.slice(0, 60)}); none is sent: pass a value.`);
    } else if (fits(schema.default, type)) out.default = schema.default;
  }
  return out;
}

function fits(v: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return typeof v === type;
  }
}

/** JSON and form bodies: each top-level field a body parameter. */
function requestBody(c: OperationContext, params: ImportedParam[], taken: Set<string>, spec: Json): void {
  const body = deref<Json>(c.doc, c.op.requestBody);
  const content = (body.content ?? {}) as Json;
  const types = Object.keys(content);
  const json = types.find((t) => /json/i.test(t));
  const form = types.find((t) => /x-www-form-urlencoded/i.test(t));
  if (!json && !form) {
    if (types.length === 0) return;
    throw new Skip(`a ${types[0]} request body (the format sends JSON and form bodies)`);
  }
  if (!json && form) spec.body_format = 'form';
  const schema = resolve(c.doc, content[(json ?? form)!]?.schema);
  if (!schema) return;
  const props = collectProperties(c.doc, schema);
  if (!props) {
    if (typesOf(c.doc, schema).includes('object') || typesOf(c.doc, schema).length === 0) {
      // A free-form object body: one parameter holds it all would need a root placement; say so.
      throw new Skip('a request body with no declared fields (the format places body parameters by field)');
    }
    throw new Skip('a request body that is not an object');
  }
  const required = new Set<string>([...((schema.required as string[]) ?? []), ...Object.entries(props).filter(([, p]) => resolve(c.doc, p)?.required === true).map(([k]) => k)]);
  const comments: string[] = [];
  for (const [field, raw] of Object.entries(props)) {
    if (field.includes('.')) throw new Skip(`a body field with a dot in its name (${field})`);
    const s = resolve(c.doc, raw) ?? {};
    const name = unique(snake(field), taken);
    const out = valueSpec(c, s, 'body', comments, field);
    out.in = 'body';
    if (name !== field) out.wire_name = field;
    if (s.description) out.description = String(s.description).trim();
    if (required.has(field) && out.default === undefined) out.required = true;
    params.push({ name, spec: ordered(out) });
  }
}

function collectProperties(doc: Json, schema: Json): Json | undefined {
  const out: Json = {};
  let found = false;
  const visit = (s: Json | undefined, depth: number) => {
    if (!s || depth > 8) return;
    if (s.properties) {
      found = true;
      Object.assign(out, s.properties);
    }
    for (const part of (s.allOf as unknown[]) ?? []) visit(resolve(doc, part), depth + 1);
  };
  visit(schema, 0);
  return found ? out : undefined;
}

/** A GraphQL body: the document is fixed; each `{{ param }}` variable becomes a body parameter at `variables.<name>`. */
function graphql(c: OperationContext, body: Json, params: ImportedParam[], taken: Set<string>, spec: Json, comments: string[]): void {
  let query = String(body.query ?? '');
  if (JINJA.test(query)) {
    if (/\{\{\s*fields\s*\}\}/.test(query) && typeof body.default_fields === 'string') {
      query = query.replace(/\{\{\s*fields\s*\}\}/g, body.default_fields);
      const i = params.findIndex((p) => p.name === 'fields');
      if (i >= 0) params.splice(i, 1);
      comments.push('The GraphQL document asks for its default fields; the spec\'s `fields` parameter (splicing fields into the document) is not offered.');
    }
    if (JINJA.test(query)) throw new Skip('a GraphQL document built from a template');
  }
  spec.body = { query };
  const bodyProps = collectProperties(c.doc, resolve(c.doc, c.op.requestBody?.content?.['application/json']?.schema) ?? {}) ?? {};
  for (const [variable, value] of Object.entries((body.variables ?? {}) as Json)) {
    const m = typeof value === 'string' ? /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$/.exec(value) : null;
    if (!m) {
      if (typeof value === 'string' && JINJA.test(value)) throw new Skip(`a GraphQL variable built from a template (${variable}: ${value})`);
      (spec.body.variables ??= {})[variable] = value;
      continue;
    }
    const source = m[1]!;
    const existing = params.find((p) => p.name === snake(source) || p.spec.wire_name === source);
    if (existing) {
      existing.spec.in = 'body';
      existing.spec.wire_name = `variables.${variable}`;
      if (existing.spec.style) delete existing.spec.style;
    } else if (bodyProps[source]) {
      const s = resolve(c.doc, bodyProps[source]) ?? {};
      const out = valueSpec(c, s, 'body', comments, source);
      out.in = 'body';
      out.wire_name = `variables.${variable}`;
      if (s.description) out.description = String(s.description).trim();
      params.push({ name: unique(snake(source), taken), spec: ordered(out) });
    }
    // A variable no parameter fills is simply not sent.
  }
  spec.idempotent = c.op['x-airbyte-action'] === 'list' || c.op['x-airbyte-action'] === 'get' || c.op['x-airbyte-action'] === 'api_search' ? true : undefined;
  if (spec.idempotent === undefined) delete spec.idempotent;
}

/** The operation's words, and its hints for agents, as one description. */
function describe(op: Json, recordHints: unknown): string {
  const parts: string[] = [];
  const text = String(op.description ?? op.summary ?? '').trim();
  if (text) parts.push(text);
  const hints = (op['x-airbyte-ai-hints'] ?? recordHints ?? {}) as Json;
  if (typeof hints.when_to_use === 'string') parts.push(`When to use: ${hints.when_to_use.trim()}`);
  if (typeof hints.search_strategy === 'string') parts.push(`How: ${hints.search_strategy.trim()}`);
  return parts.map((p) => (/[.!?]$/.test(p) ? p : `${p}.`)).join(' ').replace(/\s+/g, ' ');
}
