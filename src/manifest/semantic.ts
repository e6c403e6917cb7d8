import { templateNames } from '../auth/template.js';
import { patternIssue } from '../regex.js';
import { closest } from '../suggest.js';
import { fieldPathIssue } from './record-fields.js';
import type { RawIssue } from './structure.js';
import type {
  ActionSpec,
  AuthMethod,
  AuthSpec,
  ErrorSpec,
  JsonSchema,
  Manifest,
  PaginationSpec,
  ParamSpec,
  RecordsSpec,
  SyncSpec,
  ValueSource,
} from './types.js';

type Raw = Record<string, any>;
type At = (string | number)[];

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Rules that need the whole document: references resolve, path placeholders match path
 * parameters, templates name declared credentials, lists name their records and a
 * strategy whose parameters they declare. Shorthands are expanded (a single auth method
 * inline, `errors.list`, `records: path`, `status: 403`), so the runtime reads one form.
 * Runs only on a manifest that passed the meta-schema, so shapes can be trusted.
 */
export function analyze(raw: Raw, source: string): { issues: RawIssue[]; manifest?: Manifest } {
  const issues: RawIssue[] = [];
  const schemas: Record<string, JsonSchema> = raw.schemas ?? {};
  const sharedParams: Record<string, Raw> = raw.parameters ?? {};
  const strategies: Record<string, PaginationSpec> = raw.pagination ?? {};
  const variables: Record<string, Raw> = raw.server.variables ?? {};

  checkSchemaRefs(raw, schemas, issues);
  checkRefCycles(schemas, issues);
  checkServer(raw.server, variables, issues);
  const auth = normalizeAuth(raw.auth ?? {}, variables, issues);
  const errors = normalizeErrors(raw.errors ?? {});
  for (const [name, s] of Object.entries(strategies)) checkStrategy(s, ['pagination', name], issues);

  const entities: Manifest['entities'] = {};
  for (const [entityName, entity] of Object.entries<Raw>(raw.entities)) {
    const actions: Record<string, ActionSpec> = {};
    for (const [actionName, action] of Object.entries<Raw>(entity.actions)) {
      const at = ['entities', entityName, 'actions', actionName];
      const params = resolveParams(action.params ?? {}, sharedParams, action.method, at, issues);
      const records: RecordsSpec | undefined = typeof action.records === 'string' ? { path: action.records } : action.records;
      const strategy = checkListShape(action, records, params, strategies, at, issues);
      checkPath(action.path, params, strategy, at, issues);
      checkWrites(action, at, issues);
      const { records: _r, ...rest } = action;
      actions[actionName] = { ...(rest as ActionSpec), params, ...(records ? { records } : {}) };
    }
    checkAgentFields(entity.agent_fields, actions, schemas, ['entities', entityName, 'agent_fields'], issues);
    if (entity.sync) checkSync(entity.sync as SyncSpec, actions, ['entities', entityName, 'sync'], issues);
    entities[entityName] = { ...(entity as Manifest['entities'][string]), actions };
  }

  if (issues.length > 0) return { issues };
  return {
    issues,
    manifest: {
      source,
      manifest_version: raw.manifest_version,
      connector: raw.connector,
      server: raw.server,
      auth,
      headers: raw.headers ?? {},
      api_version: raw.api_version,
      errors,
      retry: raw.retry,
      pagination: strategies,
      schemas,
      entities,
    },
  };
}

function known(map: object): string {
  const names = Object.keys(map);
  return names.length ? ` (declared: ${names.join(', ')})` : ' (none are declared)';
}

/** Every `$ref` outside a parameter's own `$ref` must name an entry of `schemas`. */
function checkSchemaRefs(raw: Raw, schemas: Record<string, JsonSchema>, issues: RawIssue[]): void {
  const visit = (node: unknown, path: At): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, [...path, i]));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') {
        // A parameter's own reference points at #/parameters; it is checked where parameters are resolved.
        if (path.length === 6 && path[0] === 'entities' && path[4] === 'params') continue;
        const match = typeof value === 'string' ? /^#\/schemas\/([A-Za-z0-9_]+)$/.exec(value) : null;
        if (!match) {
          issues.push({ path: [...path, key], message: `${JSON.stringify(value)} is not a schema reference: write "#/schemas/<Name>"` });
        } else if (!Object.hasOwn(schemas, match[1]!)) {
          issues.push({ path: [...path, key], message: `"${value}" does not resolve: no schema named "${match[1]}" under schemas${known(schemas)}` });
        }
        continue;
      }
      visit(value, [...path, key]);
    }
  };
  for (const section of ['schemas', 'entities']) visit(raw[section], [section]);
}

/** Keywords whose subschemas apply to the same value: a `$ref` cycle through them never reaches data. */
const SAME_VALUE = ['allOf', 'anyOf', 'oneOf'];
const SAME_VALUE_ONE = ['not', 'if', 'then', 'else'];

/**
 * `A: { $ref: A }`, `A → B → A`, or a cycle through allOf/anyOf/oneOf: each step checks the
 * same value again, so a validator (or a type generator) would recurse forever. A cycle that
 * passes through `properties` or `items` is a recursive structure and fine.
 */
function checkRefCycles(schemas: Record<string, JsonSchema>, issues: RawIssue[]): void {
  const edges = new Map<string, { to: string; at: At }[]>();
  const collect = (node: unknown, at: At, out: { to: string; at: At }[]) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as Raw;
    const m = typeof s.$ref === 'string' ? /^#\/schemas\/([A-Za-z0-9_]+)$/.exec(s.$ref) : null;
    if (m) out.push({ to: m[1]!, at: [...at, '$ref'] });
    for (const k of SAME_VALUE) if (Array.isArray(s[k])) s[k].forEach((sub: unknown, i: number) => collect(sub, [...at, k, i], out));
    for (const k of SAME_VALUE_ONE) collect(s[k], [...at, k], out);
  };
  for (const [name, schema] of Object.entries(schemas)) {
    const out: { to: string; at: At }[] = [];
    collect(schema, ['schemas', name], out);
    edges.set(name, out);
  }
  const state = new Map<string, 'open' | 'done'>();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    state.set(name, 'open');
    for (const edge of edges.get(name) ?? []) {
      if (!Object.hasOwn(schemas, edge.to)) continue;
      if (state.get(edge.to) === 'open') {
        const cycle = [...trail.slice(trail.indexOf(edge.to)), name, edge.to];
        const key = [...cycle].sort().join();
        if (!reported.has(key)) {
          reported.add(key);
          issues.push({
            path: edge.at,
            message: `a $ref cycle that never reaches data (${cycle.join(' → ')}): every step checks the same value again. Put the recursion under properties or items, or remove a reference`,
          });
        }
      } else if (state.get(edge.to) === undefined) visit(edge.to, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of Object.keys(schemas)) if (!state.has(name)) visit(name, []);
}

function checkServer(server: Raw, variables: Record<string, Raw>, issues: RawIssue[]): void {
  const urls: [At, string][] = [[['server', 'base_url'], server.base_url]];
  for (const [name, url] of Object.entries<string>(server.regions ?? {})) urls.push([['server', 'regions', name], url]);
  for (const [at, url] of urls) {
    for (const name of templateNames(url)) {
      if (!Object.hasOwn(variables, name)) {
        issues.push({ path: at, message: `"{${name}}" in the URL is not a server variable: declare server.variables.${name} (with its env and pattern)` });
      }
    }
  }
  for (const [name, v] of Object.entries(variables)) {
    const bad = typeof v.pattern === 'string' ? patternIssue(v.pattern) : undefined;
    if (bad) issues.push({ path: ['server', 'variables', name, 'pattern'], message: bad });
  }
}

const METHOD_KEYS = ['type', 'token', 'credential', 'username', 'password', 'in', 'name', 'value', 'grant', 'token_url', 'client_id', 'client_secret', 'refresh_token', 'access_token', 'scopes', 'client_auth', 'refresh_before_s', 'body_format', 'header', 'prefix', 'headers', 'description'];

/** `auth` in its one normalised form: credentials and a list of methods, each with an id and complete templates. */
function normalizeAuth(raw: Raw, variables: Record<string, Raw>, issues: RawIssue[]): AuthSpec {
  const credentials: AuthSpec['credentials'] = raw.credentials ?? {};
  const inline = METHOD_KEYS.filter((k) => raw[k] !== undefined);
  const entries: [string, Raw, At][] = [];
  if (raw.methods !== undefined) {
    if (inline.length) issues.push({ path: ['auth', inline[0]!], atKey: true, message: `put each method under auth.methods: "${inline[0]}" cannot sit beside methods` });
    for (const [id, m] of Object.entries<Raw>(raw.methods)) entries.push([id, m, ['auth', 'methods', id]]);
  } else if (inline.length) {
    if (raw.type === undefined) issues.push({ path: ['auth'], message: `an auth method needs a type (${['bearer', 'basic', 'api_key', 'oauth2', 'none'].join(', ')})` });
    else entries.push([raw.type, Object.fromEntries(inline.map((k) => [k, raw[k]])), ['auth']]);
  } else entries.push(['none', { type: 'none' }, ['auth']]);

  const methods: AuthMethod[] = [];
  for (const [id, m, at] of entries) {
    if (m.credential !== undefined && !Object.hasOwn(credentials, m.credential)) {
      issues.push({ path: [...at, 'credential'], message: `credential "${m.credential}" is not declared under auth.credentials${known(credentials)}` });
      continue;
    }
    const method = normalizeMethod(id, m, at, issues);
    if (!method) continue;
    const texts: [(string | number)[], string][] = [];
    for (const [field, text] of Object.entries(method)) {
      if (typeof text !== 'string' || ['type', 'id', 'in', 'name', 'grant', 'client_auth', 'body_format', 'header', 'prefix'].includes(field)) continue;
      texts.push([[field in m ? field : 'credential'], text]);
    }
    for (const [h, text] of Object.entries<string>(method.headers ?? {})) texts.push([['headers', h], text]);
    for (const [where, text] of texts) {
      for (const name of templateNames(text)) {
        if (!Object.hasOwn(credentials, name) && !Object.hasOwn(variables, name)) {
          issues.push({ path: [...at, ...where], message: `"{${name}}" is not a declared credential or server variable${known(credentials)}` });
        }
      }
    }
    methods.push(method);
  }
  return { credentials, methods };
}

function normalizeMethod(id: string, m: Raw, at: At, issues: RawIssue[]): AuthMethod | undefined {
  const fromCredential = (field: string): string | undefined => (m[field] !== undefined ? m[field] : m.credential !== undefined ? `{${m.credential}}` : undefined);
  const method = normalizeType(id, m, at, issues, fromCredential);
  if (method && m.headers !== undefined && method.type !== 'oauth2') method.headers = m.headers;
  return method;
}

function normalizeType(id: string, m: Raw, at: At, issues: RawIssue[], fromCredential: (field: string) => string | undefined): AuthMethod | undefined {
  switch (m.type) {
    case 'bearer': {
      const token = fromCredential('token');
      if (token === undefined) {
        issues.push({ path: at, message: 'bearer auth needs `credential: <name>` naming the credential sent as the token (or `token: "{name}"`)' });
        return undefined;
      }
      return { type: 'bearer', id, token };
    }
    case 'basic':
      return { type: 'basic', id, username: m.username, password: m.password ?? '' };
    case 'api_key': {
      const value = fromCredential('value');
      if (value === undefined) {
        issues.push({ path: at, message: 'api_key auth needs `credential: <name>` or `value: "{name}"` (with any prefix, e.g. "Token {api_key}")' });
        return undefined;
      }
      return { type: 'api_key', id, in: m.in, name: m.name, value };
    }
    case 'oauth2': {
      if (m.grant === 'refresh_token' && m.refresh_token === undefined) {
        issues.push({ path: at, message: 'the refresh_token grant needs `refresh_token: "{<credential>}"`' });
      }
      const { description: _d, ...rest } = m;
      return { ...(rest as object), type: 'oauth2', id } as AuthMethod;
    }
    default:
      return { type: 'none', id };
  }
}

function sources(value: unknown): ValueSource[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? { path: v } : (v as ValueSource)));
}

/** `errors` in its one normalised form. */
function normalizeErrors(raw: Raw): ErrorSpec {
  const details = [...(raw.details ?? [])];
  if (raw.list !== undefined) details.unshift({ path: raw.list, code: raw.code ?? 'code', message: raw.message ?? 'message' });
  return {
    request_id: sources(raw.request_id),
    details,
    rules: (raw.rules ?? []).map((r: Raw) => ({
      ...r,
      status: Array.isArray(r.status) ? r.status : [r.status],
      ...(r.body ? { body: { ...r.body, ...(r.body.equals !== undefined ? { equals: String(r.body.equals) } : {}) } } : {}),
    })),
    ...(raw.rate_limit ? { rate_limit: raw.rate_limit } : {}),
  };
}

function checkStrategy(s: Raw, at: At, issues: RawIssue[]): void {
  if (s.type === 'cursor') {
    const sources = ['next', 'next_header', 'last_record'].filter((k) => s[k] !== undefined);
    if (sources.length !== 1) {
      issues.push({ path: at, message: 'a cursor strategy reads its next cursor from exactly one of `next` (body path), `next_header` or `last_record` (a field of the last record)' });
    }
    if (s.inject?.in === 'path') issues.push({ path: [...at, 'inject', 'in'], message: 'a cursor cannot go in the path: the first page has none. Use query, header or body' });
  }
  if (s.type === 'next_url' && s.next !== undefined && s.link_rel !== undefined) {
    issues.push({ path: at, message: 'a next_url strategy reads the URL from `next` (body path) or the Link header (`link_rel`), not both' });
  }
  if (s.type === 'page_number' && s.scroll !== undefined && s.total === undefined) {
    issues.push({ path: [...at, 'scroll'], message: 'the scroll takes over when the first page reports more than `after` records: declare `total` (the body path of the record count)' });
  }
  if (s.type === 'page_number' && s.inject !== undefined && s.page_param !== undefined) {
    issues.push({ path: [...at, 'page_param'], message: '`page_param` is the short form of `inject: { in: query, name }`: give one of them' });
  }
  if (s.stop_on_short_page && s.page_size === undefined && s.page_size_param === undefined) {
    issues.push({ path: [...at, 'stop_on_short_page'], message: 'a short page can only be told with a page size: add `page_size` (the API default) or `page_size_param`' });
  }
}

function resolveParams(declared: Record<string, Raw>, shared: Record<string, Raw>, method: string, at: At, issues: RawIssue[]): Record<string, ParamSpec> {
  const params: Record<string, ParamSpec> = {};
  for (const [name, decl] of Object.entries(declared)) {
    let merged: Raw = decl;
    if (decl.$ref !== undefined) {
      const target = String(decl.$ref).slice('#/parameters/'.length);
      if (!Object.hasOwn(shared, target)) {
        issues.push({ path: [...at, 'params', name, '$ref'], message: `"${decl.$ref}" does not resolve: no parameter named "${target}" under parameters${known(shared)}` });
        continue;
      }
      const { $ref: _ref, ...overrides } = decl;
      merged = { ...shared[target], ...overrides };
    }
    const where = [...at, 'params', name];
    checkParamKeywords(merged, where, issues);
    const bad = typeof merged.pattern === 'string' ? patternIssue(merged.pattern) : undefined;
    if (bad) issues.push({ path: [...where, 'pattern'], message: bad });
    const location = merged.in ?? 'query';
    if (location === 'body' && method === 'GET') {
      issues.push({ path: [...where, 'in'], message: 'a GET request has no body: use `in: query`, or make the action a POST' });
    }
    if ((merged.type === 'object' || merged.type === 'array') && (location === 'path' || location === 'header')) {
      issues.push({ path: [...where, 'type'], message: `an ${merged.type} cannot go in the ${location}: use query or body` });
    }
    if (merged.style !== undefined && !(merged.type === 'array' && location === 'query')) {
      issues.push({ path: [...where, 'style'], message: '`style` says how an array goes into the query: it applies to `type: array` with `in: query`' });
    }
    params[name] = { ...merged, in: location, required: merged.required ?? false } as ParamSpec;
  }
  return params;
}

function checkPath(path: string, params: Record<string, ParamSpec>, strategy: PaginationSpec | undefined, at: At, issues: RawIssue[]): void {
  const stripped = path.replace(PLACEHOLDER, '');
  if (stripped.includes('{') || stripped.includes('}')) {
    issues.push({ path: [...at, 'path'], message: `unbalanced "{" or "}" in "${path}"; write placeholders as {name}` });
  }
  // A page number or offset placed in the path fills its own placeholder.
  const paged = strategy && (strategy.type === 'page_number' || strategy.type === 'offset') && strategy.inject?.in === 'path' ? strategy.inject.name : undefined;
  const placeholders = new Set<string>();
  for (const [, name] of path.matchAll(PLACEHOLDER)) {
    placeholders.add(name!);
    if (name === paged) continue;
    const param = params[name!];
    if (!/^[a-z][a-z0-9_]*$/.test(name!)) {
      issues.push({ path: [...at, 'path'], message: `placeholder "{${name}}" is not a parameter name; use lower snake_case such as {id}` });
    } else if (!param) {
      issues.push({ path: [...at, 'path'], message: `placeholder "{${name}}" has no parameter: add params.${name} with \`in: path\` and \`required: true\`` });
    } else if (param.in !== 'path') {
      issues.push({ path: [...at, 'params', name!], message: `"${name}" fills {${name}} in the path, so it needs \`in: path\`` });
    }
  }
  if (paged !== undefined && !placeholders.has(paged)) {
    issues.push({ path: [...at, 'path'], message: `the pagination puts its token in the path as {${paged}}: add {${paged}} to "${path}"` });
  }
  for (const [name, param] of Object.entries(params)) {
    if (param.in !== 'path') continue;
    if (!placeholders.has(name)) {
      issues.push({ path: [...at, 'params', name], message: `path parameter "${name}" does not appear in the path "${path}"; add {${name}} to it or change \`in\`` });
    } else if (!param.required) {
      issues.push({ path: [...at, 'params', name], message: `path parameter "${name}" must have \`required: true\`` });
    }
  }
}

/** A list names its records and a strategy whose parameters it declares; returns the strategy. */
function checkListShape(
  action: Raw,
  records: RecordsSpec | undefined,
  params: Record<string, ParamSpec>,
  strategies: Record<string, PaginationSpec>,
  at: At,
  issues: RawIssue[],
): PaginationSpec | undefined {
  if (records !== undefined && action.unwrap !== undefined) {
    issues.push({ path: [...at, 'unwrap'], message: '`unwrap` is for actions that return one record; a list says where its records are with `records`' });
  }
  if (records !== undefined && action.pagination === undefined) {
    issues.push({ path: at, message: `a list (it has \`records\`) must name its pagination strategy: add \`pagination:\` with one of${known(strategies)}, or { type: none }` });
  }
  if (action.pagination === undefined) return undefined;
  if (records === undefined) {
    issues.push({ path: [...at, 'pagination'], message: 'a paginated action must say where its records are: add `records: <dotted path of the array in the response>`' });
  }
  let strategy: PaginationSpec | undefined;
  if (typeof action.pagination === 'string') {
    strategy = Object.hasOwn(strategies, action.pagination) ? strategies[action.pagination] : undefined;
    if (!strategy) {
      issues.push({ path: [...at, 'pagination'], message: `unknown pagination strategy "${action.pagination}"; declare it under \`pagination\` or use one of${known(strategies)}` });
      return undefined;
    }
  } else {
    strategy = action.pagination as PaginationSpec;
    checkStrategy(strategy as Raw, [...at, 'pagination'], issues);
  }
  if (strategy.type === 'none') return strategy;
  const name = typeof action.pagination === 'string' ? `strategy "${action.pagination}"` : 'the pagination';
  const cursor = params[strategy.param];
  if (!cursor) {
    issues.push({ path: [...at, 'params'], message: `${name} takes its cursor in "${strategy.param}": declare params.${strategy.param} (type: string) so callers can pass it` });
  } else if (cursor.type !== 'string' || cursor.in === 'path') {
    issues.push({ path: [...at, 'params', strategy.param], message: `the cursor parameter "${strategy.param}" must be \`type: string\` (not in the path)` });
  }
  if (strategy.page_size_param !== undefined) {
    const size = params[strategy.page_size_param];
    if (!size) issues.push({ path: [...at, 'params'], message: `${name} sets the page size with "${strategy.page_size_param}": declare params.${strategy.page_size_param} (type: integer)` });
    else if (size.type !== 'integer') issues.push({ path: [...at, 'params', strategy.page_size_param], message: `the page size parameter "${strategy.page_size_param}" must be \`type: integer\`` });
  }
  return strategy;
}

/** A sync reads with list actions of its own entity; the change feed's filter says where its window starts. */
function checkSync(sync: SyncSpec, actions: Record<string, ActionSpec>, at: At, issues: RawIssue[]): void {
  const listAction = (name: string, where: At) => {
    const a = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!a) issues.push({ path: where, message: `"${name}" is not an action of this entity; name one of ${Object.keys(actions).join(', ')}` });
    else if (!a.records) issues.push({ path: where, message: `"${name}" returns one record; a sync reads with a list action` });
    return a;
  };
  listAction(sync.full, [...at, 'full']);
  if (!sync.changes) return;
  const feed = listAction(sync.changes.action, [...at, 'changes', 'action']);
  if (feed && !Object.hasOwn(feed.params, sync.changes.param)) {
    issues.push({ path: [...at, 'changes', 'param'], message: `"${sync.changes.action}" has no parameter "${sync.changes.param}"; its parameters: ${Object.keys(feed.params).join(', ')}` });
  }
  const sorted = sync.changes.newest_first;
  if (feed && sorted && !Object.hasOwn(feed.params, sorted.param)) {
    issues.push({ path: [...at, 'changes', 'newest_first', 'param'], message: `"${sync.changes.action}" has no parameter "${sorted.param}"; its parameters: ${Object.keys(feed.params).join(', ')}` });
  }
  if (!JSON.stringify(sync.changes.filter ?? null).includes('"{since}"')) {
    issues.push({ path: [...at, 'changes', 'filter'], message: 'the filter must hold the string "{since}" where the start of the window goes, e.g. { field: updated_at, operator: ">", value: "{since}" }' });
  }
}

/** Every path of `agent_fields` names a field the records of the entity's actions can hold. */
function checkAgentFields(fields: unknown, actions: Record<string, ActionSpec>, schemas: Record<string, JsonSchema>, at: At, issues: RawIssue[]): void {
  if (!Array.isArray(fields)) return;
  fields.forEach((path: string, i: number) => {
    for (const [name, action] of Object.entries(actions)) {
      const issue = fieldPathIssue(path, action.record, schemas);
      if (!issue) continue;
      const records = `the records of ${at[1]}.${name}`;
      if (issue.scalar) {
        issues.push({ path: [...at, i], message: `"${issue.at}" of ${records} is a ${issue.scalar}: it has no field "${issue.step}"` });
        return;
      }
      const where = issue.at ? `"${issue.at}" of ${records}` : records;
      const guess = closest(issue.step, issue.known);
      issues.push({
        path: [...at, i],
        message: `"${issue.step}" is not a field of ${where}${guess ? `; did you mean "${guess}"?` : ''} (declared: ${issue.known.join(', ')})`,
      });
      return;
    }
  });
}

function checkWrites(action: Raw, at: At, issues: RawIssue[]): void {
  if (action.method === 'GET' && action.body !== undefined) issues.push({ path: [...at, 'body'], message: 'a GET request has no body: make the action a POST, or move the values to `query`' });
  if (action.method === 'GET' && action.idempotency_key !== undefined) {
    issues.push({ path: [...at, 'idempotency_key'], message: 'GET requests are always safe to repeat: an idempotency key is for writes' });
  }
  if (action.body_format !== undefined && action.method === 'GET') issues.push({ path: [...at, 'body_format'], message: 'a GET request has no body to format' });
}

const NUMERIC_ONLY = ['minimum', 'maximum'];
const STRING_ONLY = ['minLength', 'maxLength', 'pattern'];
const ARRAY_ONLY = ['items', 'minItems', 'maxItems'];
const OBJECT_ONLY = ['properties', 'additionalProperties'];

/** Limits must fit the parameter's type, and its enum and default must be of that type. */
function checkParamKeywords(p: Raw, at: At, issues: RawIssue[]): void {
  const numeric = p.type === 'integer' || p.type === 'number';
  const fitsType = (keys: string[], ok: boolean, types: string) => {
    for (const k of keys) if (p[k] !== undefined && !ok) issues.push({ path: [...at, k], message: `${k} applies to ${types} parameters, not ${p.type}` });
  };
  fitsType(NUMERIC_ONLY, numeric, 'integer and number');
  fitsType(STRING_ONLY, p.type === 'string', 'string');
  fitsType(ARRAY_ONLY, p.type === 'array', 'array');
  fitsType(OBJECT_ONLY, p.type === 'object', 'object');
  fitsType(['schema'], p.type === 'object' || p.type === 'array', 'object and array');
  const fits = (v: unknown) =>
    p.type === 'integer'
      ? Number.isInteger(v)
      : p.type === 'number'
        ? typeof v === 'number'
        : p.type === 'array'
          ? Array.isArray(v)
          : p.type === 'object'
            ? v !== null && typeof v === 'object' && !Array.isArray(v)
            : typeof v === p.type;
  const a = p.type === 'integer' || p.type === 'array' || p.type === 'object' ? 'an' : 'a';
  if (Array.isArray(p.enum) && !p.enum.every(fits)) issues.push({ path: [...at, 'enum'], message: `every enum value must be ${a} ${p.type}` });
  if (p.default !== undefined && !fits(p.default)) issues.push({ path: [...at, 'default'], message: `the default must be ${a} ${p.type}` });
}
