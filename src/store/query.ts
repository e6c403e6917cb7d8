/** What both store engines do alike around a search: limits, the opaque cursor, the answer and its freshness. */
import { createHash } from 'node:crypto';
import { ParameterError } from '../errors.js';
import type { StoreAnswer, StoreQuery, SyncState } from './types.js';

export type Clock = () => number;

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

/** Entity names become table names: identifiers only (the manifest allows no other). */
export function checkEntityName(entity: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(entity)) throw new ParameterError(`store: ${JSON.stringify(entity)} is not an entity name.`, 'entity');
  return entity;
}

export function pageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIMIT) {
    throw new ParameterError(`store search: limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}.`, 'limit');
  }
  return limit as number;
}

/** The query a cursor belongs to: a cursor of another query (or entity) is refused, not misread. */
function fingerprint(entity: string, q: StoreQuery): string {
  return createHash('sha256').update(JSON.stringify([entity, q.where ?? null, q.sort ?? null])).digest('base64url').slice(0, 16);
}

/** The offset a cursor stands for; 0 without one. */
export function decodeCursor(q: StoreQuery, entity: string): number {
  if (q.cursor === undefined) return 0;
  const m = /^st1\.([A-Za-z0-9_-]{16})\.([0-9]{1,9})$/.exec(q.cursor);
  if (!m || m[1] !== fingerprint(entity, q)) {
    throw new ParameterError('store search: cursor is not the next_cursor of this search (same entity, where and sort); omit it to start at the first page.', 'cursor');
  }
  return Number(m[2]);
}

/** The answer: at most `limit` records (one more was read to know whether a next page exists), and how fresh they are. */
export function answerPage(
  entity: string,
  q: StoreQuery,
  rows: { record: Record<string, unknown>; synced_at: number }[],
  limit: number,
  offset: number,
  state: SyncState | undefined,
): StoreAnswer {
  const page = rows.slice(0, limit);
  const oldest = page.reduce<number | undefined>((min, r) => (min === undefined || r.synced_at < min ? r.synced_at : min), undefined);
  return {
    data: page.map((r) => r.record),
    next_cursor: rows.length > limit ? `st1.${fingerprint(entity, q)}.${offset + limit}` : null,
    freshness: {
      oldest_record_synced_at: oldest === undefined ? null : new Date(oldest).toISOString(),
      checkpoint: state?.checkpoint ?? null,
      last_synced_at: state?.synced_at ? new Date(state.synced_at).toISOString() : null,
    },
  };
}
