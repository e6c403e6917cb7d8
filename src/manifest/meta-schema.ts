/**
 * JSON Schema of the manifest format itself. Structural rules live here; rules that need
 * the whole document (references, path placeholders, templates) live in `semantic.ts`.
 * Components (auth methods, pagination strategies) are chosen by `type:`; an unknown type
 * is reported with the list of valid ones.
 *
 * A `description` on a sub-schema doubles as the fix hint shown when that part is wrong.
 */
const identifier = {
  type: 'string',
  pattern: '^[a-z][a-z0-9_]*$',
  description: 'use lower snake_case: a lowercase letter, then lowercase letters, digits or _',
} as const;

export const DOTTED_PATH = '^(\\$|(\\$\\.)?[A-Za-z0-9_$@-]+(\\[\\d+\\])*(\\.[A-Za-z0-9_$@-]+(\\[\\d+\\])*)*)$';
const dottedPath = {
  type: 'string',
  pattern: DOTTED_PATH,
  description: 'a dotted path into the response body, e.g. pages.next.starting_after, data[0].id, or $ for the body itself',
} as const;

const headerName = { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", description: 'a valid HTTP header name' } as const;
const template = { type: 'string', description: 'a text with {credential} placeholders, e.g. "{email}/token"' } as const;
const httpUrl = {
  type: 'string',
  pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$',
  description: 'an http(s) URL with no query or fragment, e.g. https://api.example.com (server variables as {name})',
} as const;

const ref = (target: string) => ({
  type: 'string',
  pattern: `^#/${target}/[A-Za-z0-9_]+$`,
  description: `a reference of the form "#/${target}/<Name>"`,
});

/**
 * An object chosen by its `type`: each type lists its own keys (the ones shared by all are
 * in `common`). Unknown types and keys are reported by name.
 */
function component(types: Record<string, { required?: string[]; properties: Record<string, unknown> }>, common: Record<string, unknown> = {}) {
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: Object.keys(types) } },
    allOf: Object.entries(types).map(([name, t]) => ({
      if: { properties: { type: { const: name } }, required: ['type'] },
      then: { additionalProperties: false, required: t.required ?? [], properties: { type: true, ...common, ...t.properties } },
    })),
  };
}

const placement = {
  type: 'object',
  additionalProperties: false,
  required: ['in', 'name'],
  properties: {
    in: { enum: ['query', 'header', 'body', 'path'] },
    name: { type: 'string', minLength: 1, description: 'the query or header name, a dotted body path, or a path placeholder' },
  },
} as const;

const stops = {
  has_more: dottedPath,
  total: dottedPath,
  stop_on_short_page: { type: 'boolean' },
  page_size: { type: 'integer', minimum: 1 },
};
const paged = { param: identifier, page_size_param: identifier, ...stops };

export const paginationComponent = component({
  cursor: { required: ['param'], properties: { ...paged, next: dottedPath, next_header: headerName, last_record: dottedPath, inject: placement } },
  next_url: { required: ['param'], properties: { ...paged, next: dottedPath, link_rel: { type: 'string', minLength: 1 } } },
  offset: { required: ['param', 'inject'], properties: { ...paged, inject: placement, first_offset: { type: 'integer', minimum: 0 } } },
  page_number: {
    required: ['param'],
    properties: {
      ...paged,
      inject: placement,
      page_param: { type: 'string', minLength: 1 },
      current_page: dottedPath,
      total_pages: dottedPath,
      first_page: { type: 'integer', minimum: 0 },
      scroll: {
        type: 'object',
        additionalProperties: false,
        required: ['after', 'path', 'param', 'next'],
        properties: {
          after: { type: 'integer', minimum: 1, description: 'the number of records page numbers reach' },
          path: { type: 'string', pattern: '^/', description: 'the scroll endpoint under the base URL, e.g. /companies/scroll' },
          param: { type: 'string', minLength: 1, description: 'the query parameter that carries the scroll token' },
          next: dottedPath,
          hint: { type: 'string', minLength: 1, description: 'what to do when the scroll is refused, added to the error' },
        },
        description: 'a list longer than page numbers reach is read with a scroll endpoint instead: { after, path, param, next }',
      },
    },
  },
  none: { properties: { has_more: dottedPath } },
});

const oauth2Fields = {
  grant: { enum: ['refresh_token', 'client_credentials'] },
  token_url: template,
  client_id: template,
  client_secret: template,
  refresh_token: template,
  access_token: template,
  scopes: { type: 'array', items: { type: 'string' } },
  client_auth: { enum: ['body', 'basic'] },
  refresh_before_s: { type: 'integer', minimum: 0 },
  body_format: { enum: ['form', 'json'] },
  header: headerName,
  prefix: { type: 'string' },
};

const authTypes = {
  bearer: { properties: { token: template, credential: identifier } },
  basic: { required: ['username'], properties: { username: template, password: template } },
  api_key: { required: ['in', 'name'], properties: { in: { enum: ['header', 'query'] }, name: { type: 'string', minLength: 1 }, value: template, credential: identifier } },
  oauth2: { required: ['grant', 'token_url', 'client_id', 'client_secret'], properties: oauth2Fields },
  none: { properties: {} },
};

const extraHeaders = {
  type: 'object',
  propertyNames: headerName,
  additionalProperties: { ...template, description: 'a header value with {credential} placeholders' },
} as const;
export const authMethodComponent = component(authTypes, { description: { type: 'string' }, headers: extraHeaders });

const credential = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'string' },
    required: { type: 'boolean' },
    secret: { type: 'boolean' },
    env: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', description: 'an environment variable name in UPPER_SNAKE_CASE' },
    description: { type: 'string' },
  },
} as const;

// `auth` holds the credentials and either `methods` (by name, in order of preference) or one method's keys inline.
const inlineAuthKeys = Object.fromEntries(Object.values(authTypes).flatMap((t) => Object.entries(t.properties)));
const auth = {
  type: 'object',
  additionalProperties: false,
  properties: {
    credentials: { type: 'object', propertyNames: identifier, additionalProperties: credential },
    methods: { type: 'object', minProperties: 1, propertyNames: identifier, additionalProperties: authMethodComponent },
    type: { enum: Object.keys(authTypes) },
    description: { type: 'string' },
    ...inlineAuthKeys,
    headers: extraHeaders,
  },
} as const;

const valueSource = {
  anyOf: [
    dottedPath,
    { type: 'object', additionalProperties: false, required: ['header'], properties: { header: headerName } },
    { type: 'object', additionalProperties: false, required: ['path'], properties: { path: dottedPath } },
  ],
  description: 'a body path such as request_id, or { header: X-Request-Id }',
} as const;

const errors = {
  type: 'object',
  additionalProperties: false,
  properties: {
    request_id: { anyOf: [valueSource, { type: 'array', items: valueSource }], description: 'a body path, { header: Name }, or a list of them' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: { path: dottedPath, code: dottedPath, message: dottedPath, field: dottedPath },
      },
    },
    // The short form of one `details` entry: `list` is its path, `code`/`message` the keys inside each entry.
    list: dottedPath,
    code: { type: 'string' },
    message: { type: 'string' },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['status', 'as'],
        properties: {
          status: { anyOf: [{ type: 'integer', minimum: 100, maximum: 599 }, { type: 'array', minItems: 1, items: { type: 'integer', minimum: 100, maximum: 599 } }] },
          header: { type: 'object', propertyNames: headerName, additionalProperties: { type: 'string', description: 'header values are strings: quote numbers' } },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['path'],
            properties: { path: dottedPath, equals: { type: ['string', 'number', 'boolean'] }, exists: { type: 'boolean' } },
          },
          as: { enum: ['authentication', 'permission', 'not_found', 'conflict', 'unprocessable', 'rate_limit', 'server_error', 'client_error'] },
        },
      },
    },
    rate_limit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'string' },
        remaining: { type: 'string' },
        reset: { type: 'string' },
        reset_format: { enum: ['epoch_seconds', 'epoch_ms', 'delta_seconds', 'http_date', 'iso8601'] },
      },
    },
  },
} as const;

const paramProperties = {
  $ref: ref('parameters'),
  type: { enum: ['string', 'integer', 'number', 'boolean', 'object', 'array'] },
  in: { enum: ['query', 'path', 'header', 'body'] },
  required: { type: 'boolean' },
  description: { type: 'string' },
  wire_name: { type: 'string', minLength: 1 },
  default: {},
  enum: { type: 'array', minItems: 1, items: { type: ['string', 'number'] } },
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  minLength: { type: 'integer', minimum: 0 },
  maxLength: { type: 'integer', minimum: 0 },
  pattern: { type: 'string' },
  style: { enum: ['repeat', 'comma', 'brackets'] },
  items: { type: 'object' },
  properties: { type: 'object', additionalProperties: { type: 'object' } },
  additionalProperties: { type: ['boolean', 'object'] },
  minItems: { type: 'integer', minimum: 0 },
  maxItems: { type: 'integer', minimum: 0 },
  example: { description: 'a value shown in the reference docs and tool descriptions' },
  schema: { type: 'object', description: 'more JSON Schema for an object or array value, e.g. { $ref: "#/schemas/Query" }' },
} as const;

const param = {
  type: 'object',
  additionalProperties: false,
  properties: paramProperties,
  // A parameter either points at a shared one or says its type.
  anyOf: [{ required: ['$ref'] }, { required: ['type'] }],
  description: 'give the parameter a `type` (string, integer, number, boolean, object or array) or a `$ref` to #/parameters/<name>',
} as const;

const { $ref: _sharedParamsHaveNoRef, ...sharedParamProperties } = paramProperties;
const sharedParam = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: sharedParamProperties,
} as const;

const action = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path', 'record'],
  properties: {
    description: { type: 'string' },
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    path: {
      type: 'string',
      pattern: '^/',
      description: 'a path relative to the base URL, starting with "/", e.g. /contacts/{id}',
    },
    params: { type: 'object', additionalProperties: param, propertyNames: identifier },
    records: {
      anyOf: [dottedPath, { type: 'object', additionalProperties: false, required: ['path'], properties: { path: dottedPath, missing: { enum: ['error', 'empty'] } } }],
      description: 'the dotted path of the records array ($ for a bare array), or { path, missing: empty }',
    },
    unwrap: dottedPath,
    record: { type: 'object' },
    pagination: { anyOf: [{ type: 'string' }, paginationComponent], description: 'the name of a strategy under `pagination`, or a strategy declared here' },
    query: { type: 'object', additionalProperties: { type: 'string', description: 'fixed query values are strings: quote numbers' } },
    headers: { type: 'object', propertyNames: headerName, additionalProperties: { type: 'string', description: 'header values are strings: quote numbers' } },
    body: { type: 'object' },
    body_format: { enum: ['json', 'form'] },
    idempotent: { type: 'boolean' },
    access: { enum: ['read', 'write'], description: 'read or write, when the method does not say it (an idempotent POST reads unless this says write)' },
    idempotency_key: headerName,
    param_rules: {
      type: 'array',
      items: { type: 'object' },
      description: 'JSON Schemas over the whole params object, each with an errorMessage, e.g. [{ anyOf: [{ required: [email] }, { required: [id] }], errorMessage: "need email or id" }]',
    },
  },
} as const;

export const manifestMetaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manifest_version', 'connector', 'server', 'entities'],
  properties: {
    manifest_version: { const: 1, description: 'this engine reads manifest_version: 1' },
    connector: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'version'],
      properties: {
        name: identifier,
        title: { type: 'string' },
        version: {
          type: 'string',
          pattern: '^\\d+\\.\\d+\\.\\d+',
          description: 'a semantic version such as 1.0.0 (quote it if YAML reads it as a number)',
        },
        definition_id: {
          type: 'string',
          pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
          description: 'a lowercase UUID',
        },
        description: { type: 'string' },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      required: ['base_url'],
      properties: {
        base_url: httpUrl,
        regions: { type: 'object', propertyNames: identifier, additionalProperties: httpUrl },
        variables: {
          type: 'object',
          propertyNames: identifier,
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              description: { type: 'string' },
              default: { type: 'string' },
              enum: { type: 'array', minItems: 1, items: { type: 'string' } },
              pattern: { type: 'string' },
              env: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', description: 'an environment variable name in UPPER_SNAKE_CASE' },
            },
          },
        },
      },
    },
    auth,
    headers: {
      type: 'object',
      propertyNames: headerName,
      additionalProperties: { type: 'string', description: 'header values are strings: quote numbers' },
    },
    api_version: {
      type: 'object',
      additionalProperties: false,
      required: ['header', 'default'],
      properties: {
        header: { type: 'string', minLength: 1 },
        default: { type: 'string', description: 'quote the version, e.g. "2.16", so YAML keeps it a string' },
      },
    },
    errors,
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'integer', minimum: 0, maximum: 20 },
        max_wait_ms: { type: 'integer', minimum: 0 },
        base_delay_ms: { type: 'integer', minimum: 0 },
        statuses: { type: 'array', items: { type: 'integer', minimum: 400, maximum: 599 } },
        server_error_limit: { type: 'integer', minimum: 0, maximum: 20 },
      },
    },
    pagination: { type: 'object', propertyNames: identifier, additionalProperties: paginationComponent },
    schemas: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$', description: 'schema names are identifiers such as Contact' },
      additionalProperties: { type: 'object' },
    },
    parameters: { type: 'object', propertyNames: identifier, additionalProperties: sharedParam },
    entities: {
      type: 'object',
      minProperties: 1,
      propertyNames: identifier,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['actions'],
        properties: {
          title: { type: 'string' },
          description: { type: 'string' },
          agent_fields: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { type: 'string', pattern: '^[^.\\s]+(\\.[^.\\s]+)*$', description: 'a dotted path into the record, e.g. custom_attributes.plan' },
            description: 'the fields of a record an agent gets by default, as dotted paths into the record schema',
          },
          sync: {
            type: 'object',
            additionalProperties: false,
            required: ['full'],
            properties: {
              id: { type: 'string', minLength: 1 },
              updated: { type: 'string', minLength: 1 },
              full: { type: 'string', minLength: 1, description: 'the list action that reads every record' },
              changes: {
                type: 'object',
                additionalProperties: false,
                required: ['action', 'param', 'filter'],
                properties: {
                  action: { type: 'string', minLength: 1 },
                  param: { type: 'string', minLength: 1 },
                  filter: { description: 'the filter, with "{since}" where the start of the window goes' },
                  lookback_s: { type: 'integer', minimum: 0 },
                  newest_first: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['param', 'value'],
                    properties: { param: { type: 'string', minLength: 1 }, value: {} },
                    description: 'the parameter and value that sort the feed newest first, e.g. { param: sort, value: { field: updated_at, order: descending } }',
                  },
                },
                description: 'how to read what changed since a checkpoint: { action, param, filter, lookback_s }',
              },
              page_size: { type: 'integer', minimum: 1 },
              indexes: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[^.\\s]+(\\.[^.\\s]+)*$' } },
              full_every_s: { type: 'integer', minimum: 1 },
            },
            description: 'how sync copies this entity into a context store: { full, changes?, id?, updated?, page_size?, indexes?, full_every_s? }',
          },
          actions: { type: 'object', minProperties: 1, propertyNames: identifier, additionalProperties: action },
        },
      },
    },
  },
} as const;
