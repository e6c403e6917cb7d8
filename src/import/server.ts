import { snake } from './names.js';
import type { Json } from './spec.js';

/** A value that only stands for one (`{subdomain}`, `your-subdomain`, `my-store`): not a default. */
function placeholder(v: string, name: string): boolean {
  return v === '' || v === `{${name}}` || /^\{.*\}$/.test(v) || /^(your|my)[-_]/i.test(v) || /^example\b/i.test(v);
}

/**
 * `servers[0]` as the manifest's `server`: `{name}` variables with their environment
 * variable, default, enum and a pattern wide enough for the values the spec shows. A
 * variable that is the whole URL becomes the base URL's default and regions.
 */
export function importServer(doc: Json, prefix: string, notes: string[]): Json {
  const first = Array.isArray(doc.servers) ? (doc.servers[0] as Json | undefined) : undefined;
  const url = typeof first?.url === 'string' ? first.url : '';
  const vars = (first?.variables ?? {}) as Record<string, Json>;
  if (!url) {
    notes.push('The spec names no server: set server.base_url (or pass baseUrl).');
    return { base_url: 'https://api.example.com' };
  }
  // A variable that holds the whole URL (or its scheme and host): its values become the base URL and regions.
  const whole = /^\{([^}]+)\}(.*)$/.exec(url);
  if (whole) {
    const [, name, rest] = whole as unknown as [string, string, string];
    const v = vars[name] ?? {};
    const values = (Array.isArray(v.enum) ? v.enum : [v.default]).filter((x: unknown): x is string => typeof x === 'string' && /^https?:\/\//.test(x));
    if (values.length === 0) {
      notes.push(`The base URL is {${name}}, a value the API hands out at run time: set server.base_url or pass baseUrl.`);
      return { base_url: 'https://api.example.com' };
    }
    const server: Json = { base_url: `${String(v.default ?? values[0]).replace(/\/+$/, '')}${rest}` };
    if (!/^https?:\/\//.test(server.base_url)) server.base_url = `${values[0]}${rest}`;
    if (values.length > 1) {
      server.regions = Object.fromEntries(values.map((u: string) => [snake(new URL(u).host), `${u.replace(/\/+$/, '')}${rest}`]));
    }
    if (!v.enum) notes.push(`{${name}} is filled at run time by the API (e.g. from a token answer); the default ${server.base_url} is used: pass baseUrl for another.`);
    return server;
  }
  const renamed: Record<string, string> = {};
  const variables: Json = {};
  for (const m of url.matchAll(/\{([^}]+)\}/g)) {
    const original = m[1]!;
    const name = snake(original);
    renamed[original] = name;
    const v = vars[original] ?? {};
    const spec: Json = {};
    const shown = typeof v.default === 'string' ? v.default : undefined;
    const example = shown && placeholder(shown, original) && !/^\{/.test(shown) ? ` (e.g. ${shown})` : '';
    if (v.description || example) spec.description = `${String(v.description ?? original).trim()}${example}`;
    if (shown && !placeholder(shown, original)) spec.default = shown;
    const allowed = Array.isArray(v.enum) ? v.enum.filter((x: unknown) => typeof x === 'string') : [];
    if (allowed.length) spec.enum = allowed;
    // A value with dots is a host (example.com), not a label: allow dots, never "/", ":" or "@".
    else if ((shown && shown.includes('.')) || /(^|_)(host|hostname|domain|url|api_url|shop)$/i.test(name)) spec.pattern = '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$';
    spec.env = `${prefix}_${name.toUpperCase()}`;
    variables[name] = spec;
  }
  const server: Json = { base_url: url.replace(/\{([^}]+)\}/g, (_m, n: string) => `{${renamed[n]}}`).replace(/\/+$/, '') };
  if (Object.keys(variables).length) server.variables = variables;
  return server;
}
