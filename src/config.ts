import { ConfigurationError } from './errors.js';
import type { Manifest } from './manifest/types.js';
import type { RetryOptions } from './transport/retry.js';

/** The retry options the manifest declares, in the runtime's terms. */
export function manifestRetry(manifest: Manifest): RetryOptions | undefined {
  const r = manifest.retry;
  if (!r) return undefined;
  return {
    limit: r.limit,
    maxWaitMs: r.max_wait_ms,
    baseDelayMs: r.base_delay_ms,
    statuses: r.statuses,
    serverErrorLimit: r.server_error_limit,
  };
}

/** What is wrong with a set of credentials, in words for any host; undefined when nothing is. */
export interface CredentialIssue {
  name: string;
  kind: 'unknown' | 'missing' | 'type';
  message: string;
}

/** The first problem of `given` against the manifest's credentials: unknown, missing or not a string. */
export function credentialIssue(manifest: Manifest, given: Record<string, unknown>): CredentialIssue | undefined {
  const declared = manifest.auth.credentials;
  for (const name of Object.keys(given)) {
    if (!(name in declared)) {
      const takes = Object.keys(declared).join(', ') || 'none';
      return { name, kind: 'unknown', message: `Unknown credential "${name}" for connector ${manifest.connector.name}. It takes: ${takes}.` };
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name];
    if (value !== undefined && typeof value !== 'string') {
      return { name, kind: 'type', message: `Credential "${name}" must be a non-empty string, got ${typeof value}.` };
    }
    if ((value === undefined || value === '') && (spec.required !== false || name === manifest.auth.credential)) {
      return { name, kind: 'missing', message: `Missing credential "${name}"${spec.description ? ` (${spec.description})` : ''}.` };
    }
  }
  return undefined;
}

/** Returns the secret values, after checking every required credential is there. */
export function checkCredentials(manifest: Manifest, given: Record<string, string>): string[] {
  const issue = credentialIssue(manifest, given);
  if (issue) {
    const spec = manifest.auth.credentials[issue.name];
    const hint =
      issue.kind === 'missing'
        ? ` Pass createRuntime({ credentials: { ${issue.name}: '...' } })${spec?.env ? ` (hosts such as the CLI read it from ${spec.env})` : ''}.`
        : '';
    throw new ConfigurationError(issue.message + hint);
  }
  const secrets: string[] = [];
  for (const [name, spec] of Object.entries(manifest.auth.credentials)) {
    const value = given[name];
    if (value && spec.secret !== false) secrets.push(value);
  }
  return secrets;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The base URL to call: `baseUrl`, else the `region`'s, else the manifest's. Plain http is
 * refused except on loopback (a local sandbox) or with `allowInsecureHttp`, since the
 * token would travel in clear.
 */
export function resolveBaseUrl(
  manifest: Manifest,
  options: { baseUrl?: string; region?: string; allowInsecureHttp?: boolean },
): URL {
  let raw = manifest.server.base_url;
  if (options.baseUrl !== undefined) raw = options.baseUrl;
  else if (options.region !== undefined) {
    const url = manifest.server.regions?.[options.region];
    if (!url) {
      const regions = Object.keys(manifest.server.regions ?? {});
      throw new ConfigurationError(
        `Unknown region ${JSON.stringify(options.region)}. ${regions.length ? `Valid regions: ${regions.join(', ')}.` : 'This connector declares no regions.'}`,
      );
    }
    raw = url;
  }
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
      `baseUrl ${url.origin} uses plain http, which would send the credential in clear. Use https, or pass allowInsecureHttp: true for a trusted network.`,
    );
  }
  return url;
}

/** Headers sent on every request, the credential's last; built once per runtime. */
export function buildBaseHeaders(
  manifest: Manifest,
  options: { apiVersion?: string; headers?: Record<string, string>; credentials?: Record<string, string> },
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
    if (k.toLowerCase() === 'authorization') throw new ConfigurationError('Pass the token in credentials, not in headers.');
    headers[k.toLowerCase()] = v;
  }
  if (manifest.auth.type === 'bearer') headers.authorization = `Bearer ${options.credentials![manifest.auth.credential!]}`;
  return headers;
}
