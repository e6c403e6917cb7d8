import { setPath } from '../dotted-path.js';
import { ParameterError } from '../errors.js';
import type { ActionSpec, ArrayStyle, ParamSpec } from '../manifest/types.js';
import type { Injection, PageRequest } from '../pagination/strategy.js';

type PathPart = string | { param: string };

/** A request prepared once per operation from its manifest entry. */
export interface RequestTemplate {
  operation: string;
  parts: PathPart[];
  /** [caller name, wire name, array style] of query parameters, in declaration order. */
  query: [string, string, ArrayStyle][];
  /** [caller name, header name] of header parameters. */
  headers: [string, string][];
  /** [caller name, dotted body path] of body parameters. */
  body: [string, string][];
  fixedQuery: [string, string][];
  fixedHeaders: Record<string, string> | undefined;
  fixedBody: Record<string, unknown> | undefined;
  bodyFormat: 'json' | 'form';
  /** True when the action sends a body (it declares body parameters or a fixed body). */
  hasBody: boolean;
}

/** What goes on the wire for one request (the base URL and auth are added by the runtime). */
export interface BuiltRequest {
  /** Path and query. */
  path: string;
  /** Headers of this request only (parameters, fixed ones, the body's type); undefined when none. */
  headers: Record<string, string> | undefined;
  body: string | undefined;
}

export function compileRequest(operation: string, action: Pick<ActionSpec, 'path' | 'params' | 'query' | 'headers' | 'body' | 'body_format'>): RequestTemplate {
  const parts: PathPart[] = [];
  let last = 0;
  for (const m of action.path.matchAll(/\{([a-z][a-z0-9_]*)\}/g)) {
    if (m.index > last) parts.push(action.path.slice(last, m.index));
    parts.push({ param: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < action.path.length) parts.push(action.path.slice(last));
  const query: RequestTemplate['query'] = [];
  const headers: RequestTemplate['headers'] = [];
  const body: RequestTemplate['body'] = [];
  for (const [name, p] of Object.entries<ParamSpec>(action.params)) {
    const wire = p.wire_name ?? name;
    if (p.in === 'query') query.push([name, wire, p.style ?? 'repeat']);
    else if (p.in === 'header') headers.push([name, wire.toLowerCase()]);
    else if (p.in === 'body') body.push([name, wire]);
  }
  const fixedHeaders = action.headers ? Object.fromEntries(Object.entries(action.headers).map(([k, v]) => [k.toLowerCase(), v])) : undefined;
  return {
    operation,
    parts,
    query,
    headers,
    body,
    fixedQuery: Object.entries(action.query ?? {}),
    fixedHeaders,
    fixedBody: action.body,
    bodyFormat: action.body_format ?? 'json',
    hasBody: body.length > 0 || action.body !== undefined,
  };
}

/**
 * Builds the path, query, headers and body of one request from validated params and what
 * the pagination strategy adds. Path parameters are percent-encoded; `.` and `..` are
 * refused (servers and proxies would resolve them to another resource).
 *
 * @example
 * buildRequest(template, { id: 'a/b' }, '').path; // '/contacts/a%2Fb'
 */
export function buildRequest(t: RequestTemplate, params: Record<string, unknown>, basePath: string, page?: PageRequest): BuiltRequest {
  const inject = page?.inject ?? NONE;
  let target: string;
  if (page?.url !== undefined) {
    target = page.url;
  } else if (page?.path !== undefined) {
    // Another endpoint of the same list (a scroll API): none of the action's query applies.
    const search = new URLSearchParams();
    for (const i of inject) if (i.in === 'query') appendQuery(search, i.name, i.value, 'repeat');
    const qs = search.toString();
    target = `${basePath}${page.path}${qs ? `?${qs}` : ''}`;
  } else {
    let path = basePath;
    for (const part of t.parts) {
      if (typeof part === 'string') {
        path += part;
        continue;
      }
      const value = injectedValue(inject, 'path', part.param) ?? params[part.param];
      const raw = String(value);
      if (value === undefined || raw === '' || raw === '.' || raw === '..') {
        throw new ParameterError(`${t.operation}: parameter "${part.param}" cannot be ${value === undefined ? 'left out' : JSON.stringify(raw)}; pass the record's id.`, part.param);
      }
      path += encodeURIComponent(raw);
    }
    const search = new URLSearchParams();
    for (const [k, v] of t.fixedQuery) search.append(k, v);
    for (const [name, wire, style] of t.query) appendQuery(search, wire, params[name], style);
    for (const i of inject) if (i.in === 'query') appendQuery(search, i.name, i.value, 'repeat');
    const qs = search.toString();
    target = qs ? `${path}?${qs}` : path;
  }

  let headers: Record<string, string> | undefined = t.fixedHeaders ? { ...t.fixedHeaders } : undefined;
  for (const [name, header] of t.headers) headers = withHeader(headers, header, params[name]);
  for (const i of inject) if (i.in === 'header') headers = withHeader(headers, i.name, i.value);

  let body: string | undefined;
  if (t.hasBody || inject.some((i) => i.in === 'body')) {
    const doc: Record<string, unknown> = t.fixedBody ? structuredClone(t.fixedBody) : {};
    for (const [name, path] of t.body) if (params[name] !== undefined) setPath(doc, path, params[name]);
    for (const i of inject) if (i.in === 'body') setPath(doc, i.name, i.value);
    if (t.bodyFormat === 'form') {
      body = formEncode(doc);
      headers = withHeader(headers, 'content-type', 'application/x-www-form-urlencoded');
    } else {
      body = JSON.stringify(doc);
      headers = withHeader(headers, 'content-type', 'application/json');
    }
  }
  return { path: target, headers, body };
}

const NONE: readonly Injection[] = [];

function injectedValue(inject: readonly Injection[], where: Injection['in'], name: string): unknown {
  for (const i of inject) if (i.in === where && i.name === name) return i.value;
  return undefined;
}

/** Headers with one more (lists comma-joined); creates the object on first use. */
function withHeader(headers: Record<string, string> | undefined, name: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return headers;
  const out = headers ?? {};
  out[name.toLowerCase()] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  return out;
}

function appendQuery(search: URLSearchParams, name: string, value: unknown, style: ArrayStyle): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    if (style === 'comma') search.append(name, value.map(String).join(','));
    else for (const v of value) search.append(style === 'brackets' ? `${name}[]` : name, scalar(v));
    return;
  }
  if (typeof value === 'object') {
    // Objects go as deep objects: filter[status]=open.
    for (const [k, v] of Object.entries(value)) appendQuery(search, `${name}[${k}]`, v, style);
    return;
  }
  search.append(name, scalar(value));
}

function scalar(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** `application/x-www-form-urlencoded` with nested keys in brackets: `metadata[plan]=pro&expand[]=customer`. */
export function formEncode(doc: Record<string, unknown>): string {
  const out = new URLSearchParams();
  const walk = (prefix: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item !== null && typeof item === 'object' ? `${prefix}[${i}]` : `${prefix}[]`, item));
    } else if (typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) walk(prefix ? `${prefix}[${k}]` : k, inner);
    } else out.append(prefix, String(v));
  };
  walk('', doc);
  return out.toString();
}
