import { snake, unique } from './names.js';
import { deref, type Json } from './spec.js';

/** `${api_key}`, `{{ api_key }}` and `{{api_key}}` → `{api_key}`; `{`/`}` in literal text are escaped. */
export function toTemplate(value: string, rename: (name: string) => string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of value.matchAll(/\$\{\s*([A-Za-z0-9_]+)\s*\}|\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) {
    parts.push(value.slice(last, m.index).replace(/\{/g, '{{').replace(/\}/g, '}}'));
    parts.push(`{${rename(m[1] ?? m[2]!)}}`);
    last = m.index + m[0].length;
  }
  parts.push(value.slice(last).replace(/\{/g, '{{').replace(/\}/g, '}}'));
  return parts.join('');
}

/** Credentials that are identities, not secrets: they are not redacted. */
const NOT_SECRET = /(^|_)(email|username|user|login|client_id|account_id|subdomain|site|domain|region|app_id)$/;

export interface ImportedAuth {
  credentials: Json;
  methods: Json;
  notes: string[];
}

/**
 * Security schemes as auth methods, the ones the spec's `security` lists first. With the
 * `x-airbyte-auth-config` dialect, its fields become the credentials and its `auth_mapping`
 * fills the token, user name and password or key; plain schemes get conventional names.
 */
export function importAuth(doc: Json, prefix: string, variables: Set<string>): ImportedAuth {
  const schemes = (doc.components?.securitySchemes ?? {}) as Record<string, Json>;
  const order: string[] = [];
  for (const req of Array.isArray(doc.security) ? doc.security : []) for (const k of Object.keys(req ?? {})) if (!order.includes(k)) order.push(k);
  for (const k of Object.keys(schemes)) if (!order.includes(k)) order.push(k);
  const credentials: Json = {};
  const methods: Json = {};
  const notes: string[] = [];
  const ids = new Set<string>();
  const credential = (name: string, spec: Json): string => {
    const n = snake(name);
    if (!credentials[n]) {
      const c: Json = { type: 'string' };
      if (spec.description || spec.title) c.description = String(spec.description ?? spec.title).trim();
      if (NOT_SECRET.test(n) || spec.format === 'email') c.secret = false;
      c.env = `${prefix}_${n.toUpperCase()}`;
      credentials[n] = c;
    }
    return n;
  };
  const rename = snake;

  for (const key of order) {
    const scheme = deref<Json>(doc, schemes[key]);
    if (!scheme || typeof scheme !== 'object') continue;
    const id = unique(snake(key), ids);
    const cfg = scheme['x-airbyte-auth-config'] as Json | undefined;
    const fields = (cfg?.properties ?? {}) as Record<string, Json>;
    for (const [f, spec] of Object.entries(fields)) credential(f, spec);
    const mapping = (cfg?.auth_mapping ?? {}) as Record<string, unknown>;
    const mapped = (k: string): string | undefined => (typeof mapping[k] === 'string' ? toTemplate(mapping[k] as string, rename) : undefined);
    const headers: Json = {};
    let tokenHeader: { header: string; prefix: string } | undefined;
    for (const [h, v] of Object.entries((cfg?.additional_headers ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      // A header that carries the OAuth2 access token itself names where the token goes.
      const token = /^(.*)\{\{\s*access_token\s*\}\}$/.exec(v);
      if (token && scheme.type === 'oauth2') tokenHeader = { header: h, prefix: token[1]! };
      else headers[h] = toTemplate(v, rename);
    }
    const withHeaders = (m: Json): Json => (Object.keys(headers).length ? { ...m, headers } : m);
    const type = String(scheme.type ?? '').toLowerCase();
    const httpScheme = String(scheme.scheme ?? '').toLowerCase();
    if (type === 'http' && httpScheme === 'bearer') {
      const token = mapped('token') ?? `{${credential(Object.keys(fields)[0] ?? 'token', { description: scheme.description })}}`;
      methods[id] = withHeaders({ type: 'bearer', token });
    } else if (type === 'http' && httpScheme === 'basic') {
      const username = mapped('username') ?? `{${credential('username', {})}}`;
      const password = mapped('password') ?? `{${credential('password', {})}}`;
      methods[id] = withHeaders({ type: 'basic', username, password });
    } else if (type === 'apikey') {
      if (scheme.in !== 'header' && scheme.in !== 'query') {
        notes.push(`Security scheme ${key} sends its key in a ${String(scheme.in)}, which the format cannot say; it was left out.`);
        continue;
      }
      const value = mapped('api_key') ?? mapped('token') ?? `{${credential(Object.keys(fields)[0] ?? 'api_key', { description: scheme.description })}}`;
      methods[id] = withHeaders({ type: 'api_key', in: scheme.in, name: String(scheme.name), value });
    } else if (type === 'oauth2') {
      const flows = (scheme.flows ?? {}) as Json;
      const flow = (flows.authorizationCode ?? flows.clientCredentials ?? flows.password ?? Object.values(flows)[0] ?? {}) as Json;
      const refreshCfg = (scheme['x-airbyte-token-refresh'] ?? {}) as Json;
      const names = cfg ? { access: mapped('access_token'), refresh: mapped('refresh_token'), id: mapped('client_id'), secret: mapped('client_secret') } : undefined;
      const plain = !cfg;
      // A plain spec says its grant by its flow: client credentials, or a code whose refresh token is kept.
      const id_ = () => `{${credential('client_id', {})}}`;
      const secret_ = () => `{${credential('client_secret', {})}}`;
      const client: { access?: string; refresh?: string; id?: string; secret?: string } = !plain
        ? names!
        : flows.clientCredentials
          ? { id: id_(), secret: secret_() }
          : {
              access: `{${credential('access_token', { description: 'An OAuth2 access token' })}}`,
              refresh: `{${credential('refresh_token', { description: 'An OAuth2 refresh token' })}}`,
              id: id_(),
              secret: secret_(),
            };
      const tokenUrl = typeof (flow.refreshUrl ?? flow.tokenUrl) === 'string' ? toTemplate(String(flow.refreshUrl ?? flow.tokenUrl), rename) : undefined;
      const common = (m: Json): Json => {
        const out = withHeaders(m);
        if (refreshCfg.auth_style === 'basic') out.client_auth = 'basic';
        if (refreshCfg.body_format === 'json') out.body_format = 'json';
        if (tokenHeader) {
          out.header = tokenHeader.header;
          out.prefix = tokenHeader.prefix;
        }
        return out;
      };
      if (tokenUrl && client.id && client.secret && client.refresh) {
        methods[id] = common({ type: 'oauth2', grant: 'refresh_token', token_url: tokenUrl, client_id: client.id, client_secret: client.secret, refresh_token: client.refresh, ...(client.access ? { access_token: client.access } : {}) });
        // With only an access token at hand, it still serves until it expires.
        if (plain) methods[unique(`${id}_token`, ids)] = withHeaders({ type: 'bearer', token: client.access });
      } else if (tokenUrl && client.id && client.secret && (flows.clientCredentials || !client.access)) {
        const scopes = Object.keys((flows.clientCredentials?.scopes ?? {}) as Json);
        methods[id] = common({ type: 'oauth2', grant: 'client_credentials', token_url: tokenUrl, client_id: client.id, client_secret: client.secret, ...(scopes.length ? { scopes } : {}) });
      } else if (client.access) {
        methods[id] = tokenHeader
          ? { type: 'api_key', in: 'header', name: tokenHeader.header, value: `${tokenHeader.prefix}${client.access}` }
          : withHeaders({ type: 'bearer', token: client.access });
        if (client.refresh && !client.id) notes.push(`Security scheme ${key} has a refresh token but no client id and secret: the access token is used as is, without refresh.`);
      } else {
        notes.push(`Security scheme ${key} (OAuth2) gives neither an access token nor what a token request needs; it was left out.`);
      }
    } else {
      notes.push(`Security scheme ${key} (${type}${httpScheme ? ` ${httpScheme}` : ''}) is not one the format has; it was left out.`);
    }
  }
  // A method whose templates name something that is neither a credential nor a variable cannot work.
  for (const m of Object.values(methods)) {
    const texts = Object.entries(m as Json).filter(([k, v]) => typeof v === 'string' && !['type', 'in', 'name', 'grant', 'client_auth', 'body_format', 'header', 'prefix'].includes(k)).map(([, v]) => v as string);
    texts.push(...Object.values(((m as Json).headers ?? {}) as Record<string, string>));
    for (const text of texts) {
      for (const n of text.replace(/\{\{|\}\}/g, '').matchAll(/\{([a-z][a-z0-9_]*)\}/g)) {
        if (!credentials[n[1]!] && !variables.has(n[1]!)) credential(n[1]!, {});
      }
    }
  }
  return { credentials, methods, notes };
}
