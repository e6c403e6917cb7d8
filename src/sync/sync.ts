/**
 * Incremental sync of a connector's entities into a context store, as each entity's `sync`
 * declares it. Each page's records and the state that follows them are written in one
 * transaction, so a sync stopped at any moment (even kill -9) goes on from the last page it
 * wrote: nothing lost, nothing twice. No vendor knowledge here: the manifest says which
 * actions read everything and which read changes.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigurationError, HttpError } from '../errors.js';
import type { PageOf } from '../pagination/driver.js';
import type { JsonSchema, Manifest, SyncSpec } from '../manifest/types.js';
import { pagingParams } from '../manifest/paging.js';
import type { Runtime } from '../runtime-types.js';
import type { ContextStore, StoredRecord, SyncLock, SyncState } from '../store/types.js';

/** What a host hears as a sync goes: one event per write (the records and pages it holds), and one per entity done. */
export type SyncEvent =
  | { type: 'page'; entity: string; mode: SyncState['mode']; records: number; pages: number; written: number; total_count: number | undefined }
  | { type: 'done'; entity: string; mode: SyncState['mode']; records: number; pages: number; deleted: number; checkpoint: number | null }
  | { type: 'stopped'; entity: string; mode: SyncState['mode']; records: number; pages: number }
  | { type: 'restarted'; entity: string; mode: SyncState['mode']; reason: string }
  | { type: 'kept'; entity: string; records: number; reason: string };

export interface SyncOptions {
  /** The entities to sync (default: every entity whose manifest declares `sync`). */
  entities?: readonly string[];
  /** A full pass even where a change feed could be used (deletions are found at its end). */
  full?: boolean;
  /** Stops at the next page boundary, with everything so far written. */
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
  /** Milliseconds since the epoch (tests pass their own). */
  clock?: () => number;
}

export interface SyncReport {
  entity: string;
  mode: SyncState['mode'];
  records: number;
  pages: number;
  deleted: number;
  /** False when the signal stopped it; the next sync goes on from where it stopped. */
  complete: boolean;
}

/** The entities a manifest declares how to sync, each with its spec. */
export function syncedEntities(manifest: Manifest): [string, SyncSpec][] {
  return Object.entries(manifest.entities).flatMap(([name, e]) => (e.sync ? [[name, e.sync] as [string, SyncSpec]] : []));
}

/** The record schema of a synced entity's records (its full action's), for projections; undefined when it does not sync. */
export function syncedRecord(manifest: Manifest, entity: string): { spec: SyncSpec; record: JsonSchema | undefined } | undefined {
  const spec = Object.hasOwn(manifest.entities, entity) ? manifest.entities[entity]!.sync : undefined;
  return spec && { spec, record: manifest.entities[entity]!.actions[spec.full]?.record };
}

/** Creates the store's tables for the manifest's synced entities (with their indexes). */
export async function prepareStore(manifest: Manifest, store: ContextStore): Promise<void> {
  await store.migrate(syncedEntities(manifest).map(([name, s]) => ({ name, indexes: s.indexes ?? [] })));
}

/**
 * Syncs entities one after another. A pass under way (after a stop or a crash) is finished
 * first; then a change pass where the entity has a change feed and a checkpoint, else a full
 * pass.
 *
 * @example
 * const reports = await syncAll(runtime, store, { entities: ['contacts'], onEvent: console.log });
 */
export async function syncAll(runtime: Runtime, store: ContextStore, options: SyncOptions = {}): Promise<SyncReport[]> {
  const declared = new Map(syncedEntities(runtime.manifest));
  const names = options.entities ?? [...declared.keys()];
  for (const name of names) {
    if (!declared.has(name)) {
      throw new ConfigurationError(
        `${JSON.stringify(name)} cannot be synced: its manifest entry declares no \`sync\`. Entities that can: ${[...declared.keys()].join(', ') || 'none'}.`,
      );
    }
  }
  await prepareStore(runtime.manifest, store);
  const reports: SyncReport[] = [];
  for (const name of names) {
    const release = await takeLock(store, name);
    try {
      const report = await syncEntity(runtime, store, name, declared.get(name)!, options, release.renew);
      reports.push(report);
      if (!report.complete) break;
    } finally {
      await release.release();
    }
  }
  return reports;
}

/** A lock whose holder wrote nothing for this long is taken over (its host may be gone). */
const STALE_LOCK_MS = 15 * 60_000;
const RENEW_LOCK_MS = 30_000;

/**
 * One sync per entity at a time: two full passes would each delete what the other marked.
 * A holder that died (kill -9) on this host, or wrote nothing for 15 minutes, is taken over.
 */
async function takeLock(store: ContextStore, entity: string): Promise<{ renew: () => Promise<void>; release: () => Promise<void> }> {
  const owner: SyncLock = { id: randomUUID(), host: hostname(), pid: process.pid, since: Date.now(), heartbeat: Date.now() };
  let held = await store.lock(entity, owner);
  if (held && ((held.host === owner.host && !alive(held.pid)) || Date.now() - held.heartbeat > STALE_LOCK_MS)) held = await store.lock(entity, owner, held.id);
  if (held) {
    throw new ConfigurationError(
      `another sync of ${entity} is running (process ${held.pid} on ${held.host}, since ${new Date(held.since).toISOString()}); wait for it to finish. ` +
        `A sync that stopped without releasing its lock is taken over once its process is gone, or after ${STALE_LOCK_MS / 60_000} minutes without a page.`,
    );
  }
  let renewed = owner.heartbeat;
  return {
    async renew() {
      if (Date.now() - renewed < RENEW_LOCK_MS) return;
      renewed = Date.now();
      const other = await store.lock(entity, { ...owner, heartbeat: renewed });
      if (other) throw new ConfigurationError(`the sync lock of ${entity} was taken over by process ${other.pid} on ${other.host} (this sync wrote nothing for ${STALE_LOCK_MS / 60_000} minutes); stopping.`);
    },
    release: () => store.unlock(entity, owner.id),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncEntity(runtime: Runtime, store: ContextStore, entity: string, spec: SyncSpec, o: SyncOptions, renewLock: () => Promise<void>): Promise<SyncReport> {
  const now = o.clock ?? Date.now;
  const idField = spec.id ?? 'id';
  const updatedField = spec.updated ?? 'updated_at';
  let state: SyncState = (await store.state(entity)) ?? { entity, mode: 'full', cursor: null, pass: null, checkpoint: null, high_water: null, full_at: null, synced_at: null };

  // --full wins over a change pass under way (its window is read again by the full pass anyway).
  const underWay = state.cursor !== null && !(o.full === true && state.mode === 'changes');
  if (!underWay) {
    const fullDue = spec.full_every_s !== undefined && (state.full_at === null || now() - state.full_at > spec.full_every_s * 1000);
    const full = o.full === true || !spec.changes || state.checkpoint === null || fullDue;
    state = { ...state, mode: full ? 'full' : 'changes', pass: full ? randomUUID() : state.pass, high_water: null };
  }
  const action = state.mode === 'full' ? spec.full : spec.changes!.action;
  const actionSpec = runtime.manifest.entities[entity]!.actions[action]!;
  const paging = pagingParams(runtime.manifest, actionSpec);
  const params: Record<string, unknown> = {};
  if (state.mode === 'changes') {
    const since = Math.max(0, (state.checkpoint ?? 0) - (spec.changes!.lookback_s ?? 0));
    params[spec.changes!.param] = fillSince(spec.changes!.filter, since);
    if (spec.changes!.newest_first) params[spec.changes!.newest_first.param] = spec.changes!.newest_first.value;
  }
  // Newest first, a page that reaches the checkpoint ends the pass: the rest of the window (a
  // coarse filter's whole day) was read by the pass that set it. (A record changed again within
  // the checkpoint's own second, after that pass read it, waits for the next full pass.)
  // Not right after a full pass: its checkpoint is the newest record it saw, and a record it read
  // early and that changed before the pass ended sits below that checkpoint, inside the window.
  const afterFullPass = state.full_at !== null && state.full_at === state.synced_at;
  const stopBelow = state.mode === 'changes' && spec.changes!.newest_first && state.checkpoint !== null && !afterFullPass ? state.checkpoint : undefined;
  if (spec.page_size !== undefined && paging.pageSize) params[paging.pageSize] = spec.page_size;
  if (state.cursor !== null && paging.cursor) params[paging.cursor] = state.cursor;

  let records = 0;
  let pages = 0;
  const resumed = state.cursor !== null;
  // Pages are written a few at a time, with the state after the last of them, in one
  // transaction: a stop or a crash between writes loses nothing but pages to read again. One
  // transaction a page rewrote every index page that page touched (random keys such as emails
  // touch most of them): a page of 150 contacts cost 22-33 us a record in SQLite, ten pages 15.
  let group: { rows: StoredRecord[]; pages: number; total_count: number | undefined } = { rows: [], pages: 0, total_count: undefined };
  let groupStarted = now();
  // Writes are made while the next pages are read, one at a time: a store that writes off the
  // event loop (SQLite in its own thread, PostgreSQL over the network) then costs the pass little
  // more than reading. While the store is busy, pages gather for the next write (up to a bound).
  // Writes land in order; a failed one stops the pass at the next page.
  let inFlight = 0;
  let writing: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;
  const start = (job: () => Promise<void>) => {
    inFlight++;
    writing = writing
      .then(() => (failed ? undefined : job()))
      .catch((error: unknown) => {
        failed ??= { error };
      })
      .finally(() => inFlight--);
  };
  const check = () => {
    if (failed) throw failed.error;
  };
  const write = async (wait: boolean) => {
    check();
    if (inFlight > 0 && (wait || group.rows.length >= MAX_GATHERED)) await writing;
    check();
    if (inFlight > 0 || group.pages === 0) return;
    const g = group;
    const at = state;
    group = { rows: [], pages: 0, total_count: undefined };
    groupStarted = now();
    await renewLock();
    start(async () => {
      const written = await store.writePage(g.rows, at);
      records += g.rows.length;
      pages += g.pages;
      o.onEvent?.({ type: 'page', entity, mode: at.mode, records: g.rows.length, pages: g.pages, written, total_count: g.total_count });
    });
  };
  const drain = async () => {
    await write(true);
    await writing;
    check();
  };
  if (state.cursor !== READ_TO_END) {
    // No read-ahead when a page may end the pass early: the page after it would be a request for nothing.
    const read = (p: Record<string, unknown>) => runtime.pages({ entity, action, params: p }, { prefetch: stopBelow === undefined });
    const restart = (reason: string) => o.onEvent?.({ type: 'restarted', entity, mode: state.mode, reason });
    const resumedFrom = state.cursor !== null && paging.cursor !== undefined ? paging.cursor : undefined;
    try {
      for await (const page of resumedFrom ? resumeOrRestart(read, params, resumedFrom, restart) : read(params)) {
        const rows: StoredRecord[] = page.data.map((r) => toStored(r as Record<string, unknown>, idField, updatedField, entity));
        let high = state.high_water;
        for (const r of rows) if (r.updated_at !== null && (high === null || r.updated_at > high)) high = r.updated_at;
        // Newest first: once a record is no newer than the checkpoint, every later one is older still.
        const last = rows.at(-1);
        const olderThanCheckpoint = stopBelow !== undefined && last !== undefined && last.updated_at !== null && last.updated_at <= stopBelow;
        const next = olderThanCheckpoint ? null : page.meta.next_page;
        // A full pass that has read everything still has deletions to find: it says so rather than
        // ending, so a stop right here comes back to find them. A change pass ends with its page.
        state =
          next !== null ? { ...state, cursor: next, high_water: high } : state.mode === 'full' ? { ...state, cursor: READ_TO_END, high_water: high } : finished({ ...state, high_water: high }, now());
        for (const r of rows) group.rows.push(r);
        group.pages++;
        group.total_count = page.meta.total_count;
        const stopping = next === null || o.signal?.aborted === true;
        if (stopping) await drain();
        else if (group.rows.length >= GROUP_RECORDS || now() - groupStarted >= GROUP_MS) await write(false);
        if (next === null) break;
        if (o.signal?.aborted) {
          // Also when the stop came while this page waited for the store: all of it is written first.
          await drain();
          o.onEvent?.({ type: 'stopped', entity, mode: state.mode, records, pages });
          return { entity, mode: state.mode, records, pages, deleted: 0, complete: false };
        }
      }
    } catch (err) {
      // The pages read before the failure are kept, with the state that goes on after them. If
      // that write fails too, the failure to report is still the first; the next sync reads them again.
      if (!failed) await drain().catch(() => {});
      throw err;
    }
  }
  let deleted = 0;
  if (state.mode === 'full') {
    // Records the pass did not see were deleted upstream; the checkpoint moves in the same transaction.
    const done = finished(state, now());
    const stored = records === 0 && !resumed && o.full !== true ? ((await store.status()).find((s) => s.entity === entity)?.records ?? 0) : 0;
    if (stored > 0) {
      // An empty answer where records were is more likely a glitch (or another workspace's token)
      // than every record deleted: keep them, say so, and let the next full pass decide.
      o.onEvent?.({ type: 'kept', entity, records: stored, reason: 'the full pass read no records, so none were deleted; if every record really was deleted upstream, sync --full empties the store' });
      await store.writePage([], { ...done, mode: spec.changes ? 'changes' : 'full', full_at: state.full_at });
    } else deleted = await store.endFullPass({ ...done, mode: spec.changes ? 'changes' : 'full' });
    state = done;
  }
  o.onEvent?.({ type: 'done', entity, mode: state.mode, records, pages, deleted, checkpoint: state.checkpoint });
  return { entity, mode: state.mode, records, pages, deleted, complete: true };
}

type Pages = AsyncGenerator<PageOf<Record<string, unknown>>, void, undefined>;

/**
 * The pages of a pass resumed from its cursor; if the API no longer takes that cursor (a scroll
 * that expired while the sync was down: 400, 404, 410), the pass starts over as the same pass:
 * what it wrote stays, and its deletions are still found at its end.
 */
async function* resumeOrRestart(read: (params: Record<string, unknown>) => Pages, params: Record<string, unknown>, cursorParam: string, restart: (reason: string) => void): Pages {
  const pager = read(params);
  let first: IteratorResult<PageOf<Record<string, unknown>>, void>;
  try {
    first = await pager.next();
  } catch (err) {
    if (!(err instanceof HttpError && [400, 404, 410].includes(err.status ?? 0))) throw err;
    restart(err.message);
    const { [cursorParam]: _spent, ...fresh } = params;
    return yield* read(fresh);
  }
  if (first.done) return;
  yield first.value;
  yield* pager;
}

/** A write holds this many records, or what came in a tenth of a second (from a slow API, each page is written as it comes). */
const GROUP_RECORDS = 500;
const GROUP_MS = 100;
/** Records gathered while the store is busy, at most, before the pass waits for it. */
const MAX_GATHERED = 10_000;

/** The cursor of a full pass that has read its last page and has yet to find deletions. */
const READ_TO_END = '';

/** The state once a pass has read its last page: the checkpoint moves up to what it saw. */
function finished(s: SyncState, at: number): SyncState {
  const checkpoint = s.high_water === null ? s.checkpoint : Math.max(s.checkpoint ?? s.high_water, s.high_water);
  return { ...s, cursor: null, checkpoint, high_water: null, synced_at: at, ...(s.mode === 'full' ? { full_at: at } : {}) };
}

function toStored(r: Record<string, unknown>, idField: string, updatedField: string, entity: string): StoredRecord {
  const id = r[idField];
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new ConfigurationError(`sync ${entity}: a record has no "${idField}" to identify it by; set sync.id in the manifest to the field that does.`);
  }
  const u = r[updatedField];
  return { id: String(id), updated_at: typeof u === 'number' && Number.isFinite(u) ? u : null, record: r, json: JSON.stringify(r) };
}

/** The filter with each "{since}" replaced by the start of the window. */
function fillSince(filter: unknown, since: number): unknown {
  if (filter === '{since}') return since;
  if (Array.isArray(filter)) return filter.map((f) => fillSince(f, since));
  if (filter !== null && typeof filter === 'object') return Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, fillSince(v, since)]));
  return filter;
}
