// The context store's shared test data: records whose fields differ in type on purpose, the
// filters and sorts over them with the answers they must give, and small helpers. Both store
// tests hold their engine to these answers (test/store-postgres.test.ts, test/store-sqlite.test.ts).
import type { ContextStore, StoredRecord, StoreFilter, StoreQuery, SyncState } from '../../src/store/types.js';

export const state = (entity: string, over: Partial<SyncState> = {}): SyncState => ({
  entity,
  mode: 'full',
  cursor: null,
  pass: 'p1',
  checkpoint: null,
  high_water: null,
  full_at: null,
  synced_at: null,
  ...over,
});
export const stored = (record: Record<string, unknown>): StoredRecord => ({
  id: String(record.id),
  updated_at: typeof record.updated_at === 'number' ? record.updated_at : null,
  record,
});
export const ids = (answer: { data: Record<string, unknown>[] }) => answer.data.map((r) => String(r.id));

/** Every id of a search, page after page, with the number of pages it took. */
export async function pageThrough(store: ContextStore, entity: string, query: StoreQuery): Promise<{ ids: string[]; pages: number }> {
  const all: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const answer = await store.search(entity, { ...query, ...(cursor ? { cursor } : {}) });
    all.push(...ids(answer));
    cursor = answer.next_cursor ?? undefined;
    pages++;
  } while (cursor);
  return { ids: all, pages };
}

// Types differ on purpose between records of one field (a score that is a string, an active
// that is the string "true", null and missing fields), so each operator's meaning across
// types is held to one answer on both engines.
export const PEOPLE: Record<string, unknown>[] = [
  { id: 'r01', name: 'Alice', email: 'alice@example.com', score: 10, active: true, tags: ['vip', 'beta'], company: { name: 'Acme', size: 50 }, updated_at: 100 },
  { id: 'r02', name: 'bob', email: 'BOB@Example.com', score: 20.5, active: false, tags: ['beta'], company: { name: 'acme', size: 5 }, updated_at: 200 },
  { id: 'r03', name: 'Carol', email: 'carol@test.org', score: null, active: true, company: { name: 'Globex' }, 'x-flag': 'On', updated_at: 300 },
  { id: 'r04', name: 'dave', tags: [], company: null, updated_at: 400 },
  { id: 'r05', name: 'Eve', email: 'eve@example.com', score: '10', active: 'true', note: '100% sure_thing', updated_at: 500 },
  { id: 'r06', email: 'frank@sample.net', score: 0, active: false, note: '50 percent', company: { name: 'Initech', size: 1000 }, updated_at: 600 },
  { id: 'r07', name: 'ALICE', score: -3, active: null, note: 'a\\b', updated_at: null },
  { id: 'r08', name: 'Zed', email: 'zed@example.com', score: 1e3, active: true, company: { name: 'Acme Corp', size: 50 }, codes: { '0': 'zero' }, updated_at: 800 },
];

export const f = (field: string, operator: string, value: unknown) => ({ field, operator, value }) as StoreFilter;
export const and = (...value: StoreFilter[]): StoreFilter => ({ operator: 'AND', value });
export const or = (...value: StoreFilter[]): StoreFilter => ({ operator: 'OR', value });

/** Each filter with the ids it must find. */
export const FILTERS: [StoreFilter, string[]][] = [
  [f('name', '=', 'alice'), ['r01', 'r07']],
  [f('name', '!=', 'alice'), ['r02', 'r03', 'r04', 'r05', 'r06', 'r08']],
  [f('email', '=', 'bob@example.com'), ['r02']],
  [f('email', '!=', 'alice@example.com'), ['r02', 'r03', 'r04', 'r05', 'r06', 'r07', 'r08']],
  [f('score', '=', 10), ['r01']],
  [f('score', '=', '10'), ['r05']],
  [f('score', '=', 1000), ['r08']],
  [f('score', '=', 0), ['r06']],
  [f('score', '!=', 10), ['r02', 'r03', 'r04', 'r05', 'r06', 'r07', 'r08']],
  [f('score', '=', null), ['r03', 'r04']],
  [f('score', '!=', null), ['r01', 'r02', 'r05', 'r06', 'r07', 'r08']],
  [f('active', '=', true), ['r01', 'r03', 'r08']],
  [f('active', '=', false), ['r02', 'r06']],
  [f('active', '!=', true), ['r02', 'r04', 'r05', 'r06', 'r07']],
  [f('active', '=', null), ['r04', 'r07']],
  [f('active', '=', 'true'), ['r05']],
  [f('company', '=', null), ['r04', 'r05', 'r07']],
  [f('score', 'IN', [20.5, 0, 1000]), ['r02', 'r06', 'r08']],
  [f('name', 'IN', ['bob', 'EVE', 'nobody']), ['r02', 'r05']],
  [f('active', 'IN', [true, null]), ['r01', 'r03', 'r04', 'r07', 'r08']],
  [f('name', 'NIN', ['bob', 'eve']), ['r01', 'r03', 'r04', 'r06', 'r07', 'r08']],
  [f('score', 'NIN', [10, 0]), ['r02', 'r03', 'r04', 'r05', 'r07', 'r08']],
  [f('score', '>', 5), ['r01', 'r02', 'r08']],
  [f('score', '<', 0), ['r07']],
  [f('score', '>=', 10), ['r01', 'r02', 'r08']],
  [f('score', '<=', 0), ['r06', 'r07']],
  [f('company.size', '>', 40), ['r01', 'r06', 'r08']],
  [f('company.size', '=', 50), ['r01', 'r08']],
  [f('name', '>', 'C'), ['r02', 'r03', 'r04', 'r05', 'r08']],
  [f('name', '<=', 'Carol'), ['r01', 'r03', 'r07']],
  [f('company.name', '=', 'ACME'), ['r01', 'r02']],
  [f('company.name', '~', 'acme'), ['r01', 'r02', 'r08']],
  [f('company.name', '!~', 'acme'), ['r03', 'r04', 'r05', 'r06', 'r07']],
  [f('name', '~', 'a'), ['r01', 'r03', 'r04', 'r07']],
  [f('name', '!~', 'a'), ['r02', 'r05', 'r06', 'r08']],
  [f('email', '^', 'ALICE'), ['r01']],
  [f('email', '$', '@EXAMPLE.COM'), ['r01', 'r02', 'r05', 'r08']],
  [f('note', '~', '%'), ['r05']],
  [f('note', '~', '_'), ['r05']],
  [f('note', '~', '\\'), ['r07']],
  [f('tags', '~', 'vip'), ['r01']],
  [f('score', '~', '1'), ['r01', 'r05', 'r08']],
  [f('tags.0', '=', 'vip'), []],
  [f('codes.0', '=', 'ZERO'), ['r08']],
  [f('x-flag', '=', 'on'), ['r03']],
  [and(f('active', '=', true), f('score', '>', 5)), ['r01', 'r08']],
  [or(f('name', '=', 'dave'), and(f('company.name', '~', 'acme'), f('score', '<', 15))), ['r01', 'r04']],
  [or(f('score', '=', null), f('active', '=', false)), ['r02', 'r03', 'r04', 'r06']],
  [and(or(f('name', '~', 'e'), f('email', '~', 'sample')), f('score', '!=', null)), ['r01', 'r05', 'r06', 'r07', 'r08']],
];

/** Each sort with the order it must give (nulls and missing fields last, numbers before strings, then by id). */
export const SORTS: [StoreQuery['sort'], string[] | undefined][] = [
  [{ field: 'score' }, ['r07', 'r06', 'r01', 'r02', 'r08', 'r05', 'r03', 'r04']],
  [{ field: 'score', order: 'descending' }, ['r05', 'r08', 'r02', 'r01', 'r06', 'r07', 'r03', 'r04']],
  [{ field: 'name' }, ['r07', 'r01', 'r03', 'r05', 'r08', 'r02', 'r04', 'r06']],
  [{ field: 'name', order: 'descending' }, ['r04', 'r02', 'r08', 'r05', 'r03', 'r01', 'r07', 'r06']],
  [{ field: 'active' }, ['r02', 'r06', 'r01', 'r03', 'r08', 'r05', 'r04', 'r07']],
  [{ field: 'active', order: 'descending' }, ['r05', 'r01', 'r03', 'r08', 'r02', 'r06', 'r04', 'r07']],
  [{ field: 'company.size' }, ['r02', 'r01', 'r08', 'r06', 'r03', 'r04', 'r05', 'r07']],
  [{ field: 'tags' }, undefined],
  [undefined, ['r01', 'r02', 'r03', 'r04', 'r05', 'r06', 'r07', 'r08']],
];
