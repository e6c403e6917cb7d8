/**
 * The context store's three figures, with 100,000 contacts (rates and lookups against a
 * sandbox in its own process; request counts in process, where the sandbox's clock can move):
 * - a first sync into SQLite against the engine's own paging rate, each against a sandbox
 *   process of its own that builds every page it serves (as an API does), with the engine
 *   warmed first; and the same two once more against the sandbox replaying pages it has
 *   already served, where the engine is all the work there is; and both with 20,000 contacts
 *   against a sandbox that answers each request after 20 ms, as an API across a network does;
 * - the requests of a change pass after 1% of contacts changed, against a full pass's;
 * - `store.search` on an indexed field: p50 over 200 lookups.
 *
 *   npx tsx scripts/bench/sync.ts      # prints one JSON object
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { startSandbox } from '../../sandbox/server.js';
import { createRuntime } from '../../generated/index.js';
import { channels } from '../../src/index.js';
import { openContextStore } from '../../src/store/open.js';
import { syncAll } from '../../src/sync/sync.js';
import { startSandboxChild } from './spawn.js';

export interface SyncBenchReport {
  contacts: number;
  pagingRecordsPerS: number;
  syncRecordsPerS: number;
  /** sync / paging, each against an API that builds its pages: the store must not be the bottleneck (target >= 0.8). */
  syncOverPaging: number;
  /** The same against pages replayed from memory: the engine's CPU alone, so every microsecond the store takes shows. */
  replayed: { pagingRecordsPerS: number; syncRecordsPerS: number; syncOverPaging: number };
  /**
   * The same against a sandbox that answers each request after `delayMs`, as an API across a
   * network does (Intercom's pages take far longer): the store's work then fits in the wait.
   */
  atLatency: { delayMs: number; contacts: number; pagingRecordsPerS: number; syncRecordsPerS: number; syncOverPaging: number };
  fullPassRequests: number;
  /** The change passes run over this many contacts (a share is a ratio), against this full pass. */
  countedContacts: number;
  countedFullPassRequests: number;
  /** The first change pass after a full one reads the records that share the checkpoint's second (the sandbox's data ends with many). */
  firstChangePass: { changed: number; requests: number; found: number };
  /** Steady state: 1% changed since the last sync, three days after the one before. */
  changePass: { changed: number; requests: number; share: number; found: number };
  searchP50Ms: number;
  searchP99Ms: number;
}

const CONTACTS = 100_000;
/** The answer time of the sandbox in the latency figure, and how many contacts it serves there. */
const LATENCY_MS = 20;
const LATENCY_CONTACTS = 20_000;
const DAY = 86_400_000;

export async function measureSync(contacts = CONTACTS): Promise<SyncBenchReport> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-sync-'));
  let requests = 0;
  const count = () => requests++;
  subscribe(channels.request.name, count);
  try {
    const sandbox = (records = contacts, faults: unknown[] = []) => startSandboxChild(records, faults);
    const page = async (url: string) => {
      const rt = await createRuntime({ baseUrl: url, credentials: { access_token: 'sandbox-token' } });
      try {
        const t = performance.now();
        let paged = 0;
        for await (const p of rt.pages({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) paged += p.data.length;
        return paged / ((performance.now() - t) / 1000);
      } finally {
        await rt.close();
      }
    };
    const sync = async (url: string, file: string) => {
      const rt = await createRuntime({ baseUrl: url, credentials: { access_token: 'sandbox-token' } });
      const store = await openContextStore(`sqlite:${join(dir, file)}`);
      try {
        requests = 0;
        const t = performance.now();
        const [full] = await syncAll(rt, store, { entities: ['contacts'] });
        return { rate: full!.records / ((performance.now() - t) / 1000), requests, store };
      } catch (err) {
        await store.close();
        throw err;
      } finally {
        await rt.close();
      }
    };
    let rates: Pick<SyncBenchReport, 'pagingRecordsPerS' | 'syncRecordsPerS' | 'syncOverPaging' | 'replayed' | 'fullPassRequests' | 'searchP50Ms' | 'searchP99Ms'>;
    // The engine warmed first (its code compiled, paging and sync alike) on a smaller sandbox of
    // its own, so that neither measurement pays for that.
    const warm = await sandbox(Math.min(contacts, 20_000));
    try {
      await page(warm.url);
      await (await sync(warm.url, 'warm.db')).store.close();
    } finally {
      await warm.stop();
    }
    // Paging and sync each against a sandbox that has served nothing yet, so that each request
    // costs the API the same in both.
    const a = await sandbox();
    let pagingRecordsPerS: number;
    let replayedPaging: number;
    try {
      pagingRecordsPerS = await page(a.url);
      replayedPaging = await page(a.url);
    } finally {
      await a.stop();
    }
    const b = await sandbox();
    try {
      const first = await sync(b.url, 'rates.db');
      const replayedSync = await sync(b.url, 'replayed.db');
      await replayedSync.store.close();
      const store = first.store;
      // Lookups on an indexed field (email), each of a different contact.
      const ids = (await store.search('contacts', { limit: 200, sort: { field: 'updated_at' } })).data;
      const times: number[] = [];
      for (const r of ids) {
        const s = performance.now();
        const hit = await store.search('contacts', { where: { field: 'email', operator: '=', value: r.email as string } });
        times.push(performance.now() - s);
        if (hit.data.length === 0) throw new Error(`no contact with ${String(r.email)} in the store`);
      }
      times.sort((x, y) => x - y);
      await store.close();
      rates = {
        pagingRecordsPerS: Math.round(pagingRecordsPerS),
        syncRecordsPerS: Math.round(first.rate),
        syncOverPaging: first.rate / pagingRecordsPerS,
        replayed: { pagingRecordsPerS: Math.round(replayedPaging), syncRecordsPerS: Math.round(replayedSync.rate), syncOverPaging: replayedSync.rate / replayedPaging },
        fullPassRequests: first.requests,
        searchP50Ms: times[Math.floor(times.length / 2)]!,
        searchP99Ms: times[Math.floor(times.length * 0.99)]!,
      };
    } finally {
      await b.stop();
    }
    // Paging and sync each against a fresh sandbox that waits before every answer.
    const atLatency = await (async (): Promise<SyncBenchReport['atLatency']> => {
      const n = Math.min(contacts, LATENCY_CONTACTS);
      const slow = [{ kind: 'slow', every: 1, delayMs: LATENCY_MS }];
      const c = await sandbox(n, slow);
      let paging: number;
      try {
        paging = await page(c.url);
      } finally {
        await c.stop();
      }
      const d = await sandbox(n, slow);
      try {
        const s = await sync(d.url, 'latency.db');
        await s.store.close();
        return { delayMs: LATENCY_MS, contacts: n, pagingRecordsPerS: Math.round(paging), syncRecordsPerS: Math.round(s.rate), syncOverPaging: s.rate / paging };
      } finally {
        await d.stop();
      }
    })();

    // Request counts (no timing) in process, with the sandbox's clock moved between syncs; the
    // share is a ratio, so a fifth of the contacts tells the same in a fifth of the time.
    const counted = Math.max(1000, Math.round(contacts / 5));
    let now = Date.UTC(2025, 6, 10, 12);
    const sb = await startSandbox({ seed: 11, counts: { contacts: counted, conversations: 10, companies: 10 }, now: () => now });
    const rt = await createRuntime({ baseUrl: sb.url, credentials: { access_token: sb.token } });
    const store = await openContextStore(`sqlite:${join(dir, 'changes.db')}`);
    try {
      requests = 0;
      await syncAll(rt, store, { entities: ['contacts'], clock: () => now });
      const countedFull = requests;
      // Edits straight to the sandbox (an update is a write the engine never repeats).
      const change = async (n: number, salt: string) => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const id = sb.dataset.contactAt((i * 97 + salt.length * 13) % counted).id;
          ids.push(id);
          const res = await fetch(`${sb.url}/contacts/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `${salt} ${i}` }) });
          if (!res.ok) throw new Error(`PUT /contacts/${id}: ${res.status}`);
          await res.arrayBuffer();
          // Edits a second apart, as people make them (a frozen clock would stamp them all alike).
          now += 1000;
        }
        return ids;
      };
      const passAfter = async (ids: string[], salt: string) => {
        requests = 0;
        await syncAll(rt, store, { entities: ['contacts'], clock: () => now });
        const used = requests;
        let found = 0;
        for (const id of ids) {
          const hit = await store.search('contacts', { where: { field: 'id', operator: '=', value: id } });
          if (String(hit.data[0]?.name ?? '').startsWith(salt)) found++;
        }
        return { changed: ids.length, requests: used, found };
      };
      const onePercent = Math.round(counted / 100);
      now += DAY;
      const firstChangePass = await passAfter(await change(onePercent, 'first'), 'first');
      now += 3 * DAY;
      const steady = await passAfter(await change(onePercent, 'second'), 'second');
      return { contacts, ...rates, atLatency, countedContacts: counted, countedFullPassRequests: countedFull, firstChangePass, changePass: { ...steady, share: steady.requests / countedFull } };
    } finally {
      await store.close();
      await rt.close();
      await sb.close();
    }
  } finally {
    unsubscribe(channels.request.name, count);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await measureSync(Number(process.argv[2] ?? CONTACTS)), null, 2));
}
