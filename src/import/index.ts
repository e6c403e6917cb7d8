import type * as Yaml from 'yaml';
import { lazy } from '../lazy.js';
import { importAuth } from './auth.js';
import { schemaName, snake, unique } from './names.js';
import { importOperation, type ImportedOperation } from './operations.js';
import { importServer } from './server.js';
import { cleanSchema, type Json } from './spec.js';

export { parseSpec } from './spec.js';

const yaml = lazy<typeof Yaml>('yaml');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** What became of each operation of the spec. */
export interface ImportReport {
  total: number;
  imported: { id: string; entity: string; action: string; kind: string; paged: boolean; declaresPaging: boolean }[];
  skipped: { id: string; kind: string; reason: string }[];
}

export interface ImportResult {
  /** The manifest, as YAML text with comments. */
  yaml: string;
  manifest: Json;
  report: ImportReport;
}

/**
 * An OpenAPI 3.0/3.1 document (with or without the `x-airbyte-*` dialect) as a connector
 * manifest. Operations the format cannot express are skipped with a named reason, never
 * half-imported; choices a person should check are written as comments. The output is
 * stable: the same document gives the same text.
 *
 * @example
 * const { yaml, report } = importSpec(parseSpec(text, 'api.yaml'), 'api.yaml');
 */
export function importSpec(doc: Json, source: string): ImportResult {
  const info = (doc.info ?? {}) as Json;
  const name = snake(String(info['x-airbyte-connector-name'] ?? info.title ?? 'imported'));
  const prefix = name.toUpperCase();
  const notes: string[] = [];
  const server = importServer(doc, prefix, notes);
  const auth = importAuth(doc, prefix, new Set(Object.keys(server.variables ?? {})));
  notes.push(...auth.notes);

  const refs = new Set<string>();
  const operations: ImportedOperation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    if (!item || typeof item !== 'object') continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!op || typeof op !== 'object') continue;
      operations.push(importOperation({ doc, path, method, op, pathParams: (item.parameters as unknown[]) ?? [], refs }));
    }
  }

  const entities: Json = {};
  const actionComments = new Map<string, string[]>();
  const taken = new Map<string, Set<string>>();
  for (const o of operations) {
    if (!o.ok) continue;
    const names = taken.get(o.entity) ?? taken.set(o.entity, new Set()).get(o.entity)!;
    const action = unique(o.action, names);
    if (action !== o.action) o.comments.push(`Another operation of ${o.entity} is also a ${o.action}; this one (${o.id}) is ${action}.`);
    const entity = (entities[o.entity] ??= { actions: {} }) as Json;
    entity.actions[action] = o.spec;
    o.action = action;
    if (o.comments.length) actionComments.set(`${o.entity}.${action}`, [`${o.id}:`, ...o.comments]);
  }
  if (Object.keys(entities).length === 0) {
    throw new ImportError(`${source}: none of its ${operations.length} operations can be imported (${[...new Set(operations.map((o) => (o.ok ? '' : o.reason)))].join('; ')}).`);
  }

  const schemas = collectSchemas(doc, refs);
  const connector: Json = { name, title: String(info.title ?? name).trim() };
  connector.version = /^\d+\.\d+\.\d+/.test(String(info.version ?? '')) ? String(info.version) : '0.1.0';
  const definition = String(info['x-airbyte-connector-definition-id'] ?? '').toLowerCase();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(definition)) connector.definition_id = definition;
  const description = describeConnector(info);
  if (description) connector.description = description;

  const manifest: Json = { manifest_version: 1, connector, server };
  if (Object.keys(auth.methods).length) manifest.auth = { credentials: auth.credentials, methods: auth.methods };
  manifest.errors = errorsFor(info);
  if (Object.keys(schemas).length) manifest.schemas = schemas;
  manifest.entities = entities;

  const report: ImportReport = {
    total: operations.length,
    imported: operations.filter((o) => o.ok).map((o) => ({ id: o.id, entity: o.entity, action: o.action, kind: o.kind, paged: o.paged, declaresPaging: o.declaresPaging })),
    skipped: operations.filter((o) => !o.ok).map((o) => ({ id: o.id, kind: o.kind, reason: o.reason })),
  };
  return { yaml: emit(manifest, source, info, report, notes, actionComments), manifest, report };
}

/** The spec cannot be imported at all. */
export class ImportError extends Error {}

/** The component schemas the actions reference, and the ones those reference, in the spec's order. */
function collectSchemas(doc: Json, refs: Set<string>): Json {
  const components = (doc.components?.schemas ?? {}) as Json;
  const done = new Map<string, Json>();
  const queue = [...refs];
  while (queue.length) {
    const n = queue.shift()!;
    if (done.has(n) || !Object.hasOwn(components, n)) continue;
    const inner = new Set<string>();
    done.set(n, cleanSchema(components[n], inner));
    for (const r of inner) if (!done.has(r)) queue.push(r);
  }
  const out: Json = {};
  for (const n of Object.keys(components)) if (done.has(n)) out[schemaName(n)] = done.get(n);
  // A reference to a schema the spec does not have: an open object, so the manifest still loads.
  for (const n of refs) if (!Object.hasOwn(components, n)) out[schemaName(n)] = { type: 'object', description: `Missing from the spec (#/components/schemas/${n}).` };
  return out;
}

function describeConnector(info: Json): string {
  const text = String(info.description ?? '').replace(/\s+/g, ' ').trim();
  const questions = (info['x-airbyte-example-questions'] ?? {}) as Json;
  const direct = Array.isArray(questions.direct) ? questions.direct.slice(0, 3) : [];
  return [text, direct.length ? `Example questions: ${direct.join(' / ')}` : ''].filter(Boolean).join(' ');
}

/** Error details where APIs commonly put them; a spec's own error check becomes a rule. */
function errorsFor(info: Json): Json {
  const errors: Json = {
    request_id: [{ header: 'X-Request-Id' }, 'request_id'],
    details: [
      { path: 'errors', code: 'code', message: 'message' },
      { path: 'error', code: 'code', message: 'message' },
      { path: 'message' },
    ],
  };
  const check = info['x-airbyte-response-error-check'] as Json | undefined;
  if (check && typeof check.field === 'string') {
    errors.rules = [{ status: [200], body: { path: check.field, equals: check.on_value ?? false }, as: 'client_error' }];
    if (typeof check.message_field === 'string') errors.details.unshift({ path: check.message_field });
  }
  return errors;
}

function emit(manifest: Json, source: string, info: Json, report: ImportReport, notes: string[], actionComments: Map<string, string[]>): string {
  const { Document, isMap, isPair, isScalar, visit } = yaml();
  const doc = new Document(manifest);
  // Short leaf collections on one line ({ type: string }, [string, "null"]): a schema reads at a glance.
  visit(doc, {
    Map(_key, node) {
      if (node.items.every((p) => isScalar(p.value)) && node.items.length <= 4 && JSON.stringify(node.toJSON()).length <= 80) node.flow = true;
    },
    Seq(_key, node) {
      if (node.items.every((i) => isScalar(i)) && JSON.stringify(node.toJSON()).length <= 80) node.flow = true;
    },
  });
  const byReason = new Map<string, string[]>();
  for (const s of report.skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.id]);
  const header = [
    ` Imported from ${info.title ?? 'an OpenAPI document'} ${info.version ?? ''} (${source.split(/[\\/]/).at(-1)}) by the engine's OpenAPI importer (the import command).`,
    ` ${report.imported.length} of ${report.total} operations imported.`,
    ...[...byReason].map(([reason, ids]) => ` Skipped, ${reason}: ${ids.join(', ')}.`),
    ...(notes.length ? [' To decide:', ...notes.map((n) => ` - ${n}`)] : []),
    ' Error details and rate-limit headers are not in OpenAPI documents: check errors: against the API.',
  ];
  doc.commentBefore = header.join('\n');
  const actionsOf = (entity: string) => doc.getIn(['entities', entity, 'actions'], true);
  for (const [key, lines] of actionComments) {
    const [entity, action] = key.split('.') as [string, string];
    const actions = actionsOf(entity);
    if (!isMap(actions)) continue;
    const pair = actions.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === action);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = lines.map((l) => ` ${l}`).join('\n');
  }
  return doc.toString({ lineWidth: 0, indentSeq: true, flowCollectionPadding: false });
}
