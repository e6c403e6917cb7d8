import { MAX_CREDENTIAL_LENGTH, MIN_SECRET_LENGTH, neededCredentials } from '../auth/choose.js';
import { DEFAULT_VARIABLE_PATTERN } from '../config.js';
import { pagingParams } from '../manifest/paging.js';
import { accessOf } from '../manifest/access.js';
import { retarget } from '../manifest/render-type.js';
import type { Manifest, ParamSpec } from '../manifest/types.js';
import { checkCall } from './check.js';
import { LIMIT_KEYWORDS, paramLimits } from './describe.js';
import { bodyOf, ROUTES, type BodySpec, type FieldType, type RouteId } from './routes.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string): Schema => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const json = (description: string, schema: Schema): Schema => ({ description, content: { 'application/json': { schema } } });

/** The schemas one connector definition adds: its bodies for create, update and execute. */
interface DefinitionSchemas {
  create: string;
  auth: string;
  execute: string;
}

/**
 * The execute API as an OpenAPI 3.1 document: every route of the table in routes.ts, and for
 * each loaded connector its auth_config, config and every operation with its parameters
 * (types, required, descriptions, limits), as the runtime checks them. Pure: the same
 * manifests give the same document.
 *
 * @example
 * const doc = openApiDocument(new Map([[definitionId, manifest]]));
 * doc.paths['/api/v1/connectors/instances/{id}/execute'].post.requestBody; // oneOf over operations
 */
export function openApiDocument(definitions: ReadonlyMap<string, Manifest>): Schema {
  const schemas: Record<string, Schema> = { ...FIXED_SCHEMAS };
  const names = new Set(Object.keys(schemas));
  const unique = (wanted: string): string => {
    const base = wanted.replace(/[^A-Za-z0-9._-]/g, '_');
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
    names.add(name);
    return name;
  };
  const defs = [...definitions].map(([id, m]) => definitionSchemas(id, m, schemas, unique));

  // The bodies whose shape depends on the connector: one alternative per loaded definition (none fits when none is loaded).
  const either = (list: Schema[], word: 'oneOf' | 'anyOf'): Schema => (list.length === 0 ? { not: {} } : list.length === 1 ? list[0]! : { [word]: list });
  const updateBody = bodySchema(bodyOf('updateInstance'), { auth_config: either(defs.map((d) => ref(d.auth)), 'anyOf') });
  updateBody.anyOf = [{ required: ['auth_config'] }, { required: ['name'] }, { required: ['scope'] }];

  const bodies: Partial<Record<RouteId, Schema>> = {
    // connector_definition_id differs in each: at most one alternative fits a body.
    createInstance: either(defs.map((d) => ref(d.create)), 'oneOf'),
    updateInstance: updateBody,
    // The instance's connector decides which operations apply.
    execute: either(defs.map((d) => ref(d.execute)), 'anyOf'),
  };

  const paths: Record<string, Schema> = {};
  for (const r of ROUTES) {
    const item = (paths[r.path] ??= {});
    const placeholders = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    if (placeholders.length) {
      item.parameters = placeholders.map((name) => ({ name, in: 'path', required: true, description: PATH_PARAMS[name] ?? name, schema: { type: 'string', minLength: 1 } }));
    }
    const isPublic = 'public' in r && r.public;
    const spec = bodyOf(r.id);
    const body = bodies[r.id] ?? (spec ? bodySchema(spec) : undefined);
    const responses: Record<string, Schema> = { ...RESPONSES[r.id] };
    if (body) {
      responses['400'] ??= error('Invalid JSON, an unknown or missing field, or invalid values.');
      responses['413'] = error('The body is over 1 MiB.');
      responses['415'] = error('The body is not application/json.');
    }
    if (placeholders.length) responses['404'] ??= error('No such instance.');
    if (!isPublic) responses['401'] = error('No API key, or not one of this server.');
    responses.default = error('Any other error.');
    item[r.method.toLowerCase()] = {
      operationId: r.id,
      summary: r.summary,
      // The public routes need no key: the document says so per operation.
      ...(isPublic ? { security: [] } : {}),
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
      responses,
    };
  }

  const connectors = [...definitions].map(([id, m]) => `${m.connector.title ?? m.connector.name} ${m.connector.version} (definition id ${id})`);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Connector execute API',
      version: 'v1',
      description: `Connector instances with stored, sealed credentials, and operations executed on them. Connectors served: ${connectors.join(', ')}.`,
    },
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key of this server (one of CONNECTOR_API_KEYS, or the key it printed at its first start): "Authorization: Bearer <key>".',
        },
      },
    },
  };
}

const PATH_PARAMS: Record<string, string> = { id: "The instance's id, as its creation answered it." };

const RESPONSES: Record<RouteId, Record<string, Schema>> = {
  health: { '200': json('The server and its database can serve.', ref('Health')), '503': json('The database does not answer.', ref('Health')) },
  openapi: { '200': json('This document.', { type: 'object' }) },
  listDefinitions: { '200': json('The loaded connector definitions.', { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('Definition') } } }) },
  listInstances: { '200': json('Every instance, oldest first.', { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('Instance') } } }) },
  createInstance: {
    '201': json('The instance (never its credentials); checked: true when check was asked and passed.', ref('Instance')),
    '400': error('Invalid body, auth_config or config; or check asked of a connector that cannot be checked (CHECK_NOT_POSSIBLE).'),
    '404': error('No such connector definition.'),
    ...checkFailures(),
  },
  getInstance: { '200': json('The instance (never its credentials).', ref('Instance')) },
  updateInstance: {
    '200': json('The instance as GET answers it; checked: true when check was asked and passed.', ref('Instance')),
    '400': error('An empty patch, an unknown field, invalid auth_config; or check asked of a connector that cannot be checked.'),
    ...checkFailures(),
  },
  deleteInstance: { '204': { description: 'Deleted.' } },
  execute: {
    '200': json("The operation's result.", ref('ExecuteResult')),
    '400': error('Invalid body, params or fields (INVALID_PARAMETERS, with param), or the upstream refused the values (400/422).'),
    '403': error('The operation writes and the instance has scope "read" (WRITE_NOT_ALLOWED); nothing was sent. PATCH the instance with {"scope": "read_write"} to allow writes.'),
    '404': error('No such instance, entity (UNKNOWN_ENTITY), action (UNKNOWN_ACTION) or upstream record (NOT_FOUND).'),
    '429': error('The upstream rate limit outlasted the retries; Retry-After says when to come back.'),
    '502': error("The upstream failed, or refused the instance's credentials (UPSTREAM_UNAUTHORIZED, UPSTREAM_FORBIDDEN)."),
    '504': error('The upstream did not answer in time.'),
  },
};

/** What `check: true` may answer besides the route's own errors; nothing is stored then. */
function checkFailures(): Record<string, Schema> {
  return {
    '429': error('check: the upstream rate limit outlasted the retries; nothing was stored.'),
    '502': error('check: the upstream refused the credentials (UPSTREAM_UNAUTHORIZED, UPSTREAM_FORBIDDEN, with upstream_status) or failed; nothing was stored.'),
    '504': error('check: the upstream did not answer in time; nothing was stored.'),
  };
}

/** A route's body as the router reads it (exactly these fields), with more precise schemas for some. */
function bodySchema(spec: BodySpec, precise: Record<string, Schema> = {}, required: string[] = []): Schema {
  const properties: Record<string, Schema> = {};
  for (const [name, field] of Object.entries(spec.fields)) {
    properties[name] = { description: field.description, ...(precise[name] ?? { ...FIELD_TYPES[field.type], ...(field.enum ? { enum: [...field.enum] } : {}) }) };
  }
  const all = [...new Set([...spec.required, ...required])];
  return { type: 'object', properties, ...(all.length ? { required: all } : {}), additionalProperties: false };
}

const FIELD_TYPES: Record<FieldType, Schema> = {
  string: { type: 'string', minLength: 1 },
  object: { type: 'object' },
  boolean: { type: 'boolean' },
  strings: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
};

function definitionSchemas(id: string, m: Manifest, schemas: Record<string, Schema>, unique: (wanted: string) => string): DefinitionSchemas {
  const prefix = m.connector.name;
  const title = m.connector.title ?? m.connector.name;

  // The manifest's shared schemas that parameters reference, under names of their own.
  const shared = new Map<string, string>();
  const componentOf = (name: string) => `#/components/schemas/${shared.get(name) ?? name}`;
  for (const name of referencedSchemas(m)) shared.set(name, unique(`${prefix}.schema.${name}`));
  for (const [name, component] of shared) schemas[component] = retarget(m.schemas[name], componentOf) as Schema;

  const auth = unique(`${prefix}.AuthConfig`);
  const creds = Object.entries(m.auth.credentials);
  const alwaysNeeded = creds.filter(([, c]) => c.required === true).map(([n]) => n);
  schemas[auth] = {
    type: 'object',
    title: `${title} credentials`,
    description: `Enough credentials for one auth method of ${title}: ${m.auth.methods.map((method) => `${method.id} (${neededCredentials(method, m).join(', ') || 'none'})`).join(', or ')}. A secret is at least ${MIN_SECRET_LENGTH} characters. Sealed at rest; never returned.`,
    properties: Object.fromEntries(
      creds.map(([n, c]) => [n, { type: 'string', maxLength: MAX_CREDENTIAL_LENGTH, ...(c.description ? { description: c.description } : {}), ...(c.secret !== false ? { writeOnly: true } : {}) }]),
    ),
    ...(alwaysNeeded.length ? { required: alwaysNeeded } : {}),
    anyOf: m.auth.methods.map((method) => ({ title: method.id, required: neededCredentials(method, m) })),
    additionalProperties: false,
  };

  const config = unique(`${prefix}.Config`);
  const variables = Object.entries(m.server.variables ?? {});
  const needed = variables.filter(([, v]) => v.default === undefined).map(([n]) => n);
  schemas[config] = {
    type: 'object',
    title: `${title} configuration`,
    properties: Object.fromEntries(
      variables.map(([n, v]) => [
        n,
        {
          type: 'string',
          ...(v.description ? { description: v.description } : {}),
          ...(v.default !== undefined ? { default: v.default } : {}),
          ...(v.enum ? { enum: v.enum } : { pattern: v.pattern ?? DEFAULT_VARIABLE_PATTERN }),
        },
      ]),
    ),
    ...(needed.length ? { required: needed } : {}),
    additionalProperties: false,
  };

  const create = unique(`${prefix}.CreateInstance`);
  const check = checkCall(m);
  schemas[create] = {
    ...bodySchema(
      bodyOf('createInstance'),
      {
        connector_definition_id: { const: id },
        auth_config: ref(auth),
        config: ref(config),
        check: { type: 'boolean', ...(check ? {} : { const: false, description: `${title} cannot be checked: it has no list that reads without parameters.` }) },
      },
      needed.length ? ['config'] : [],
    ),
    title: `An instance of ${title}`,
    'x-connector-definition-id': id,
  };

  const operations: Schema[] = [];
  for (const [entity, e] of Object.entries(m.entities)) {
    for (const [action, a] of Object.entries(e.actions)) {
      const { cursor, pageSize } = pagingParams(m, a);
      const properties: Record<string, Schema> = {};
      for (const [name, p] of Object.entries(a.params)) properties[name] = paramSchema(p, componentOf, name === cursor, name === pageSize);
      const required = Object.entries(a.params).filter(([, p]) => p.required).map(([n]) => n);
      const params: Schema = { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
      const name = unique(`${prefix}.op.${entity}.${action}`);
      schemas[name] = {
        ...bodySchema(bodyOf('execute'), { entity: { const: entity }, action: { const: action }, params }, required.length ? ['params'] : []),
        title: `${e.title ?? entity}: ${action}`,
        description:
          `${sentence(a.description ?? `${a.method} ${a.path}`)} ${a.records ? 'Answers one page: { data: [...], meta: { next_page } }.' : 'Answers { data: {...} }.'}` +
          (accessOf(a) === 'write' ? ' A write: the instance needs scope "read_write".' : ''),
        'x-access': accessOf(a),
      };
      operations.push(ref(name));
    }
  }
  const execute = unique(`${prefix}.Execute`);
  // entity and action are constants in each alternative: exactly one fits a body.
  schemas[execute] = { title: `An operation of ${title}`, oneOf: operations, 'x-connector-definition-id': id };
  return { create, auth, execute };
}

/** A parameter as JSON Schema: its type, description and what the runtime checks. */
function paramSchema(p: ParamSpec, componentOf: (name: string) => string, cursor: boolean, pageSize: boolean): Schema {
  let description = p.description ?? '';
  if (cursor) description = `${sentence(description)} The cursor: pass meta.next_page of the previous page; omit it for the first page.`.trim();
  if (pageSize && !description) description = 'The page size.';
  const out: Schema = { type: p.type, ...(description ? { description } : {}), ...paramLimits(p) };
  for (const k of ['items', 'properties', 'additionalProperties'] as const) if (p[k] !== undefined) out[k] = retarget(p[k], componentOf);
  if (p.schema) Object.assign(out, retarget(p.schema, componentOf));
  return out;
}

function sentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
}

/** The shared schemas a manifest's parameters reach, through references of references. */
function referencedSchemas(m: Manifest): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/schemas/')) {
        const name = v.slice('#/schemas/'.length);
        if (!found.has(name) && m.schemas[name]) {
          found.add(name);
          visit(m.schemas[name]);
        }
      } else visit(v);
    }
  };
  for (const e of Object.values(m.entities)) for (const a of Object.values(e.actions)) for (const p of Object.values(a.params)) visit([p.items, p.properties, p.additionalProperties, p.schema]);
  return [...found];
}

const PARAM_FIELDS: Schema = {
  type: 'object',
  required: ['name', 'type', 'required'],
  properties: {
    name: { type: 'string' },
    type: { enum: ['string', 'integer', 'number', 'boolean', 'object', 'array'] },
    required: { type: 'boolean' },
    description: { type: 'string' },
    cursor: { const: true, description: 'The cursor of a paged list: pass meta.next_page of the previous page.' },
    page_size: { const: true, description: 'The page size of a paged list.' },
    ...Object.fromEntries(LIMIT_KEYWORDS.map((k) => [k, k === 'enum' ? { type: 'array' } : k === 'pattern' ? { type: 'string' } : k === 'default' ? {} : { type: 'number' }])),
  },
  additionalProperties: false,
};

/** The shapes every server has, whatever it loaded. */
const FIXED_SCHEMAS: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'Stable: branch on it.' },
          message: { type: 'string', description: 'What happened and what to do, for people.' },
          request_id: { type: 'string', description: "The upstream API's request id, when it sent one." },
          upstream_status: { type: 'integer', description: 'The status the upstream API answered.' },
          param: { type: 'string', description: 'The parameter or credential to blame.' },
        },
      },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { enum: ['ok', 'unavailable'] }, reason: { type: 'string' } } },
  Instance: {
    type: 'object',
    required: ['id', 'name', 'connector_definition_id', 'created_at', 'scope'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      connector_definition_id: { type: 'string' },
      created_at: { type: 'string', format: 'date-time' },
      scope: { enum: ['read', 'read_write'], description: '"read": only operations that read run; "read_write": every operation.' },
      config: { type: 'object', additionalProperties: { type: 'string' }, description: "The connector's configuration (not secret)." },
      checked: { const: true, description: 'Only in the answer to a create or update with check: true; the credentials worked.' },
    },
    additionalProperties: false,
  },
  Definition: {
    type: 'object',
    required: ['id', 'name', 'title', 'version', 'auth_fields', 'auth_methods', 'config_fields', 'entities', 'operations', 'check'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      title: { type: 'string' },
      version: { type: 'string' },
      auth_fields: { type: 'array', items: { type: 'string' }, description: 'Every credential auth_config may hold.' },
      auth_methods: {
        type: 'array',
        items: { type: 'object', required: ['id', 'type', 'fields'], properties: { id: { type: 'string' }, type: { type: 'string' }, fields: { type: 'array', items: { type: 'string' } } } },
        description: 'In order of preference; each with the credentials it needs.',
      },
      config_fields: { type: 'array', items: { type: 'string' } },
      entities: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'Entity names and their actions.' },
      operations: {
        type: 'array',
        items: {
          type: 'object',
          required: ['entity', 'action', 'access', 'list', 'params'],
          properties: {
            entity: { type: 'string' },
            action: { type: 'string' },
            description: { type: 'string' },
            access: { enum: ['read', 'write'], description: 'A write runs only on an instance of scope "read_write".' },
            list: { type: 'boolean' },
            params: { type: 'array', items: PARAM_FIELDS },
          },
          additionalProperties: false,
        },
      },
      check: {
        description: 'The call check: true makes for this connector; null when it cannot be checked.',
        anyOf: [
          { type: 'object', required: ['entity', 'action', 'params'], properties: { entity: { type: 'string' }, action: { type: 'string' }, params: { type: 'object' } } },
          { type: 'null' },
        ],
      },
    },
    additionalProperties: false,
  },
  ExecuteResult: {
    type: 'object',
    required: ['data'],
    properties: {
      data: { description: 'The record, or the records of one page.', anyOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
      meta: {
        type: 'object',
        required: ['next_page'],
        properties: {
          next_page: { type: ['string', 'null'], description: "Pass it back in the action's cursor parameter for the next page; null on the last." },
          total_count: { type: 'integer' },
        },
      },
    },
  },
};
