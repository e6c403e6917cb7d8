/**
 * The execute API's routes, in one table: the router dispatches from it, `serve --help` lists
 * it and /openapi.json describes it, so the three cannot disagree. Handlers live in server.ts,
 * keyed by route id (the compiler insists on one per route).
 */

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/** What a body field must be; `string` means a non-empty one, `strings` a non-empty list of them. */
export type FieldType = 'string' | 'object' | 'boolean' | 'strings';

/** The JSON object a route takes: exactly these fields, the required ones present. */
export interface BodySpec {
  fields: Record<string, { type: FieldType; description: string; enum?: readonly string[] }>;
  required: readonly string[];
}

export interface Route {
  id: string;
  method: Method;
  /** `{name}` segments capture one path segment (percent-decoded). */
  path: string;
  /** One line: what it does and answers. */
  summary: string;
  /** Answered without an API key. */
  public?: boolean;
  body?: BodySpec;
}

const CHECK = {
  type: 'boolean',
  description:
    'true: first make one cheap call upstream with these credentials (the first list of the connector that needs no parameter, at its smallest page size); if it fails, nothing is stored.',
} as const;

const SCOPE = {
  type: 'string',
  enum: ['read', 'read_write'],
  description:
    '"read" (the default): the instance runs only operations that read (GET, and searches declared idempotent); a write answers 403 WRITE_NOT_ALLOWED. "read_write": every operation.',
} as const;

export const ROUTES = [
  { id: 'health', method: 'GET', path: '/healthz', public: true, summary: 'whether the server and its database can serve: 200 {"status":"ok"}, else 503' },
  { id: 'openapi', method: 'GET', path: '/openapi.json', public: true, summary: "this API as OpenAPI 3.1, with every loaded connector's operations and their parameters" },
  {
    id: 'listDefinitions',
    method: 'GET',
    path: '/api/v1/connectors/definitions',
    summary: 'the loaded connectors: credentials, auth methods, config fields, entities, actions and their parameters',
  },
  { id: 'listInstances', method: 'GET', path: '/api/v1/connectors/instances', summary: 'every instance (never its credentials)' },
  {
    id: 'createInstance',
    method: 'POST',
    path: '/api/v1/connectors/instances',
    summary: 'create an instance: {connector_definition_id, auth_config, name, config?, scope?, check?}; 201 (scope "read" unless "read_write" is asked)',
    body: {
      fields: {
        connector_definition_id: { type: 'string', description: 'The id of a loaded connector definition (GET /api/v1/connectors/definitions).' },
        auth_config: { type: 'object', description: "The connector's credentials, enough for one of its auth methods. Sealed at rest; never returned." },
        name: { type: 'string', description: 'A name for people.' },
        config: { type: 'object', description: "The connector's configuration (its server variables, e.g. a subdomain); not secret." },
        scope: SCOPE,
        check: CHECK,
      },
      required: ['connector_definition_id', 'auth_config', 'name'],
    },
  },
  { id: 'getInstance', method: 'GET', path: '/api/v1/connectors/instances/{id}', summary: 'one instance' },
  {
    id: 'updateInstance',
    method: 'PATCH',
    path: '/api/v1/connectors/instances/{id}',
    summary: 'rotate its credentials, rename it and/or change its scope: {auth_config?, name?, scope?, check?}',
    body: {
      fields: {
        auth_config: { type: 'object', description: 'New credentials, checked and sealed as on creation; they replace the stored ones.' },
        name: { type: 'string', description: 'A new name.' },
        scope: SCOPE,
        check: CHECK,
      },
      required: [],
    },
  },
  { id: 'deleteInstance', method: 'DELETE', path: '/api/v1/connectors/instances/{id}', summary: 'delete an instance; 204' },
  {
    id: 'execute',
    method: 'POST',
    path: '/api/v1/connectors/instances/{id}/execute',
    summary: 'run one operation: {entity, action, params?, fields?} -> {data, meta}; a write needs scope "read_write" (else 403)',
    body: {
      fields: {
        entity: { type: 'string', description: "An entity of the instance's connector." },
        action: { type: 'string', description: 'An action of that entity.' },
        params: { type: 'object', description: "The action's parameters." },
        fields: {
          type: 'strings',
          description: 'Keep only these fields of each record, as dotted paths (e.g. "custom_attributes.plan"), nesting kept; ["*"] or no fields: whole records. A field the record schema does not declare is a 400 before anything is sent.',
        },
      },
      required: ['entity', 'action'],
    },
  },
] as const satisfies readonly Route[];

export type RouteId = (typeof ROUTES)[number]['id'];

/** The routes that take a body. */
export type BodyRouteId = Extract<(typeof ROUTES)[number], { body: unknown }>['id'];

/** The body a route takes, if it takes one. */
export function bodyOf(id: BodyRouteId): BodySpec;
export function bodyOf(id: RouteId): BodySpec | undefined;
export function bodyOf(id: RouteId): BodySpec | undefined {
  const route: Route | undefined = ROUTES.find((r) => r.id === id);
  return route?.body;
}

/** A request's route and the values of its `{name}` segments. */
export type RouteMatch = { route: Route & { id: RouteId }; params: Record<string, string> } | { allow: Method[] } | undefined;

/**
 * The route of a method and path: the match, or the methods the path takes (a 405), or
 * undefined (a 404). `decode` turns one raw segment into its value (and may refuse it).
 */
export function matchRoute(method: string, pathname: string, decode: (segment: string) => string): RouteMatch {
  const segments = pathname.split('/').map(decode);
  const allow: Method[] = [];
  for (const route of ROUTES as readonly (Route & { id: RouteId })[]) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allow.push(route.method);
  }
  return allow.length ? { allow } : undefined;
}

function matchPath(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (part !== segment) return undefined;
    } else if (segment === '') return undefined;
    else params[name] = segment;
  }
  return params;
}

/** The route table as help text: one line per route, method, path and what it does. */
export function routeHelp(indent = '  '): string {
  const width = Math.max(...ROUTES.map((r) => r.path.length));
  return ROUTES.map((r) => `${indent}${r.method.padEnd(6)} ${r.path.padEnd(width)}  ${r.summary}${'public' in r && r.public ? ' (no API key)' : ''}`).join('\n');
}
