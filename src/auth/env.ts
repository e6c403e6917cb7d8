import { ConfigurationError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { chooseAuth, neededCredentials } from './choose.js';

/** Every credential whose environment variable (the manifest's `env`) is set and not empty. */
export function credentialsFromEnv(manifest: Manifest, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(manifest.auth.credentials)) {
    const value = spec.env ? env[spec.env] : undefined;
    if (value) out[name] = value;
  }
  return out;
}

/**
 * `createRuntime({ credentials: 'env' })`: the credentials from the variables the manifest
 * names; when they satisfy no auth method, the error names the variables to set.
 */
export function requireCredentialsFromEnv(manifest: Manifest, env: NodeJS.ProcessEnv): Record<string, string> {
  const credentials = credentialsFromEnv(manifest, env);
  const choice = chooseAuth(manifest, credentials);
  if ('issue' in choice && choice.issue.kind === 'missing') {
    const vars = (names: string[]) => names.map((n) => manifest.auth.credentials[n]?.env ?? `(credential ${n} has no env in the manifest)`).join(' and ');
    const options = manifest.auth.methods.map((m) => vars(neededCredentials(m, manifest).filter((n) => !credentials[n]))).filter((v) => v !== '');
    throw new ConfigurationError(`credentials: 'env' found no usable credential in the environment: set ${options.join(', or ')}.`);
  }
  return credentials;
}

/** The credentials a runtime is given, as a record: `'env'` read from the environment. */
export function resolveCredentials(manifest: Manifest, credentials: Record<string, string> | 'env' | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  if (credentials === 'env') return requireCredentialsFromEnv(manifest, env);
  return credentials ?? {};
}
