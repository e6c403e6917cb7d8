import { neededCredentials } from '../../src/auth/choose.js';
import { isRootPath, splitPath } from '../../src/dotted-path.js';
import { paginationOf } from '../../src/manifest/paging.js';
import type { ActionSpec, AuthMethod, Manifest, PagedSpec } from '../../src/manifest/types.js';
import { camel, title } from './names.js';
import { operationNames } from './names.js';
import { retarget } from '../../src/manifest/render-type.js';

type Schema = Record<string, unknown>;

/** Puts `leaf` at a dotted path inside an object schema, creating the objects on the way. */
function place(root: Schema, path: string, leaf: Schema): void {
  const keys = splitPath(path);
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
      const method = a.method.toLowerCase();
      // Several operations may call one endpoint (GraphQL, a query language): OpenAPI wants one
      // key per method and path, so the others get a suffixed key and say their real path.
      let key = a.path;
      if (paths[key]?.[method]) key = `${a.path}:${entity}.${action}`;
      const item = (paths[key] ??= {});
      item[method] = key === a.path ? operation(manifest, entity, action, a) : { ...operation(manifest, entity, action, a), 'x-path': a.path };
    }
  }

  const variables = serverVariables(manifest);
  const servers = [{ url: manifest.server.base_url, description: 'Default', ...variables }];
  for (const [region, url] of Object.entries(manifest.server.regions ?? {})) servers.push({ url, description: `Region ${region}`, ...variables });
  const security = securitySchemes(manifest);

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
    ...(Object.keys(security).length ? { security: Object.keys(security).map((name) => ({ [name]: [] })) } : {}),
    tags: Object.entries(manifest.entities).map(([n, e]) => ({ name: e.title ?? title(n), ...(e.description ? { description: e.description } : {}) })),
    paths,
    components: {
      schemas,
      ...(Object.keys(security).length ? { securitySchemes: security } : {}),
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** OpenAPI server variables need a default: the manifest's, else its first allowed value, else the name. */
function serverVariables(manifest: Manifest): { variables?: Record<string, Schema> } {
  const declared = Object.entries(manifest.server.variables ?? {});
  if (declared.length === 0) return {};
  return {
    variables: Object.fromEntries(
      declared.map(([name, v]) => [name, { default: v.default ?? v.enum?.[0] ?? name, ...(v.enum ? { enum: v.enum } : {}), ...(v.description ? { description: v.description } : {}) }]),
    ),
  };
}

/** One security scheme per auth method, named `<method>Auth`. */
function securitySchemes(manifest: Manifest): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const describe = (m: AuthMethod) => {
    const names = neededCredentials(m, manifest);
    const first = names.length === 1 ? manifest.auth.credentials[names[0]!]?.description : undefined;
    return first ?? (names.length ? `The ${names.join(' and ')} credential${names.length > 1 ? 's' : ''}.` : 'No credential.');
  };
  for (const m of manifest.auth.methods) {
    const name = `${camel(m.id)}Auth`;
    if (m.type === 'bearer') out[name] = { type: 'http', scheme: 'bearer', description: describe(m) };
    else if (m.type === 'basic') out[name] = { type: 'http', scheme: 'basic', description: describe(m) };
    else if (m.type === 'api_key') out[name] = { type: 'apiKey', in: m.in, name: m.name, description: describe(m) };
    else if (m.type === 'oauth2') {
      const scopes = Object.fromEntries((m.scopes ?? []).map((s) => [s, s]));
      out[name] =
        m.grant === 'client_credentials'
          ? { type: 'oauth2', description: describe(m), flows: { clientCredentials: { tokenUrl: m.token_url, scopes } } }
          : { type: 'http', scheme: 'bearer', description: `OAuth2 access token, refreshed at ${m.token_url} with the refresh_token grant.` };
    }
  }
  return out;
}

function operation(manifest: Manifest, entity: string, action: string, a: ActionSpec): Schema {
  const strategy = paginationOf(manifest, a);
  const paged = strategy && strategy.type !== 'none' ? strategy : undefined;
  const parameters: Schema[] = [];
  const body: Schema = { type: 'object' };
  for (const [name, p] of Object.entries(a.params)) {
    const schema: Schema = { type: p.type };
    for (const k of ['enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'default', 'items', 'properties', 'additionalProperties', 'minItems', 'maxItems'] as const) {
      if (p[k] !== undefined) schema[k] = toComponents(p[k]);
    }
    if (p.schema) Object.assign(schema, toComponents(p.schema));
    // The API never sees the engine's opaque cursor: it sees what the strategy puts on the wire.
    // (A plain cursor in its own query parameter goes out as declared.)
    if (paged && name === paged.param && !(paged.type === 'cursor' && (paged.inject ?? { in: 'query', name }).in === 'query' && (paged.inject?.name ?? name) === name)) {
      const wire = wireToken(paged);
      if (wire?.in === 'body') place(body, wire.name, { type: wire.type });
      else if (wire) parameters.push({ name: wire.name, in: wire.in, required: wire.in === 'path', description: wire.description, schema: { type: wire.type } });
      continue;
    }
    if (p.in === 'body') {
      place(body, p.wire_name ?? name, { ...schema, ...(p.description ? { description: p.description } : {}) });
      if (p.required) ((body.required ??= []) as string[]).push(p.wire_name ?? name);
      continue;
    }
    parameters.push({ name: p.wire_name ?? name, in: p.in, required: p.required, ...(p.description ? { description: p.description } : {}), schema });
  }
  for (const [k, v] of Object.entries(a.query ?? {})) parameters.push({ name: k, in: 'query', required: true, schema: { type: 'string', const: v } });
  for (const [k, v] of Object.entries(a.headers ?? {})) parameters.push({ name: k, in: 'header', required: true, schema: { type: 'string', const: v } });
  if (manifest.api_version && !Object.keys(a.headers ?? {}).some((h) => h.toLowerCase() === manifest.api_version!.header.toLowerCase())) {
    parameters.push({
      name: manifest.api_version.header,
      in: 'header',
      required: false,
      description: 'API version; the connector pins the default.',
      schema: { type: 'string', default: manifest.api_version.default },
    });
  }

  const record = toComponents(a.record ?? {}) as Schema;
  let response: Schema = record;
  if (a.unwrap) {
    response = { type: 'object' };
    place(response, a.unwrap, record);
  }
  if (a.records) {
    const list = { type: 'array', items: record };
    if (isRootPath(a.records.path)) response = list;
    else {
      response = { type: 'object' };
      place(response, a.records.path, a.records.missing === 'empty' ? { anyOf: [list, { type: 'null' }] } : list);
    }
    if (strategy && response.type === 'object') {
      const at = (path: string | undefined, leaf: Schema) => path && !isRootPath(path) && place(response, path, leaf);
      if (strategy.type === 'cursor') at(strategy.next, { type: ['string', 'null'], description: 'Cursor of the next page.' });
      if (strategy.type === 'next_url') at(strategy.next, { type: ['string', 'null'], description: 'URL of the next page.' });
      if (strategy.type === 'page_number') {
        at(strategy.current_page, { type: 'integer' });
        at(strategy.total_pages, { type: 'integer' });
      }
      if (strategy.type !== 'none') {
        at(strategy.has_more, { type: 'boolean' });
        at(strategy.total, { type: 'integer' });
      } else at(strategy.has_more, { type: 'boolean' });
    }
  }
  const names = operationNames(entity, action);
  const hasBody = Object.keys((body.properties ?? {}) as object).length > 0 || a.body !== undefined;
  if (a.body) for (const [k, v] of Object.entries(a.body)) if (!Object.hasOwn((body.properties ?? {}) as object, k)) place(body, k, { const: v });
  return {
    operationId: names.id,
    summary: `${title(entity)} ${title(action)}`,
    ...(a.description ? { description: a.description } : {}),
    tags: [manifest.entities[entity]!.title ?? title(entity)],
    'x-entity': entity,
    'x-action': action,
    ...(a.pagination ? { 'x-pagination': { ...(typeof a.pagination === 'string' ? { strategy: a.pagination } : {}), ...strategy } } : {}),
    parameters,
    ...(hasBody
      ? { requestBody: { required: true, content: { [a.body_format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: body } } } }
      : {}),
    responses: {
      '200': { description: 'Success', content: { 'application/json': { schema: response } } },
      default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

/** What a strategy sends on the wire in place of the caller's cursor. */
function wireToken(p: PagedSpec): { in: string; name: string; type: string; description: string } | undefined {
  switch (p.type) {
    case 'cursor': {
      const at = p.inject ?? { in: 'query', name: p.param };
      return { ...at, type: 'string', description: 'Cursor of the page to fetch.' };
    }
    case 'page_number': {
      const at = p.inject ?? { in: 'query', name: p.page_param ?? 'page' };
      return { ...at, type: 'integer', description: 'Page number.' };
    }
    case 'offset':
      return { ...p.inject, type: 'integer', description: 'Offset of the first record.' };
    case 'next_url':
      return undefined;
  }
}

function errorSchema(manifest: Manifest): Schema {
  const root: Schema = { type: 'object' };
  for (const source of manifest.errors.request_id) if ('path' in source) place(root, source.path, { type: ['string', 'null'] });
  for (const d of manifest.errors.details) {
    if (isRootPath(d.path)) continue;
    place(root, d.path, {
      anyOf: [
        { type: 'array', items: { type: 'object', properties: { [d.code ?? 'code']: { type: 'string' }, [d.message ?? 'message']: { type: ['string', 'null'] } } } },
        { type: 'object' },
        { type: 'string' },
      ],
    });
  }
  return root;
}
