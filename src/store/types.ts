/**
 * The context store: a local copy of a connector's records, kept by `sync` and searched by
 * hosts and agents. One interface, two engines (SQLite for one machine, PostgreSQL when
 * several syncs and servers share one store). Every method is one transaction or none.
 */

/** A record as stored: its id, its `updated_at` (seconds, when the entity has one) and the JSON. */
export interface StoredRecord {
  id: string;
  updated_at: number | null;
  /** A JSON value, as JSON.parse gives it (no Date or other `toJSON`): indexed fields are read from it as SQL reads the JSON text. */
  record: Record<string, unknown>;
  /** The record as JSON text, when the caller has it (a sync makes it as each page comes, not all at once when it writes). */
  json?: string;
}

/** Where the sync of one entity stands, written in the same transaction as the page it follows. */
export interface SyncState {
  entity: string;
  /** `full`: a pass over every record (deletions are found at its end); `changes`: what changed since `checkpoint`. */
  mode: 'full' | 'changes';
  /** The page cursor to go on from within the current pass; null at the start of a pass. */
  cursor: string | null;
  /** Identifies the current full pass: records it saw carry it, so the ones it did not see were deleted upstream. */
  pass: string | null;
  /** Highest `updated_at` (seconds) of a completed pass: where the next change feed starts. */
  checkpoint: number | null;
  /** Highest `updated_at` seen in the current pass, not yet a checkpoint. */
  high_water: number | null;
  /** When the last full pass completed (ms since the epoch), or null. */
  full_at: number | null;
  /** When the last pass of any kind completed (ms since the epoch), or null. */
  synced_at: number | null;
}

/** A filter in the native search's language: one `{ field, operator, value }` or an AND/OR group. */
export type StoreFilter =
  | { field: string; operator: '=' | '!=' | 'IN' | 'NIN' | '>' | '<' | '>=' | '<=' | '~' | '!~' | '^' | '$'; value: unknown }
  | { operator: 'AND' | 'OR'; value: StoreFilter[] };

export interface StoreQuery {
  where?: StoreFilter;
  /** Dotted field and direction; ties are broken by id, so pages are stable. */
  sort?: { field: string; order?: 'ascending' | 'descending' };
  /** At most this many records (default 50, at most 1,000). */
  limit?: number;
  /** The `next_cursor` of a previous answer to the same query. */
  cursor?: string;
}

export interface StoreAnswer {
  data: Record<string, unknown>[];
  /** Null on the last page. */
  next_cursor: string | null;
  freshness: {
    /** `synced_at` (ISO 8601) of the oldest record in this answer, or null when it is empty. */
    oldest_record_synced_at: string | null;
    /** The entity's last checkpoint (seconds of `updated_at`) and when its last pass completed. */
    checkpoint: number | null;
    last_synced_at: string | null;
  };
}

export interface EntityStatus {
  entity: string;
  records: number;
  mode: SyncState['mode'] | null;
  checkpoint: number | null;
  /** A pass under way (a cursor to go on from), e.g. after a stop. */
  in_progress: boolean;
  last_synced_at: string | null;
  last_full_at: string | null;
}

/** Who syncs an entity: one sync at a time per entity, or two passes would delete each other's records. */
export interface SyncLock {
  id: string;
  host: string;
  pid: number;
  /** When it took the lock, and when it last wrote a page (ms since the epoch). */
  since: number;
  heartbeat: number;
}

export interface ContextStore {
  /** `sqlite` or `postgres`, for messages. */
  readonly kind: string;
  /**
   * Creates or upgrades the schema (versioned migrations; safe to call from several
   * processes) and each entity's table, with an index per listed field (dotted paths).
   */
  migrate(entities: readonly { name: string; indexes: readonly string[] }[]): Promise<void>;
  state(entity: string): Promise<SyncState | undefined>;
  /**
   * One page, in one transaction: upserts its records (a record older than the stored one,
   * by `updated_at`, is skipped: a change feed may repeat what a later page already wrote),
   * marks them seen by `state.pass`, and saves `state`. Returns how many rows changed.
   */
  writePage(records: readonly StoredRecord[], state: SyncState): Promise<number>;
  /**
   * The end of a full pass, in one transaction: deletes the records of the entity that the
   * pass did not see (deleted upstream) and saves `state`. Returns how many were deleted.
   */
  endFullPass(state: SyncState): Promise<number>;
  /**
   * Takes (or, for its holder, renews) the entity's sync lock, in one transaction; `steal`
   * names a holder the caller found dead. Returns undefined when taken, else the holder.
   */
  lock(entity: string, owner: SyncLock, steal?: string): Promise<SyncLock | undefined>;
  unlock(entity: string, ownerId: string): Promise<void>;
  search(entity: string, query: StoreQuery): Promise<StoreAnswer>;
  status(): Promise<EntityStatus[]>;
  close(): Promise<void>;
}
