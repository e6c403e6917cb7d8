import { randomUUID } from 'node:crypto';
import { chooseAuth } from '../auth/choose.js';
import { serverVariables } from '../config.js';
import { ConfigurationError, ParameterError } from '../errors.js';
import { accessOf } from '../manifest/access.js';
import type { Manifest } from '../manifest/types.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
import { ApiError, NotFound } from './api-error.js';
import { checkCall, checkNotPossible, verifyCredentials } from './check.js';
import { decrypt, encrypt } from './secrets.js';
import type { InstanceStore, Scope, StoredInstance } from './store.js';

export { NotFound };

/** What the API shows of an instance: never its auth_config. */
export interface PublicInstance {
  id: string;
  name: string;
  connector_definition_id: string;
  created_at: string;
  /** The connector's configuration (server variables such as a subdomain); not secret. */
  config?: Record<string, string>;
  /** `read`: only operations that read run; `read_write`: every operation. */
  scope: Scope;
  /** Set when this request checked the credentials upstream (`check: true`) and they worked. */
  checked?: true;
}

export interface CreateInput {
  connector_definition_id: string;
  auth_config: Record<string, unknown>;
  name: string;
  config?: Record<string, unknown>;
  /** Default `read`. */
  scope?: Scope;
  check?: boolean;
}

export interface UpdateInput {
  auth_config?: Record<string, unknown>;
  name?: string;
  scope?: Scope;
  check?: boolean;
}

/** A runtime and the sealed credentials and config it was made from. */
interface CachedRuntime {
  sealed: Buffer;
  config: string | null;
  runtime: Promise<Runtime>;
}

/**
 * Instances and their runtimes: one runtime (pool, rate limiter) per instance, made on first
 * use. The store is the truth: each call reads its instance's row, so a change made through
 * another replica (scope, credentials, deletion) applies at this replica's next call.
 */
export class Instances {
  readonly #runtimes = new Map<string, CachedRuntime>();

  constructor(
    private readonly store: InstanceStore,
    private readonly key: Buffer,
    readonly definitions: ReadonlyMap<string, Manifest>,
    /** Operator settings every runtime gets (e.g. baseUrl); never from the API. */
    private readonly operator: Omit<RuntimeOptions, 'manifest' | 'credentials'>,
  ) {}

  async create(input: CreateInput): Promise<PublicInstance> {
    const manifest = this.definitions.get(input.connector_definition_id);
    if (!manifest) {
      throw new NotFound(`no connector definition ${JSON.stringify(input.connector_definition_id)}; known: ${[...this.definitions.keys()].join(', ')}.`);
    }
    const auth = checkAuthConfig(manifest, input.auth_config);
    const config = checkConfig(manifest, input.config ?? {});
    if (input.check) await this.#verify(manifest, auth, config);
    const id = randomUUID();
    const instance: StoredInstance = {
      id,
      name: input.name,
      connector_definition_id: input.connector_definition_id,
      created_at: new Date().toISOString(),
      sealed_auth: this.#seal(id, auth),
      config: Object.keys(config).length ? JSON.stringify(config) : null,
      // Safe by default: writing upstream is asked for, never assumed.
      scope: input.scope ?? 'read',
    };
    await this.store.insert(instance);
    return checked(visible(instance), input.check);
  }

  /**
   * Renames an instance and/or replaces its credentials, validated and sealed as on creation.
   * New credentials take effect at the next call: the instance's runtime is closed (calls in
   * flight finish on it) and made again from the store.
   */
  async update(id: string, patch: UpdateInput): Promise<PublicInstance> {
    const stored = await this.find(id);
    const manifest = this.definitions.get(stored.connector_definition_id)!;
    const auth = patch.auth_config === undefined ? undefined : checkAuthConfig(manifest, patch.auth_config);
    if (patch.check) await this.#verify(manifest, auth ?? this.#open(stored), configOf(stored));
    const change = {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(auth ? { sealed_auth: this.#seal(id, auth) } : {}),
      // Read at every call: the next call has the new scope, no runtime to rebuild.
      ...(patch.scope !== undefined ? { scope: patch.scope } : {}),
    };
    // Deleted meanwhile (during the check): nothing to update.
    if (!(await this.store.update(id, change))) throw new NotFound(`no connector instance ${JSON.stringify(id)}.`);
    if (auth) await this.#closeRuntime(id);
    return checked(await this.get(id), patch.check);
  }

  async list(): Promise<PublicInstance[]> {
    return (await this.store.list()).map(visible);
  }

  async get(id: string): Promise<PublicInstance> {
    return visible(await this.find(id));
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw new NotFound(`no connector instance ${JSON.stringify(id)}.`);
    await this.#closeRuntime(id);
  }

  /**
   * The instance as stored (credentials sealed), for one call: read once, then checked with
   * assertAllowed and run with runtime. Unknown (or deleted through another replica): NotFound.
   */
  async find(id: string): Promise<StoredInstance> {
    const stored = await this.store.get(id);
    if (!stored || !this.definitions.has(stored.connector_definition_id)) {
      // Deleted elsewhere: its runtime here is let go too.
      if (this.#runtimes.has(id)) void this.#closeRuntime(id);
      throw new NotFound(`no connector instance ${JSON.stringify(id)}.`);
    }
    return stored;
  }

  /**
   * Refuses a write on a `read` instance before anything is sent. An unknown entity or
   * action passes: the runtime names the valid ones.
   */
  assertAllowed(stored: StoredInstance, entity: string, action: string): void {
    const id = stored.id;
    if (stored.scope === 'read_write') return;
    const entities = this.definitions.get(stored.connector_definition_id)!.entities;
    const spec = Object.hasOwn(entities, entity) && Object.hasOwn(entities[entity]!.actions, action) ? entities[entity]!.actions[action]! : undefined;
    if (!spec || accessOf(spec) === 'read') return;
    throw new ApiError(
      403,
      'WRITE_NOT_ALLOWED',
      `${entity}.${action} writes (${spec.method} ${spec.path}), and instance ${id} has scope "read": it runs only operations that read. Nothing was sent. ` +
        `To allow writes, PATCH /api/v1/connectors/instances/${id} with {"scope": "read_write"}, or create an instance with "scope": "read_write".`,
    );
  }

  /**
   * The instance's runtime, created once and shared by concurrent calls. It is made again when
   * the stored credentials differ from those it was made with (sealed anew by a PATCH, here or
   * through another replica, or by a key rotation); the old one finishes its calls in flight.
   */
  runtime(stored: StoredInstance): Promise<Runtime> {
    const { id } = stored;
    const cached = this.#runtimes.get(id);
    if (cached && cached.sealed.equals(stored.sealed_auth) && cached.config === stored.config) return cached.runtime;
    if (cached) void this.#closeRuntime(id);
    let runtime: Promise<Runtime>;
    try {
      runtime = createRuntime({
        ...this.operator,
        manifest: this.definitions.get(stored.connector_definition_id)!,
        credentials: this.#open(stored),
        ...configOption(configOf(stored)),
      });
    } catch (err) {
      return Promise.reject(err);
    }
    const entry: CachedRuntime = { sealed: stored.sealed_auth, config: stored.config, runtime };
    this.#runtimes.set(id, entry);
    // A runtime that failed to start is forgotten, so the next call tries again; only this entry,
    // not one made since.
    runtime.catch(() => {
      if (this.#runtimes.get(id) === entry) this.#runtimes.delete(id);
    });
    return runtime;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#runtimes.keys()].map((id) => this.#closeRuntime(id)));
  }

  /** Credentials are sealed bound to their instance's id: a copy in another row does not open. */
  #seal(id: string, auth: Record<string, string>): Buffer {
    return encrypt(this.key, JSON.stringify(auth), id);
  }

  #open(stored: StoredInstance): Record<string, string> {
    const auth = decrypt(this.key, stored.sealed_auth, stored.id);
    if (auth === undefined) {
      throw new ConfigurationError(`the stored credentials of instance ${stored.id} cannot be decrypted with this server's secret key.`);
    }
    return JSON.parse(auth) as Record<string, string>;
  }

  /** `check: true`: one cheap call with these credentials before anything is stored. */
  async #verify(manifest: Manifest, credentials: Record<string, string>, config: Record<string, string>): Promise<void> {
    const call = checkCall(manifest);
    if (!call) throw checkNotPossible(manifest);
    await verifyCredentials(manifest, call, { ...this.operator, credentials, ...configOption(config) });
  }

  async #closeRuntime(id: string): Promise<void> {
    const cached = this.#runtimes.get(id);
    this.#runtimes.delete(id);
    if (cached) await (await cached.runtime.catch(() => undefined))?.close().catch(() => {});
  }
}

function visible(i: Omit<StoredInstance, 'sealed_auth'>): PublicInstance {
  const out: PublicInstance = { id: i.id, name: i.name, connector_definition_id: i.connector_definition_id, created_at: i.created_at, scope: i.scope };
  if (i.config) out.config = JSON.parse(i.config) as Record<string, string>;
  return out;
}

function checked(instance: PublicInstance, check: boolean | undefined): PublicInstance {
  return check ? { ...instance, checked: true } : instance;
}

function configOf(stored: StoredInstance): Record<string, string> {
  return stored.config ? (JSON.parse(stored.config) as Record<string, string>) : {};
}

function configOption(config: Record<string, string>): { config?: Record<string, string> } {
  return Object.keys(config).length ? { config } : {};
}

/** auth_config must hold the manifest's credentials, as strings, enough for one of its auth methods. */
function checkAuthConfig(manifest: Manifest, auth: Record<string, unknown>): Record<string, string> {
  const choice = chooseAuth(manifest, auth);
  if ('issue' in choice) throw new ParameterError(`auth_config: ${choice.issue.message}`, choice.issue.name);
  return auth as Record<string, string>;
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
