import { compileTemplate } from './auth/template.js';
import { ConfigurationError } from './errors.js';
import { compilePattern } from './regex.js';
import type { Manifest } from './manifest/types.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
/** One DNS label: a value cannot add a dot, a slash or a port, so it cannot change which host is called. */
export const DEFAULT_VARIABLE_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';
// A fixed, linear pattern of the engine's own: it may use the built-in engine.
const DEFAULT_VARIABLE = new RegExp(DEFAULT_VARIABLE_PATTERN, 'u');

/**
 * The values of the manifest's server variables: given, else their defaults; each checked.
 * With `optional` (a base URL given outright), a missing one is left out rather than an error.
 */
export function serverVariables(manifest: Manifest, given: Record<string, string> = {}, optional = false): Record<string, string> {
  const declared = manifest.server.variables ?? {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const names = Object.keys(declared);
      throw new ConfigurationError(`Unknown configuration value "${name}" for connector ${manifest.connector.name}. ${names.length ? `It takes: ${names.join(', ')}.` : 'It takes none.'}`);
    }
  }
  const values: Record<string, string> = Object.create(null);
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? spec.default;
    const from = spec.env ? ` (hosts read it from ${spec.env})` : '';
    if ((value === undefined || value === '') && optional) continue;
    if (value === undefined || value === '') {
      throw new ConfigurationError(`Missing configuration value "${name}"${spec.description ? ` (${spec.description})` : ''}: pass createRuntime({ config: { ${name}: '...' } })${from}.`);
    }
    if (typeof value !== 'string') throw new ConfigurationError(`Configuration value "${name}" must be a string.`);
    if (spec.enum && !spec.enum.includes(value)) {
      throw new ConfigurationError(`Configuration value "${name}" must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}.`);
    }
    // An enum is the whole rule; otherwise the pattern, by default one DNS label.
    if (!spec.enum && !(spec.pattern === undefined ? DEFAULT_VARIABLE : compilePattern(spec.pattern)).test(value)) {
      throw new ConfigurationError(
        `Configuration value "${name}" ${JSON.stringify(value.slice(0, 80))} is not valid: it must match ${spec.pattern ?? 'one DNS label (letters, digits and "-")'}${spec.description ? ` (${spec.description})` : ''}.`,
      );
    }
    values[name] = value;
  }
  return values;
}

/**
 * The base URL to call: `baseUrl`, else the `region`'s, else the manifest's, with server
 * variables filled in. Plain http is refused except on loopback (a local sandbox) or with
 * `allowInsecureHttp`, since the credential would travel in clear.
 */
export function resolveBaseUrl(
  manifest: Manifest,
  options: { baseUrl?: string; region?: string; allowInsecureHttp?: boolean },
  variables: Record<string, string>,
): URL {
  let raw = manifest.server.base_url;
  if (options.baseUrl !== undefined) raw = options.baseUrl;
  else if (options.region !== undefined) {
    const url = Object.hasOwn(manifest.server.regions ?? {}, options.region) ? manifest.server.regions![options.region] : undefined;
    if (!url) {
      const regions = Object.keys(manifest.server.regions ?? {});
      throw new ConfigurationError(
        `Unknown region ${JSON.stringify(options.region)}. ${regions.length ? `Valid regions: ${regions.join(', ')}.` : 'This connector declares no regions.'}`,
      );
    }
    raw = url;
  }
  if (options.baseUrl === undefined) raw = compileTemplate(raw).fill(variables);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`baseUrl ${JSON.stringify(raw)} is not an http(s) URL; pass e.g. "https://api.example.com" or "http://127.0.0.1:4010".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`baseUrl ${JSON.stringify(raw)} is not an http(s) URL; pass e.g. "https://api.example.com".`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigurationError(`baseUrl ${JSON.stringify(url.origin + url.pathname)} must not carry credentials, a query or a fragment.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !options.allowInsecureHttp) {
    throw new ConfigurationError(
      `baseUrl ${url.origin} uses plain http, which would send the credential in clear. Use https, or allow plain http on a trusted network (the allowInsecureHttp option; --allow-insecure-http on the command line).`,
    );
  }
  return url;
}

/** Headers sent on every request (auth is added per request); built once per runtime. */
export function buildBaseHeaders(
  manifest: Manifest,
  options: { apiVersion?: string; headers?: Record<string, string> },
  authHeaders: readonly string[],
): Record<string, string> {
  // Lower-case names so that a caller's override replaces, not duplicates, a manifest header.
  const headers: Record<string, string> = {
    'user-agent': `connector-engine (${manifest.connector.name}/${manifest.connector.version})`,
  };
  for (const [k, v] of Object.entries(manifest.headers)) headers[k.toLowerCase()] = v;
  if (manifest.api_version) headers[manifest.api_version.header.toLowerCase()] = options.apiVersion ?? manifest.api_version.default;
  else if (options.apiVersion !== undefined) {
    throw new ConfigurationError(`Connector ${manifest.connector.name} declares no api_version; remove the apiVersion option.`);
  }
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'authorization' || authHeaders.includes(name)) throw new ConfigurationError(`Pass credentials in credentials, not in headers (${k}).`);
    headers[name] = v;
  }
  return headers;
}
