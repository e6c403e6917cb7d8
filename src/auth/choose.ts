import type { AuthMethod, Manifest } from '../manifest/types.js';
import { templateNames } from './template.js';

/** What is wrong with a set of credentials, in words for any host. */
export interface CredentialIssue {
  name: string;
  kind: 'unknown' | 'missing' | 'type' | 'method';
  message: string;
}

/** The credentials a method cannot work without (an OAuth2 `access_token` is optional: it can be fetched). */
export function neededCredentials(method: AuthMethod, manifest: Manifest): string[] {
  const templates: string[] = [];
  switch (method.type) {
    case 'bearer':
      templates.push(method.token);
      break;
    case 'basic':
      templates.push(method.username, method.password);
      break;
    case 'api_key':
      templates.push(method.value);
      break;
    case 'oauth2':
      templates.push(method.client_id, method.client_secret, method.token_url);
      if (method.refresh_token !== undefined) templates.push(method.refresh_token);
      break;
    case 'none':
      break;
  }
  templates.push(...Object.values(method.headers ?? {}));
  const variables = manifest.server.variables ?? {};
  const names = templates.flatMap(templateNames).filter((n) => !Object.hasOwn(variables, n));
  return [...new Set(names)];
}

/** Every credential name a method reads, optional ones included. */
export function methodCredentials(method: AuthMethod, manifest: Manifest): string[] {
  const extra = method.type === 'oauth2' && method.access_token ? templateNames(method.access_token) : [];
  return [...new Set([...neededCredentials(method, manifest), ...extra])];
}

function describeMethod(method: AuthMethod, manifest: Manifest): string {
  const needs = neededCredentials(method, manifest);
  return `${needs.length ? needs.join(' and ') : 'nothing'} (${method.id})`;
}

/**
 * Checks credentials against the manifest and picks the auth method: the one named by
 * `preferred`, else the first whose credentials are all given.
 */
export function chooseAuth(manifest: Manifest, given: Record<string, unknown>, preferred?: string): { method: AuthMethod } | { issue: CredentialIssue } {
  const declared = manifest.auth.credentials;
  const takes = Object.keys(declared).join(', ') || 'none';
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      return { issue: { name, kind: 'unknown', message: `Unknown credential "${name}" for connector ${manifest.connector.name}. It takes: ${takes}.` } };
    }
  }
  for (const name of Object.keys(given)) {
    const value = given[name];
    if (value !== undefined && typeof value !== 'string') {
      return { issue: { name, kind: 'type', message: `Credential "${name}" must be a non-empty string, got ${value === null ? 'null' : typeof value}.` } };
    }
    const bad = typeof value === 'string' && value !== '' ? valueIssue(value, declared[name]!.secret !== false) : undefined;
    if (bad) return { issue: { name, kind: 'type', message: `Credential "${name}" ${bad}` } };
  }
  const has = (name: string) => typeof given[name] === 'string' && given[name] !== '';
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.required === true && !has(name)) return { issue: missing(manifest, name) };
  }
  const methods = manifest.auth.methods;
  if (preferred !== undefined) {
    const method = methods.find((m) => m.id === preferred);
    if (!method) {
      return { issue: { name: preferred, kind: 'method', message: `Unknown auth method "${preferred}". Methods: ${methods.map((m) => m.id).join(', ')}.` } };
    }
    const lacking = neededCredentials(method, manifest).find((n) => !has(n));
    return lacking ? { issue: missing(manifest, lacking) } : { method };
  }
  for (const method of methods) if (neededCredentials(method, manifest).every(has)) return { method };
  const first = methods[0]!;
  const lacking = neededCredentials(first, manifest).find((n) => !has(n))!;
  const issue = missing(manifest, lacking);
  if (methods.length > 1) {
    issue.message = `Missing credentials: give ${methods.map((m) => describeMethod(m, manifest)).join(', or ')}.`;
  }
  return { issue };
}

/** The longest credential accepted: tokens and keys are far shorter; anything longer is a mistake or an attack. */
export const MAX_CREDENTIAL_LENGTH = 8192;
/** The shortest secret: a shorter one could not be redacted without cutting it out of ordinary words. */
export const MIN_SECRET_LENGTH = 8;

/** What is wrong with a credential's value (never quoting it), or undefined. */
function valueIssue(value: string, secret: boolean): string | undefined {
  if (value.length > MAX_CREDENTIAL_LENGTH) return `is ${value.length} characters, more than the ${MAX_CREDENTIAL_LENGTH} a credential may have.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'holds a control character (a line break or tab copied with it?): paste it again without it.';
  if (secret && value.length < MIN_SECRET_LENGTH) {
    return `is ${value.length} character${value.length === 1 ? '' : 's'} long; a secret shorter than ${MIN_SECRET_LENGTH} cannot be kept out of messages without cutting it out of ordinary words. Pass the real credential.`;
  }
  return undefined;
}

function missing(manifest: Manifest, name: string): CredentialIssue {
  const spec = manifest.auth.credentials[name];
  return { name, kind: 'missing', message: `Missing credential "${name}"${spec?.description ? ` (${spec.description})` : ''}.` };
}

/**
 * The credential a person means by "the token": the only secret one the first method
 * needs (the CLI's --token fills it). Undefined when that is not one credential.
 */
export function primaryCredential(manifest: Manifest): string | undefined {
  const first = manifest.auth.methods[0];
  if (!first) return undefined;
  const secret = neededCredentials(first, manifest).filter((n) => manifest.auth.credentials[n]?.secret !== false);
  return secret.length === 1 ? secret[0] : undefined;
}
