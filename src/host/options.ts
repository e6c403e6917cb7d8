import { readFileSync } from 'node:fs';
import { chooseAuth, neededCredentials, primaryCredential } from '../auth/choose.js';
import { credentialsFromEnv } from '../auth/env.js';
import { ConfigurationError } from '../errors.js';
import { loadManifest } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import type { RuntimeOptions } from '../runtime.js';
import { proxyFromEnv } from '../transport/dispatcher.js';
import { UsageError, type CliConfig, type Values } from './command.js';

/** The manifest a command works on: --manifest, else the host's default. */
export async function loadChosenManifest(config: CliConfig, values: Values): Promise<Manifest> {
  if (typeof values.manifest === 'string') return loadManifest(values.manifest);
  return config.loadDefault ? config.loadDefault() : loadManifest(config.defaultManifest);
}

/** A whole-number flag, or undefined when absent. */
export function number(values: Values, flag: string): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw new UsageError(`--${flag} expects a whole number, got ${JSON.stringify(raw)}.`);
  return Number(raw);
}

/** Where the context store is: --store, else CONNECTOR_STORE (an empty variable counts as unset). */
export function storeOption(values: Values, env: NodeJS.ProcessEnv): string | undefined {
  return typeof values.store === 'string' ? values.store : env.CONNECTOR_STORE || undefined;
}

/** How a person gives a credential to this host: its environment variable, and --token for the primary one. */
function ways(manifest: Manifest, name: string): string {
  const spec = manifest.auth.credentials[name];
  return [spec?.env && `set ${spec.env}`, name === primaryCredential(manifest) && 'pass --token-file <path>'].filter(Boolean).join(' or ') || 'this host cannot take it';
}

/** Credentials from --token and the environment variables the manifest names, checked against its auth methods. */
export function credentialsFrom(manifest: Manifest, values: Values, env: NodeJS.ProcessEnv): Record<string, string> {
  const primary = primaryCredential(manifest);
  if (typeof values['token-file'] === 'string') {
    if (typeof values.token === 'string') throw new UsageError('give the token once: --token or --token-file, not both.');
    values = { ...values, token: readTokenFile(values['token-file']) };
  }
  if (typeof values.token === 'string' && primary === undefined) {
    const envs = Object.values(manifest.auth.credentials).map((c) => c.env).filter(Boolean);
    throw new UsageError(`--token: connector ${manifest.connector.name} takes several credentials; set ${envs.join(', ') || 'its credentials'} instead.`);
  }
  const credentials = credentialsFromEnv(manifest, env);
  if (primary !== undefined && typeof values.token === 'string' && values.token !== '') credentials[primary] = values.token;
  const choice = chooseAuth(manifest, credentials);
  if ('issue' in choice && choice.issue.kind === 'missing') {
    const methods = manifest.auth.methods;
    const describe = (names: string[]) =>
      names.map((n) => `${n} credential${manifest.auth.credentials[n]?.description ? ` (${manifest.auth.credentials[n]!.description})` : ''}: ${ways(manifest, n)}`).join('; ');
    if (methods.length > 1 && manifest.auth.credentials[choice.issue.name]?.required !== true) {
      const options = methods.map((m) => `${m.id}: ${describe(neededCredentials(m, manifest).filter((n) => !credentials[n]))}`);
      throw new ConfigurationError(`missing credentials; give those of one method: ${options.join(' | ')}.`);
    }
    throw new ConfigurationError(`missing the ${describe([choice.issue.name])}.`);
  }
  if ('issue' in choice) throw new ConfigurationError(choice.issue.message);
  return credentials;
}

/** The token in a file (its first line), or on stdin for `-`: never in the process list. */
function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`--token-file: cannot read ${path === '-' ? 'stdin' : path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (!token) throw new ConfigurationError(`--token-file: ${path === '-' ? 'stdin' : path} holds no token.`);
  return token;
}

/** Server variables (a tenant's subdomain) from the environment variables the manifest names. */
export function configFrom(manifest: Manifest, env: NodeJS.ProcessEnv): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [name, spec] of Object.entries(manifest.server.variables ?? {})) {
    const value = spec.env ? env[spec.env] : undefined;
    if (value) config[name] = value;
  }
  return config;
}

/** The way to give "the token", for messages: its environment variable, and --token. */
export function tokenHint(manifest: Manifest): string {
  const primary = primaryCredential(manifest);
  const env = primary ? manifest.auth.credentials[primary]?.env : undefined;
  return primary ? (env ? `${env} or --token-file` : '--token-file') : 'the credential environment variables';
}

/** Runtime options of one run: the manifest, credentials and configuration from flags or environment, and the connection flags. */
export function runtimeOptions(manifest: Manifest, values: Values, env: NodeJS.ProcessEnv): RuntimeOptions {
  const options: RuntimeOptions = { ...connectionOptions(values, manifest, env), manifest, credentials: credentialsFrom(manifest, values, env) };
  // --base-url replaces the whole base URL, variables included.
  if (options.baseUrl === undefined) options.config = configFrom(manifest, env);
  return options;
}

/** The variable that sets --base-url for every command (a sandbox, a staging server). */
export const BASE_URL_ENV = 'CONNECTOR_BASE_URL';

/**
 * What the flags (and CONNECTOR_BASE_URL) say about where and how to connect; the same for
 * every credential set (serve uses it per instance). Hosts follow HTTPS_PROXY/NO_PROXY.
 */
export function connectionOptions(values: Values, manifest?: Manifest, env: NodeJS.ProcessEnv = {}): Omit<RuntimeOptions, 'manifest' | 'credentials'> {
  const options: Omit<RuntimeOptions, 'manifest' | 'credentials'> = {};
  const proxy = proxyFromEnv(env);
  if (proxy) options.proxy = proxy;
  if (typeof values['base-url'] === 'string') options.baseUrl = values['base-url'];
  else if (env[BASE_URL_ENV]) options.baseUrl = env[BASE_URL_ENV];
  if (values['allow-insecure-http'] === true) options.allowInsecureHttp = true;
  if (typeof values.region === 'string') options.region = values.region;
  if (typeof values['api-version'] === 'string') options.apiVersion = values['api-version'];
  const timeout = number(values, 'timeout');
  if (timeout !== undefined) options.timeoutMs = timeout;
  const retries = number(values, 'max-retries');
  if (retries !== undefined) options.retry = { limit: retries, serverErrorLimit: Math.min(retries, manifest?.retry?.server_error_limit ?? retries) };
  return options;
}
