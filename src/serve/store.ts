/**
 * What an instance may do upstream: `read` (the default) runs only the operations that read
 * (see manifest/access.ts); `read_write` runs every operation.
 */
export type Scope = 'read' | 'read_write';

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
 * Where instances live: SQLite (one server) or PostgreSQL (several replicas on one database).
 * Every method is asynchronous, so a store over the network fits the same interface; each is
 * one statement or one transaction, never a read-modify-write split across calls.
 */
export interface InstanceStore {
  insert(instance: StoredInstance): Promise<void>;
  list(): Promise<Omit<StoredInstance, 'sealed_auth'>[]>;
  get(id: string): Promise<StoredInstance | undefined>;
  /** Changes what is given of an instance's name, sealed credentials and scope; true if it existed. */
  update(id: string, change: { name?: string; sealed_auth?: Buffer; scope?: Scope }): Promise<boolean>;
  /** True if it existed. */
  delete(id: string): Promise<boolean>;
  /** A small key-value table for the server's own state (key check, API key digest). */
  getSetting(key: string): Promise<Buffer | undefined>;
  setSetting(key: string, value: Buffer): Promise<void>;
  /**
   * Stores `value` under `key` unless a value is there already, and returns the stored one:
   * two replicas starting at once on a new database agree on one value (the first written).
   */
  initSetting(key: string, value: Buffer): Promise<Buffer>;
  /** True once any credential was sealed into this store (an instance, or the key check). */
  holdsSecrets(): Promise<boolean>;
  /** Re-seals every instance and the key check in one transaction; returns how many instances. */
  resealAll(change: (id: string, sealed: Buffer) => Buffer, keyCheck: Buffer): Promise<number>;
  /** Why the store cannot serve right now, or undefined when it can. */
  health(): Promise<string | undefined>;
  close(): Promise<void>;
}
