/**
 * JSON Schema of the manifest format itself. Structural rules live here; rules that need
 * the whole document (references, path placeholders) live in `semantic.ts`.
 *
 * A `description` on a sub-schema doubles as the fix hint shown when that part is wrong.
 */
const identifier = {
  type: 'string',
  pattern: '^[a-z][a-z0-9_]*$',
  description: 'use lower snake_case: a lowercase letter, then lowercase letters, digits or _',
} as const;

const dottedPath = {
  type: 'string',
  pattern: '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$',
  description: 'a dotted path into the response body, e.g. pages.next.starting_after',
} as const;

const ref = (target: string) => ({
  type: 'string',
  pattern: `^#/${target}/[A-Za-z0-9_]+$`,
  description: `a reference of the form "#/${target}/<Name>"`,
});

const paramProperties = {
  $ref: ref('parameters'),
  type: { enum: ['string', 'integer', 'number', 'boolean'] },
  in: { enum: ['query', 'path', 'header'] },
  required: { type: 'boolean' },
  description: { type: 'string' },
  wire_name: { type: 'string', minLength: 1 },
  default: { type: ['string', 'number', 'boolean'] },
  enum: { type: 'array', minItems: 1, items: { type: ['string', 'number'] } },
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  minLength: { type: 'integer', minimum: 0 },
  maxLength: { type: 'integer', minimum: 0 },
  pattern: { type: 'string' },
} as const;

const param = {
  type: 'object',
  additionalProperties: false,
  properties: paramProperties,
  // A parameter either points at a shared one or says its type.
  anyOf: [{ required: ['$ref'] }, { required: ['type'] }],
  description: 'give the parameter a `type` (string, integer, number or boolean) or a `$ref` to #/parameters/<name>',
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
    records: dottedPath,
    record: { type: 'object' },
    pagination: { type: 'string' },
  },
} as const;

const pagination = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['cursor', 'page_number', 'none'] } },
  allOf: [
    {
      if: { properties: { type: { const: 'cursor' } } },
      then: {
        additionalProperties: false,
        required: ['param', 'next'],
        properties: { type: true, param: identifier, next: dottedPath, page_size_param: identifier, total: dottedPath },
      },
    },
    {
      if: { properties: { type: { const: 'page_number' } } },
      then: {
        additionalProperties: false,
        required: ['param', 'page_param', 'current_page', 'total_pages'],
        properties: {
          type: true,
          param: identifier,
          page_param: { type: 'string', minLength: 1 },
          page_size_param: identifier,
          current_page: dottedPath,
          total_pages: dottedPath,
          first_page: { type: 'integer', minimum: 0 },
          total: dottedPath,
        },
      },
    },
    {
      if: { properties: { type: { const: 'none' } } },
      then: { additionalProperties: false, properties: { type: true } },
    },
  ],
} as const;

export const manifestMetaSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manifest_version', 'connector', 'server', 'auth', 'entities'],
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
        base_url: {
          type: 'string',
          pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$',
          description: 'an http(s) URL with no query or fragment, e.g. https://api.example.com',
        },
        regions: {
          type: 'object',
          propertyNames: identifier,
          additionalProperties: {
            type: 'string',
            pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$',
            description: 'an http(s) URL with no query or fragment',
          },
        },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { enum: ['bearer', 'none'] },
        credential: identifier,
        credentials: {
          type: 'object',
          propertyNames: identifier,
          additionalProperties: {
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
          },
        },
      },
    },
    headers: {
      type: 'object',
      propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", description: 'a valid HTTP header name' },
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
    errors: {
      type: 'object',
      additionalProperties: false,
      properties: {
        request_id: dottedPath,
        list: dottedPath,
        code: { type: 'string' },
        message: { type: 'string' },
        rate_limit: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'string' }, remaining: { type: 'string' }, reset: { type: 'string' } },
        },
      },
    },
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
    pagination: { type: 'object', propertyNames: identifier, additionalProperties: pagination },
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
          actions: { type: 'object', minProperties: 1, propertyNames: identifier, additionalProperties: action },
        },
      },
    },
  },
} as const;
