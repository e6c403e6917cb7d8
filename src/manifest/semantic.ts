import type { RawIssue } from './structure.js';
import type { ActionSpec, JsonSchema, Manifest, PaginationSpec, ParamSpec } from './types.js';

type Raw = Record<string, any>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Rules that need the whole document: references resolve, path placeholders match path
 * parameters, list actions name their records and an existing pagination strategy.
 * Runs only on a manifest that passed the meta-schema, so shapes can be trusted.
 * Returns the manifest with every parameter `$ref` resolved when there are no issues.
 */
export function analyze(raw: Raw, source: string): { issues: RawIssue[]; manifest?: Manifest } {
  const issues: RawIssue[] = [];
  const schemas: Record<string, JsonSchema> = raw.schemas ?? {};
  const sharedParams: Record<string, Raw> = raw.parameters ?? {};
  const strategies: Record<string, PaginationSpec> = raw.pagination ?? {};

  checkSchemaRefs(raw, schemas, issues);

  const auth = raw.auth as Raw;
  const credentials: Record<string, Raw> = auth.credentials ?? {};
  if (auth.type === 'bearer') {
    if (auth.credential === undefined) {
      issues.push({ path: ['auth'], message: 'bearer auth needs `credential: <name>` naming the credential sent as the token' });
    } else if (!(auth.credential in credentials)) {
      issues.push({
        path: ['auth', 'credential'],
        message: `credential "${auth.credential}" is not declared under auth.credentials${known(credentials)}`,
      });
    }
  }

  const entities: Manifest['entities'] = {};
  for (const [entityName, entity] of Object.entries<Raw>(raw.entities)) {
    const actions: Record<string, ActionSpec> = {};
    for (const [actionName, action] of Object.entries<Raw>(entity.actions)) {
      const at = ['entities', entityName, 'actions', actionName];
      const params = resolveParams(action.params ?? {}, sharedParams, at, issues);
      checkPath(action.path, params, at, issues);
      checkListShape(action, params, strategies, at, issues);
      actions[actionName] = { ...(action as ActionSpec), params };
    }
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
      auth: { type: auth.type, credential: auth.credential, credentials: credentials as Manifest['auth']['credentials'] },
      headers: raw.headers ?? {},
      api_version: raw.api_version,
      errors: raw.errors ?? {},
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

/** Every `$ref` outside `params` must name an entry of `schemas`. */
function checkSchemaRefs(raw: Raw, schemas: Record<string, JsonSchema>, issues: RawIssue[]): void {
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, [...path, i]));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      // Parameter references are checked where parameters are resolved.
      if (key === 'params' && path.length === 4 && path[0] === 'entities') continue;
      if (key === '$ref') {
        const match = typeof value === 'string' ? /^#\/schemas\/([A-Za-z0-9_]+)$/.exec(value) : null;
        if (!match) {
          issues.push({
            path: [...path, key],
            message: `${JSON.stringify(value)} is not a schema reference: write "#/schemas/<Name>"`,
          });
        } else if (!(match[1]! in schemas)) {
          issues.push({
            path: [...path, key],
            message: `"${value}" does not resolve: no schema named "${match[1]}" under schemas${known(schemas)}`,
          });
        }
        continue;
      }
      visit(value, [...path, key]);
    }
  };
  for (const section of ['schemas', 'entities']) visit(raw[section], [section]);
}

function resolveParams(
  declared: Record<string, Raw>,
  shared: Record<string, Raw>,
  at: string[],
  issues: RawIssue[],
): Record<string, ParamSpec> {
  const params: Record<string, ParamSpec> = {};
  for (const [name, decl] of Object.entries(declared)) {
    let merged: Raw = decl;
    if (decl.$ref !== undefined) {
      const target = String(decl.$ref).slice('#/parameters/'.length);
      if (!(target in shared)) {
        issues.push({
          path: [...at, 'params', name, '$ref'],
          message: `"${decl.$ref}" does not resolve: no parameter named "${target}" under parameters${known(shared)}`,
        });
        continue;
      }
      const { $ref: _ref, ...overrides } = decl;
      merged = { ...shared[target], ...overrides };
    }
    checkParamKeywords(merged, [...at, 'params', name], issues);
    if (typeof merged.pattern === 'string' && !isRegExp(merged.pattern)) {
      issues.push({ path: [...at, 'params', name, 'pattern'], message: `${JSON.stringify(merged.pattern)} is not a valid regular expression` });
    }
    params[name] = { ...merged, in: merged.in ?? 'query', required: merged.required ?? false } as ParamSpec;
  }
  return params;
}

function checkPath(path: string, params: Record<string, ParamSpec>, at: string[], issues: RawIssue[]): void {
  const stripped = path.replace(PLACEHOLDER, '');
  if (stripped.includes('{') || stripped.includes('}')) {
    issues.push({ path: [...at, 'path'], message: `unbalanced "{" or "}" in "${path}"; write placeholders as {name}` });
  }
  const placeholders = new Set<string>();
  for (const [, name] of path.matchAll(PLACEHOLDER)) {
    placeholders.add(name!);
    const param = params[name!];
    if (!/^[a-z][a-z0-9_]*$/.test(name!)) {
      issues.push({ path: [...at, 'path'], message: `placeholder "{${name}}" is not a parameter name; use lower snake_case such as {id}` });
    } else if (!param) {
      issues.push({
        path: [...at, 'path'],
        message: `placeholder "{${name}}" has no parameter: add params.${name} with \`in: path\` and \`required: true\``,
      });
    } else if (param.in !== 'path') {
      issues.push({ path: [...at, 'params', name!], message: `"${name}" fills {${name}} in the path, so it needs \`in: path\`` });
    }
  }
  for (const [name, param] of Object.entries(params)) {
    if (param.in !== 'path') continue;
    if (!placeholders.has(name)) {
      issues.push({
        path: [...at, 'params', name],
        message: `path parameter "${name}" does not appear in the path "${path}"; add {${name}} to it or change \`in\``,
      });
    } else if (!param.required) {
      issues.push({ path: [...at, 'params', name], message: `path parameter "${name}" must have \`required: true\`` });
    }
  }
}

function checkListShape(
  action: Raw,
  params: Record<string, ParamSpec>,
  strategies: Record<string, PaginationSpec>,
  at: string[],
  issues: RawIssue[],
): void {
  if (action.records !== undefined && action.pagination === undefined) {
    issues.push({
      path: at,
      message: `a list (it has \`records\`) must name its pagination strategy: add \`pagination:\` with one of${known(strategies)}`,
    });
  }
  if (action.pagination === undefined) return;
  if (action.records === undefined) {
    issues.push({
      path: [...at, 'pagination'],
      message: 'a paginated action must say where its records are: add `records: <dotted path of the array in the response>`',
    });
  }
  const strategy = strategies[action.pagination];
  if (!strategy) {
    issues.push({
      path: [...at, 'pagination'],
      message: `unknown pagination strategy "${action.pagination}"; declare it under \`pagination\` or use one of${known(strategies)}`,
    });
    return;
  }
  if (strategy.type === 'none') return;
  const cursor = params[strategy.param];
  if (!cursor) {
    issues.push({
      path: [...at, 'params'],
      message: `strategy "${action.pagination}" takes its cursor in "${strategy.param}": declare params.${strategy.param} (type: string) so callers can pass it`,
    });
  } else if (cursor.type !== 'string' || cursor.in !== 'query') {
    issues.push({
      path: [...at, 'params', strategy.param],
      message: `the cursor parameter "${strategy.param}" must be \`type: string\` in the query`,
    });
  }
}

export function isRegExp(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

const NUMERIC_ONLY = ['minimum', 'maximum'];
const STRING_ONLY = ['minLength', 'maxLength', 'pattern'];

/** Limits must fit the parameter's type, and its enum and default must be of that type. */
function checkParamKeywords(p: Raw, at: (string | number)[], issues: RawIssue[]): void {
  const numeric = p.type === 'integer' || p.type === 'number';
  for (const k of NUMERIC_ONLY) {
    if (p[k] !== undefined && !numeric) issues.push({ path: [...at, k], message: `${k} applies to integer and number parameters, not ${p.type}` });
  }
  for (const k of STRING_ONLY) {
    if (p[k] !== undefined && p.type !== 'string') issues.push({ path: [...at, k], message: `${k} applies to string parameters, not ${p.type}` });
  }
  const fits = (v: unknown) =>
    p.type === 'integer' ? Number.isInteger(v) : p.type === 'number' ? typeof v === 'number' : typeof v === p.type;
  if (Array.isArray(p.enum) && !p.enum.every(fits)) issues.push({ path: [...at, 'enum'], message: `every enum value must be ${p.type === 'integer' ? 'an' : 'a'} ${p.type}` });
  if (p.default !== undefined && !fits(p.default)) issues.push({ path: [...at, 'default'], message: `the default must be ${p.type === 'integer' ? 'an' : 'a'} ${p.type}` });
}
