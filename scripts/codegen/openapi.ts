import type { ActionSpec, Manifest, PaginationSpec } from '../../src/manifest/types.js';
import { title } from './names.js';
import { operationNames } from './names.js';
import { retarget } from '../../src/manifest/render-type.js';

type Schema = Record<string, unknown>;

/** Puts `leaf` at a dotted path inside an object schema, creating the objects on the way. */
function place(root: Schema, path: string, leaf: Schema): void {
  const keys = path.split('.');
  let node = root;
  keys.forEach((key, i) => {
    node.type ??= 'object';
    const props = (node.properties ??= {}) as Record<string, Schema>;
    if (i === keys.length - 1) props[key] = leaf;
    else node = props[key] ??= { type: 'object' };
  });
}

const toComponents = (node: unknown) => retarget(node, (n) => `#/components/schemas/${n}`);

/**
 * `openapi.json`: the HTTP API this connector calls, as OpenAPI 3.1: servers (with regions),
 * bearer security, each operation with its parameters as sent on the wire and the response
 * envelope the manifest reads (records, cursors, error list). `x-entity` / `x-action` name
 * the connector operation.
 */
export function generateOpenApi(manifest: Manifest): string {
  const c = manifest.connector;
  const schemas: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(manifest.schemas)) schemas[name] = toComponents(s);
  schemas.Error = errorSchema(manifest);

  const paths: Record<string, Record<string, unknown>> = {};
  for (const [entity, e] of Object.entries(manifest.entities)) {
    for (const [action, a] of Object.entries(e.actions)) {
      const item = (paths[a.path] ??= {});
      const method = a.method.toLowerCase();
      if (item[method]) throw new Error(`${entity}.${action}: ${a.method} ${a.path} is already used by another operation`);
      item[method] = operation(manifest, entity, action, a);
    }
  }

  const servers = [{ url: manifest.server.base_url, description: 'Default' }];
  for (const [region, url] of Object.entries(manifest.server.regions ?? {})) servers.push({ url, description: `Region ${region}` });
  const credential = manifest.auth.credential;

  const doc = {
    openapi: '3.1.0',
    info: {
      title: c.title ?? title(c.name),
      version: c.version,
      ...(c.description ? { description: c.description } : {}),
      'x-connector-name': c.name,
      ...(c.definition_id ? { 'x-connector-definition-id': c.definition_id } : {}),
    },
    servers,
    ...(manifest.auth.type === 'bearer' ? { security: [{ bearerAuth: [] }] } : {}),
    tags: Object.entries(manifest.entities).map(([n, e]) => ({ name: e.title ?? title(n), ...(e.description ? { description: e.description } : {}) })),
    paths,
    components: {
      schemas,
      ...(manifest.auth.type === 'bearer'
        ? {
            securitySchemes: {
              bearerAuth: {
                type: 'http',
                scheme: 'bearer',
                description: manifest.auth.credentials[credential!]?.description ?? `The ${credential} credential.`,
              },
            },
          }
        : {}),
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function operation(manifest: Manifest, entity: string, action: string, a: ActionSpec): Schema {
  const strategy: PaginationSpec | undefined = a.pagination ? manifest.pagination[a.pagination] : undefined;
  const parameters: Schema[] = [];
  for (const [name, p] of Object.entries(a.params)) {
    // A page-number API never sees the engine's cursor: it sees the page number.
    if (strategy?.type === 'page_number' && name === strategy.param) {
      parameters.push({ name: strategy.page_param, in: 'query', required: false, description: 'Page number.', schema: { type: 'integer' } });
      continue;
    }
    const schema: Schema = { type: p.type };
    for (const k of ['enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'default'] as const) if (p[k] !== undefined) schema[k] = p[k];
    parameters.push({ name: p.wire_name ?? name, in: p.in, required: p.required, ...(p.description ? { description: p.description } : {}), schema });
  }
  if (manifest.api_version) {
    parameters.push({
      name: manifest.api_version.header,
      in: 'header',
      required: false,
      description: 'API version; the connector pins the default.',
      schema: { type: 'string', default: manifest.api_version.default },
    });
  }

  const record = toComponents(a.record ?? {}) as Schema;
  let body: Schema = record;
  if (a.records) {
    body = { type: 'object' };
    place(body, a.records, { type: 'array', items: record });
    if (strategy?.type === 'cursor') place(body, strategy.next, { type: ['string', 'null'], description: 'Cursor of the next page.' });
    if (strategy?.type === 'page_number') {
      place(body, strategy.current_page, { type: 'integer' });
      place(body, strategy.total_pages, { type: 'integer' });
    }
  }
  const names = operationNames(entity, action);
  return {
    operationId: names.id,
    summary: `${title(entity)} ${title(action)}`,
    ...(a.description ? { description: a.description } : {}),
    tags: [manifest.entities[entity]!.title ?? title(entity)],
    'x-entity': entity,
    'x-action': action,
    ...(a.pagination ? { 'x-pagination': { strategy: a.pagination, ...strategy } } : {}),
    parameters,
    responses: {
      '200': { description: 'Success', content: { 'application/json': { schema: body } } },
      default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

function errorSchema(manifest: Manifest): Schema {
  const spec = manifest.errors;
  const root: Schema = { type: 'object' };
  if (spec.request_id) place(root, spec.request_id, { type: ['string', 'null'] });
  if (spec.list) {
    place(root, spec.list, {
      type: 'array',
      items: { type: 'object', properties: { [spec.code ?? 'code']: { type: 'string' }, [spec.message ?? 'message']: { type: ['string', 'null'] } } },
    });
  }
  return root;
}
