/**
 * What an instance may do upstream: `read` (the default) runs only the operations that read
 * (see manifest/access.ts); `read_write` runs every operation.
 */
export type Scope = 'read' | 'read_write';
export const SCOPES: readonly Scope[] = ['read', 'read_write'];

/** A connector instance as stored: its credentials stay sealed. */
export interface StoredInstance {
  id: string;
  name: string;
  connector_definition_id: string;
  created_at: string;
  /** AES-256-GCM sealed JSON of the auth_config. */
  sealed_auth: Buffer;
  /** JSON of the connector configuration (server variables), or null. */
  config: string | null;
  scope: Scope;
}

/**
 * Where instances live. One implementation (SQLite) today; another database needs only
 * these methods.
 */
export interface InstanceStore {
  insert(instance: StoredInstance): void;
  list(): Omit<StoredInstance, 'sealed_auth'>[];
  get(id: string): StoredInstance | undefined;
  /** Changes what is given of an instance's name, sealed credentials and scope; true if it existed. */
  update(id: string, change: { name?: string; sealed_auth?: Buffer; scope?: Scope }): boolean;
  /** True if it existed. */
  delete(id: string): boolean;
  /** A small key-value table for the server's own state (key check, API key digest). */
  getSetting(key: string): Buffer | undefined;
  setSetting(key: string, value: Buffer): void;
  /** True once any credential was sealed into this store (an instance, or the key check). */
  holdsSecrets(): boolean;
  /** Re-seals every instance and the key check in one transaction; returns how many instances. */
  resealAll(change: (id: string, sealed: Buffer) => Buffer, keyCheck: Buffer): number;
  /** Why the store cannot serve right now, or undefined when it can. */
  health(): string | undefined;
  close(): void;
}
