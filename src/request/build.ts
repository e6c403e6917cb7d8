import { ParameterError } from '../errors.js';
import type { ParamSpec } from '../manifest/types.js';

type PathPart = string | { param: string };

/** A request target prepared once per operation from its manifest entry. */
export interface RequestTemplate {
  operation: string;
  parts: PathPart[];
  /** [caller name, wire name] of query parameters, in declaration order. */
  query: [string, string][];
  /** [caller name, header name] of header parameters. */
  headers: [string, string][];
  /** Every parameter the manifest declares; anything else was added by a strategy. */
  declared: Set<string>;
}

export function compileTemplate(operation: string, path: string, params: Record<string, ParamSpec>): RequestTemplate {
  const parts: PathPart[] = [];
  let last = 0;
  for (const m of path.matchAll(/\{([a-z][a-z0-9_]*)\}/g)) {
    if (m.index > last) parts.push(path.slice(last, m.index));
    parts.push({ param: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < path.length) parts.push(path.slice(last));
  const query: [string, string][] = [];
  const headers: [string, string][] = [];
  for (const [name, p] of Object.entries(params)) {
    if (p.in === 'query') query.push([name, p.wire_name ?? name]);
    else if (p.in === 'header') headers.push([name, p.wire_name ?? name]);
  }
  return { operation, parts, query, headers, declared: new Set(Object.keys(params)) };
}

/**
 * Builds the path and query of one request from validated params. Query entries not
 * declared by the manifest (added by a pagination strategy, e.g. `page`) are sent as named.
 *
 * @example
 * buildTarget(template, { id: 'a/b' }); // '/contacts/a%2Fb'
 */
export function buildTarget(t: RequestTemplate, params: Record<string, unknown>): string {
  let path = '';
  for (const part of t.parts) {
    if (typeof part === 'string') {
      path += part;
      continue;
    }
    const raw = String(params[part.param]);
    // "." and ".." would be resolved away by servers and proxies, reaching another resource.
    if (raw === '' || raw === '.' || raw === '..') {
      throw new ParameterError(`${t.operation}: parameter "${part.param}" cannot be ${JSON.stringify(raw)}; pass the record's id.`, part.param);
    }
    path += encodeURIComponent(raw);
  }
  const search = new URLSearchParams();
  for (const [name, wire] of t.query) {
    const v = params[name];
    if (v !== undefined && v !== null) search.append(wire, String(v));
  }
  for (const name in params) {
    const v = params[name];
    if (!t.declared.has(name) && v !== undefined && v !== null) search.append(name, String(v));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Header params of one request (e.g. an API that reads a filter from a header). */
export function buildHeaders(t: RequestTemplate, params: Record<string, unknown>): Record<string, string> | undefined {
  if (t.headers.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [name, header] of t.headers) if (params[name] !== undefined) out[header] = String(params[name]);
  return out;
}
