import { ConfigurationError } from '../errors.js';
import { loadManifest } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import type { RuntimeOptions } from '../runtime.js';
import { UsageError } from './exit-codes.js';
import type { CliConfig } from './main.js';

/** Parsed flags of one command. */
export type Values = Record<string, string | boolean | string[] | undefined>;

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

/** Credentials from --token and the environment variables the manifest names. */
export function credentialsFrom(manifest: Manifest, values: Values, env: NodeJS.ProcessEnv): Record<string, string> {
  const credentials: Record<string, string> = {};
  for (const [name, spec] of Object.entries(manifest.auth.credentials)) {
    const fromFlag = name === manifest.auth.credential && typeof values.token === 'string' ? values.token : undefined;
    const value = fromFlag ?? (spec.env ? env[spec.env] : undefined);
    if (value) credentials[name] = value;
    else if (spec.required !== false || name === manifest.auth.credential) {
      const ways = [spec.env && `set ${spec.env}`, name === manifest.auth.credential && 'pass --token <token>'].filter(Boolean).join(' or ');
      throw new ConfigurationError(`missing the ${name} credential${spec.description ? ` (${spec.description})` : ''}: ${ways || 'this connector cannot take it from the command line'}.`);
    }
  }
  return credentials;
}

export function tokenHint(manifest: Manifest): string {
  const env = manifest.auth.credential ? manifest.auth.credentials[manifest.auth.credential]?.env : undefined;
  return env ? `${env} or --token` : '--token';
}

/** Runtime options of one run: the manifest, credentials from flags or environment, and the connection flags. */
export function runtimeOptions(manifest: Manifest, values: Values, env: NodeJS.ProcessEnv): RuntimeOptions {
  return { ...connectionOptions(values, manifest), manifest, credentials: credentialsFrom(manifest, values, env) };
}

/** What the flags say about where and how to connect; the same for every credential set (serve uses it per instance). */
export function connectionOptions(values: Values, manifest?: Manifest): Omit<RuntimeOptions, 'manifest' | 'credentials'> {
  const options: Omit<RuntimeOptions, 'manifest' | 'credentials'> = {};
  if (typeof values['base-url'] === 'string') options.baseUrl = values['base-url'];
  if (typeof values.region === 'string') options.region = values.region;
  if (typeof values['api-version'] === 'string') options.apiVersion = values['api-version'];
  const timeout = number(values, 'timeout');
  if (timeout !== undefined) options.timeoutMs = timeout;
  const retries = number(values, 'max-retries');
  if (retries !== undefined) options.retry = { limit: retries, serverErrorLimit: Math.min(retries, manifest?.retry?.server_error_limit ?? retries) };
  return options;
}
