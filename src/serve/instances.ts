import { randomUUID } from 'node:crypto';
import { chooseAuth } from '../auth/choose.js';
import { serverVariables } from '../config.js';
import { ConfigurationError, ParameterError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
import { decrypt, encrypt } from './secrets.js';
import type { InstanceStore, StoredInstance } from './store.js';

/** What the API shows of an instance: never its auth_config. */
export interface PublicInstance {
  id: string;
  name: string;
  connector_definition_id: string;
  created_at: string;
  /** The connector's configuration (server variables such as a subdomain); not secret. */
  config?: Record<string, string>;
}

/** Instances and their runtimes: one runtime (pool, rate limiter) per instance, made on first use. */
export class Instances {
  readonly #runtimes = new Map<string, Promise<Runtime>>();

  constructor(
    private readonly store: InstanceStore,
    private readonly key: Buffer,
    readonly definitions: ReadonlyMap<string, Manifest>,
    /** Operator settings every runtime gets (e.g. baseUrl); never from the API. */
    private readonly operator: Omit<RuntimeOptions, 'manifest' | 'credentials'>,
  ) {}

  create(input: { connector_definition_id: string; auth_config: Record<string, unknown>; name: string; config?: Record<string, unknown> }): PublicInstance {
    const manifest = this.definitions.get(input.connector_definition_id);
    if (!manifest) {
      throw new NotFound(`no connector definition ${JSON.stringify(input.connector_definition_id)}; known: ${[...this.definitions.keys()].join(', ')}.`);
    }
    checkAuthConfig(manifest, input.auth_config);
    const config = checkConfig(manifest, input.config ?? {});
    const id = randomUUID();
    const instance: StoredInstance = {
      id,
      name: input.name,
      connector_definition_id: input.connector_definition_id,
      created_at: new Date().toISOString(),
      sealed_auth: encrypt(this.key, JSON.stringify(input.auth_config), id),
      config: Object.keys(config).length ? JSON.stringify(config) : null,
    };
    this.store.insert(instance);
    return visible(instance);
  }

  list(): PublicInstance[] {
    return this.store.list().map(visible);
  }

  get(id: string): PublicInstance {
    return visible(this.#stored(id));
  }

  async delete(id: string): Promise<void> {
    if (!this.store.delete(id)) throw new NotFound(`no connector instance ${JSON.stringify(id)}.`);
    await this.#closeRuntime(id);
  }

  /** The instance's runtime, created once and shared by concurrent calls. */
  runtime(id: string): Promise<Runtime> {
    let runtime = this.#runtimes.get(id);
    if (!runtime) {
      const stored = this.#stored(id);
      const auth = decrypt(this.key, stored.sealed_auth, id);
      if (auth === undefined) {
        throw new ConfigurationError(`the stored credentials of instance ${id} cannot be decrypted with this server's secret key.`);
      }
      runtime = createRuntime({
        ...this.operator,
        manifest: this.definitions.get(stored.connector_definition_id)!,
        credentials: JSON.parse(auth) as Record<string, string>,
        ...(stored.config ? { config: JSON.parse(stored.config) as Record<string, string> } : {}),
      });
      this.#runtimes.set(id, runtime);
      runtime.catch(() => this.#runtimes.delete(id));
    }
    return runtime;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#runtimes.keys()].map((id) => this.#closeRuntime(id)));
  }

  #stored(id: string): StoredInstance {
    const stored = this.store.get(id);
    if (!stored || !this.definitions.has(stored.connector_definition_id)) throw new NotFound(`no connector instance ${JSON.stringify(id)}.`);
    return stored;
  }

  async #closeRuntime(id: string): Promise<void> {
    const runtime = this.#runtimes.get(id);
    this.#runtimes.delete(id);
    if (runtime) await (await runtime.catch(() => undefined))?.close();
  }
}

/** An instance, definition, entity or action that does not exist (HTTP 404). */
export class NotFound extends Error {}

function visible(i: Omit<StoredInstance, 'sealed_auth'>): PublicInstance {
  const out: PublicInstance = { id: i.id, name: i.name, connector_definition_id: i.connector_definition_id, created_at: i.created_at };
  if (i.config) out.config = JSON.parse(i.config) as Record<string, string>;
  return out;
}

/** auth_config must hold the manifest's credentials, as strings, enough for one of its auth methods. */
function checkAuthConfig(manifest: Manifest, auth: Record<string, unknown>): void {
  const choice = chooseAuth(manifest, auth);
  if ('issue' in choice) throw new ParameterError(`auth_config: ${choice.issue.message}`, choice.issue.name);
}

/** config holds the manifest's server variables (a tenant's subdomain), checked as the runtime will. */
function checkConfig(manifest: Manifest, config: Record<string, unknown>): Record<string, string> {
  for (const [k, v] of Object.entries(config)) if (typeof v !== 'string') throw new ParameterError(`config.${k} must be a string.`, k);
  try {
    serverVariables(manifest, config as Record<string, string>);
  } catch (err) {
    if (err instanceof ConfigurationError) throw new ParameterError(`config: ${err.message}`);
    throw err;
  }
  return config as Record<string, string>;
}
