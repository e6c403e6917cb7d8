// Incremental sync into the context store, end to end against the Intercom sandbox: full then
// change passes with edits and creations between runs, deletions found by a full pass,
// kill -9 at chosen points of a real `sync` process and a resume, and the store's search
// against the sandbox's native search on the same data. Each engine runs the same suite.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import { createRuntime, type Operations } from '../generated/index.js';
import { channels, type Runtime } from '../src/index.js';
import { openContextStore } from '../src/store/open.js';
import type { ContextStore, StoreFilter } from '../src/store/types.js';
import { syncAll } from '../src/sync/sync.js';
import { BIN, runCli } from './support/cli.js';
import { childEnv as spawnEnv, spawnMcp } from './support/mcp.js';
import { startServer } from '../src/serve/server.js';
import { loadManifest, DEFAULT_MANIFEST } from '../src/index.js';
import { storeEngines } from './support/stores.js';

const put = (sb: Sandbox, path: string, body: unknown, method = 'PUT') =>
  fetch(sb.url + path, { method, headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text) as { id: string; updated_at?: number };
  });

/** Every live record of a list, as the API serves it now. */
async function live(rt: Runtime<Operations>, entity: 'contacts' | 'conversations' | 'companies'): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  for await (const r of rt.paginate({ entity, action: 'list', params: {} } as never)) {
    const rec = r as { id: string; updated_at?: number | null };
    out.set(rec.id, rec.updated_at ?? null);
  }
  return out;
}

/** Every record of an entity in the store, by id with its updated_at. */
async function stored(store: ContextStore, entity: string): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  let cursor: string | undefined;
  do {
    const page = await store.search(entity, { limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const r of page.data) out.set(r.id as string, (r.updated_at as number | null | undefined) ?? null);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

for (const engine of storeEngines()) {
  describe(`sync into ${engine.name}`, () => {
    let sb: Sandbox;
    let rt: Runtime<Operations>;
    let dir: string;
    let now = Date.UTC(2025, 6, 2, 12);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sync-'));
      sb = await startSandbox({ seed: 3, counts: { contacts: 700, conversations: 120, companies: 90 }, now: () => now });
      rt = await createRuntime({ baseUrl: sb.url, credentials: { access_token: sb.token } });
    });
    after(async () => {
      try {
        await rt?.close();
        await sb?.close();
        await engine.stop?.();
      } finally {
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    });

    test('a full pass, then change passes: every edit and creation found, nothing twice, few requests', async () => {
      const store = await openContextStore(await engine.location(dir, 'incremental'));
      try {
        const first = await syncAll(rt, store, { entities: ['contacts', 'conversations', 'companies', 'tags'], clock: () => now });
        assert.deepEqual(first.map((r) => [r.entity, r.mode, r.complete]), [['contacts', 'full', true], ['conversations', 'full', true], ['companies', 'full', true], ['tags', 'full', true]]);
        assert.deepEqual(await stored(store, 'contacts'), await live(rt, 'contacts'));
        assert.deepEqual(await stored(store, 'companies'), await live(rt, 'companies'));

        // Between runs: 1% of contacts edited, a few created, a company renamed, a day later.
        now += 86_400_000;
        const edited = [5, 77, 150, 299, 420, 600, 699].map((i) => sb.dataset.contactAt(i).id);
        for (const id of edited) await put(sb, `/contacts/${id}`, { name: `Edited ${id}` });
        const created = [];
        for (let i = 0; i < 3; i++) created.push((await put(sb, '/contacts', { email: `new.${i}@example.org`, role: 'user' }, 'POST')).id);
        const company = sb.dataset.companies[10]!;
        await put(sb, `/companies/${company.id}`, { name: 'Renamed Inc' });

        const before = sb.requestCount;
        const second = await syncAll(rt, store, { entities: ['contacts'], clock: () => now });
        const changeRequests = sb.requestCount - before;
        assert.equal(second[0]!.mode, 'changes');
        const after1 = await stored(store, 'contacts');
        assert.deepEqual(after1, await live(rt, 'contacts'), 'the store holds exactly the live contacts, each at its latest updated_at');
        for (const id of edited) {
          const hit = await store.search('contacts', { where: { field: 'id', operator: '=', value: id } });
          assert.equal(hit.data[0]!.name, `Edited ${id}`);
        }
        for (const id of created) assert.ok(after1.has(id));
        // The change feed read the window since the checkpoint, not the whole list (700 contacts, 5 pages at 150).
        // Newest first, the first page (the 10 changes, then older records) ends the pass.
        assert.equal(changeRequests, 1, `${changeRequests} requests for the change pass`);

        // Companies have no change feed: every sync is a full pass.
        const third = await syncAll(rt, store, { entities: ['companies'], clock: () => now });
        assert.equal(third[0]!.mode, 'full');
        const renamed = await store.search('companies', { where: { field: 'name', operator: '=', value: 'renamed inc' } });
        assert.deepEqual(renamed.data.map((c) => c.id), [company.id]);

        // Running again with nothing changed writes nothing new and keeps every record once.
        await syncAll(rt, store, { entities: ['contacts'], clock: () => now });
        assert.deepEqual(await stored(store, 'contacts'), await live(rt, 'contacts'));
        const status = await store.status();
        assert.equal(status.find((s) => s.entity === 'contacts')!.records, 703);

        // Deletions: a company's full pass finds them; a contact's change feed cannot, a full pass does.
        const goneCompany = sb.dataset.companies[20]!.id;
        const goneContacts = [sb.dataset.contactAt(10).id, created[1]!];
        await put(sb, `/companies/${goneCompany}`, undefined, 'DELETE');
        for (const id of goneContacts) await put(sb, `/contacts/${id}`, undefined, 'DELETE');
        const companiesPass = await syncAll(rt, store, { entities: ['companies'], clock: () => now });
        assert.equal(companiesPass[0]!.deleted, 1);
        assert.deepEqual(await stored(store, 'companies'), await live(rt, 'companies'));
        const changesPass = await syncAll(rt, store, { entities: ['contacts'], clock: () => now });
        assert.equal(changesPass[0]!.mode, 'changes');
        assert.ok((await stored(store, 'contacts')).has(goneContacts[0]!), 'a change feed does not say what was deleted');
        const fullPass = await syncAll(rt, store, { entities: ['contacts'], full: true, clock: () => now });
        assert.equal(fullPass[0]!.deleted, 2);
        assert.deepEqual(await stored(store, 'contacts'), await live(rt, 'contacts'));
        // And full_every_s (a week) brings a full pass back by itself.
        now += 8 * 86_400_000;
        assert.equal((await syncAll(rt, store, { entities: ['contacts'], clock: () => now }))[0]!.mode, 'full');
      } finally {
        await store.close();
      }
    });

    test("the store's search gives what the native search gives on the same data", async () => {
      const store = await openContextStore(await engine.location(dir, 'search'));
      try {
        await syncAll(rt, store, { entities: ['contacts'], full: true, clock: () => now });
        const sample = sb.dataset.contactAt(42);
        const domain = sample.email.split('@')[1]!;
        const filters: StoreFilter[] = [
          { field: 'email', operator: '=', value: sample.email.toUpperCase() },
          { field: 'role', operator: '!=', value: 'user' },
          { field: 'role', operator: 'IN', value: ['lead'] },
          { field: 'email', operator: '~', value: domain },
          { field: 'email', operator: '!~', value: domain },
          { field: 'email', operator: '^', value: sample.email.slice(0, 4) },
          { field: 'email', operator: '$', value: `@${domain}` },
          { field: 'custom_attributes.seats', operator: '>=', value: 100 },
          { field: 'custom_attributes.seats', operator: '<', value: 20 },
          { field: 'unsubscribed_from_emails', operator: '=', value: true },
          { operator: 'AND', value: [{ field: 'role', operator: '=', value: 'lead' }, { operator: 'OR', value: [{ field: 'custom_attributes.seats', operator: '>', value: 200 }, { field: 'email', operator: '~', value: domain }] }] },
        ];
        for (const where of filters) {
          const native: string[] = [];
          for await (const c of rt.paginate({ entity: 'contacts', action: 'search', params: { query: where as never, per_page: 150 } })) native.push(c.id);
          const local: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.search('contacts', { where, limit: 100, ...(cursor ? { cursor } : {}) });
            local.push(...page.data.map((r) => r.id as string));
            cursor = page.next_cursor ?? undefined;
            assert.ok(page.freshness.last_synced_at, 'every answer says how fresh it is');
          } while (cursor);
          assert.deepEqual(local.sort(), native.sort(), JSON.stringify(where));
        }
      } finally {
        await store.close();
      }
    });

    test('search and the MCP store tools read the copy, say how fresh it is, and send nothing upstream', async () => {
      const location = await engine.location(dir, 'tools');
      const env = { INTERCOM_ACCESS_TOKEN: sb.token };
      const synced = await runCli(['sync', 'contacts', '--store', location, '--base-url', sb.url], { env });
      assert.equal(synced.code, 0, synced.stderr);
      const lines = synced.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; entity: string; records: number });
      assert.equal(lines.at(-1)!.type, 'done');
      const before = sb.requestCount;
      const cli = await runCli(['search', 'contacts', '--store', location, '--where', '{"field":"role","operator":"=","value":"lead"}', '--fields', 'id,role', '--limit', '5'], { env });
      assert.equal(cli.code, 0, cli.stderr);
      const answer = JSON.parse(cli.stdout) as { data: { id: string; role: string }[]; next_cursor: string | null; freshness: { oldest_record_synced_at: string; last_synced_at: string } };
      assert.equal(answer.data.length, 5);
      for (const r of answer.data) assert.deepEqual(Object.keys(r).sort(), ['id', 'role']);
      assert.ok(answer.next_cursor && answer.freshness.oldest_record_synced_at && answer.freshness.last_synced_at);

      const { client } = await spawnMcp(['--store', location, '--base-url', sb.url, '--max-output-bytes', '4000'], env, 'sync-test');
      const seen = new Set<string>();
      let upstream = 0;
      try {
        const { tools } = await client.listTools();
        const tool = tools.find((t) => t.name === 'contacts_store_search')!;
        assert.equal(tool.annotations?.readOnlyHint, true);
        assert.ok(tools.some((t) => t.name === 'companies_store_search'));
        let cursor: string | undefined;
        let calls = 0;
        do {
          const result = await client.callTool({ name: 'contacts_store_search', arguments: { where: { field: 'role', operator: '=', value: 'lead' }, limit: 100, ...(cursor ? { cursor } : {}) } });
          const out = result.structuredContent as { data: { id: string }[]; next_cursor: string | null; freshness: object; note?: string };
          assert.ok(Buffer.byteLength((result.content as { text: string }[])[0]!.text) <= 4000, 'within the budget');
          for (const r of out.data) {
            assert.ok(!seen.has(r.id), 'no record twice');
            seen.add(r.id);
          }
          cursor = out.next_cursor ?? undefined;
          calls++;
        } while (cursor && calls < 200);
        upstream = sb.requestCount - before;
        const leads = [];
        for await (const c of rt.paginate({ entity: 'contacts', action: 'search', params: { query: { field: 'role', operator: '=', value: 'lead' }, per_page: 150 } })) leads.push(c.id);
        assert.deepEqual([...seen].sort(), leads.sort(), 'every lead once, though pages were cut to the budget');
      } finally {
        await client.close();
      }
      assert.equal(upstream, 0, 'the store tools and search never call upstream');
    });

    test('serve answers context_store_search from the store, for a read instance, with freshness', async () => {
      const location = await engine.location(dir, 'serve');
      const store = await openContextStore(location);
      try {
        await syncAll(rt, store, { entities: ['contacts', 'companies'], clock: () => now });
      } finally {
        await store.close();
      }
      const server = await startServer({ port: 0, dbPath: join(dir, `serve-${engine.name}.db`), manifests: [await loadManifest(DEFAULT_MANIFEST)], apiKeys: 'k-12345678', store: location, runtime: { baseUrl: sb.url }, log: () => {} });
      const call = async (path: string, body: unknown) => {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer k-12345678', 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as Record<string, any> };
      };
      try {
        const created = await call('/api/v1/connectors/instances', { connector_definition_id: 'd8313939-3782-41b0-be29-b3ca20d8dd3a', auth_config: { access_token: sb.token }, name: 'store' });
        assert.equal(created.status, 201);
        const before = sb.requestCount;
        const exec = (body: unknown) => call(`/api/v1/connectors/instances/${created.json.id}/execute`, body);
        const found = await exec({ entity: 'companies', action: 'context_store_search', params: { where: { field: 'name', operator: '~', value: sb.dataset.companies[3]!.name!.slice(0, 5) }, limit: 10 }, fields: ['id', 'name'] });
        assert.equal(found.status, 200, JSON.stringify(found.json));
        assert.ok(found.json.data.some((c: { id: string }) => c.id === sb.dataset.companies[3]!.id));
        for (const c of found.json.data) assert.deepEqual(Object.keys(c).sort(), ['id', 'name']);
        assert.ok(found.json.freshness.last_synced_at);
        assert.equal(sb.requestCount, before, 'read from the store, not upstream');
        const notSynced = await exec({ entity: 'notes', action: 'context_store_search', params: {} });
        assert.equal(notSynced.status, 400);
        assert.equal(notSynced.json.error.code, 'NOT_SYNCED');
      } finally {
        await server.close();
      }
    });

    test('SIGTERM stops at a page boundary (exit 143, a stopped event); --status shows the pass under way; the next sync finishes it', async () => {
      const location = await engine.location(dir, 'term');
      sb.setFaults([{ kind: 'slow', every: 1, delayMs: 150 }]);
      let lines: { type: string; entity?: string; records?: number }[] = [];
      let code: number | null = null;
      try {
        ({ lines, code } = await new Promise<{ lines: { type: string }[]; code: number | null }>((resolve) => {
          const child = spawn(process.execPath, [BIN, 'sync', 'contacts', '--store', location, '--base-url', sb.url], { env: childEnv(sb), stdio: ['ignore', 'pipe', 'ignore'] });
          const seen: { type: string }[] = [];
          createInterface({ input: child.stdout }).on('line', (line) => {
            const e = JSON.parse(line) as { type: string };
            seen.push(e);
            if (e.type === 'page' && seen.length === 1) child.kill('SIGTERM');
          });
          child.on('exit', (exitCode) => resolve({ lines: seen, code: exitCode }));
        }));
      } finally {
        sb.setFaults([]);
      }
      assert.equal(code, 143);
      assert.equal(lines.at(-1)!.type, 'stopped', JSON.stringify(lines));
      const status = await runCli(['sync', '--status', '--store', location], {});
      const contacts = (JSON.parse(status.stdout) as { entities: { entity: string; in_progress: boolean; records: number }[] }).entities.find((e) => e.entity === 'contacts')!;
      assert.equal(contacts.in_progress, true);
      assert.equal(contacts.records, lines.filter((l) => l.type === 'page').reduce((n, l) => n + (l.records ?? 0), 0), 'every page reported was written, and nothing else');
      const finish = await runCli(['sync', 'contacts', '--store', location, '--base-url', sb.url], { env: { INTERCOM_ACCESS_TOKEN: sb.token } });
      assert.equal(finish.code, 0, finish.stderr);
      const store = await openContextStore(location);
      try {
        assert.deepEqual(await stored(store, 'contacts'), await live(rt, 'contacts'));
      } finally {
        await store.close();
      }
    });

    test('two syncs of one store at once: the second is refused by name, and nothing is lost', async () => {
      const store = await openContextStore(await engine.location(dir, 'twice'));
      try {
        await syncAll(rt, store, { entities: ['companies'], clock: () => now });
        const results = await Promise.allSettled([syncAll(rt, store, { entities: ['companies'], full: true, clock: () => now }), syncAll(rt, store, { entities: ['companies'], full: true, clock: () => now })]);
        const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        assert.equal(refused.length, 1, 'one of the two runs');
        assert.match(String(refused[0]!.reason), /another sync of companies is running \(process \d+ on /);
        assert.deepEqual(await stored(store, 'companies'), await live(rt, 'companies'));
        // Released: the next one runs.
        assert.equal((await syncAll(rt, store, { entities: ['companies'], clock: () => now }))[0]!.complete, true);
      } finally {
        await store.close();
      }
    });

    test('records edited while a full pass runs, on pages it already read, are found by the next change pass', async () => {
      const base = await openContextStore(await engine.location(dir, 'during'));
      const edited: string[] = [];
      let pagesWritten = 0;
      // The upstream edits happen right after the pass wrote its first page (whose records it read).
      const store = {
        ...base,
        kind: base.kind,
        async writePage(records: Parameters<ContextStore['writePage']>[0], state: Parameters<ContextStore['writePage']>[1]) {
          const n = await base.writePage(records, state);
          if (state.entity !== 'contacts' || state.mode !== 'full') return n;
          pagesWritten++;
          // Every record of the first page and some of the second change after the pass read
          // them; then one on the last page, not read yet, changes last: the pass's newest.
          const change = async (ids: string[]) => {
            for (const id of ids) {
              now += 1000;
              await put(sb, `/contacts/${id}`, { name: `During ${id}` });
              edited.push(id);
            }
          };
          if (pagesWritten === 1) await change(records.map((r) => r.id));
          if (pagesWritten === 2) await change(records.slice(0, 10).map((r) => r.id));
          if (pagesWritten === 3) await change([sb.dataset.contactAt(690).id]);
          return n;
        },
      } as ContextStore;
      try {
        await syncAll(rt, store, { entities: ['contacts'], full: true, clock: () => now });
        now += 60_000;
        const pass = await syncAll(rt, store, { entities: ['contacts'], clock: () => now });
        assert.equal(pass[0]!.mode, 'changes');
        for (const id of edited) {
          const hit = await base.search('contacts', { where: { field: 'id', operator: '=', value: id } });
          assert.equal(hit.data[0]!.name, `During ${id}`, id);
        }
      } finally {
        await base.close();
      }
    });

    test('kill -9 at chosen points of a real sync process, then a resume: exactly the live records, each once', async () => {
      const location = await engine.location(dir, 'crash');
      // Every answer takes a while, so a kill lands while the process waits for a page (with the
      // one before written, and possibly while it writes the next): never after it finished.
      sb.setFaults([{ kind: 'slow', every: 1, delayMs: 150 }]);
      try {
        // Kill after the 1st, 3rd and 2nd page written, each time resuming where the last one stopped.
        for (const killAfter of [1, 3, 2]) {
          const reported = await runUntilKilled(sb, location, killAfter);
          // What a page event reported is in the store: the kill lost no write that was said to land.
          const status = await runCli(['sync', '--status', '--store', location], {});
          assert.equal(status.code, 0, status.stderr);
          const held = new Map((JSON.parse(status.stdout) as { entities: { entity: string; records: number }[] }).entities.map((e) => [e.entity, e.records]));
          assert.ok(reported.size > 0, 'the run reported pages before it was killed');
          for (const [entity, records] of reported) {
            assert.ok((held.get(entity) ?? 0) >= records, `killed after ${killAfter} pages: ${records} ${entity} reported written, ${held.get(entity) ?? 0} in the store`);
          }
        }
      } finally {
        sb.setFaults([]);
      }
      const finish = await runSync(sb, location);
      assert.equal(finish.code, 0, finish.stderr);
      const store = await openContextStore(location);
      try {
        for (const entity of ['contacts', 'conversations', 'companies'] as const) assert.deepEqual(await stored(store, entity), await live(rt, entity), entity);
      } finally {
        await store.close();
      }
    });
  });
}

/** The environment of a spawned `sync`: ours without DEBUG, with the sandbox's token. */
function childEnv(sb: Sandbox): NodeJS.ProcessEnv {
  return spawnEnv({ INTERCOM_ACCESS_TOKEN: sb.token });
}

/**
 * Runs `sync` and SIGKILLs it as soon as it reports its n-th page written; resolves with the
 * records its page events reported written, by entity (a run reads each record at most once).
 */
function runUntilKilled(sb: Sandbox, location: string, n: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sync', 'contacts', 'conversations', 'companies', '--store', location, '--base-url', sb.url], { env: childEnv(sb), stdio: ['ignore', 'pipe', 'pipe'] });
    let pages = 0;
    const reported = new Map<string, number>();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as { type: string; entity: string; records: number };
      if (e.type !== 'page') return;
      reported.set(e.entity, (reported.get(e.entity) ?? 0) + e.records);
      if (++pages === n) child.kill('SIGKILL');
    });
    // 'close', not 'exit': every line it wrote before it died has been read.
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`sync ended before it was killed (code ${code}): ${stderr}`));
    });
  });
}

function runSync(sb: Sandbox, location: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'sync', 'contacts', 'conversations', 'companies', '--store', location, '--base-url', sb.url], { env: childEnv(sb), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/**
 * A sandbox, a runtime on it and a temporary folder for one test. Each is closed when the test
 * ends, registered as soon as it exists (a throw while setting up leaks nothing), last made
 * first; `keep(value, close)` adds what the test opens next.
 */
async function setUp(t: TestContext, options: SandboxOptions, prefix: string) {
  const closes: (() => unknown)[] = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (const close of closes.reverse()) {
      try {
        await close();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
  const keep = <T>(value: T, close: (value: T) => unknown): T => {
    closes.push(() => close(value));
    return value;
  };
  const sb = keep(await startSandbox(options), (s) => s.close());
  const rt = keep(await createRuntime({ baseUrl: sb.url, credentials: { access_token: sb.token } }), (r) => r.close());
  const dir = keep(await mkdtemp(join(tmpdir(), prefix)), (d) => rm(d, { recursive: true, force: true }));
  return { sb, rt, dir, keep };
}

describe('sync of a list read with a scroll (companies past 10,000)', () => {
  test('a pass stopped mid-scroll whose scroll expired starts over as the same pass: every company once, none lost', async (t) => {
    let now = Date.UTC(2026, 0, 5, 12);
    const { rt, dir, keep } = await setUp(t, { seed: 9, counts: { companies: 10_060, contacts: 5, conversations: 2 }, now: () => now }, 'sync-scroll-');
    const store = keep(await openContextStore(`sqlite:${join(dir, 's.db')}`), (s) => s.close());
    const stop = new AbortController();
    const first = await syncAll(rt, store, { entities: ['companies'], signal: stop.signal, clock: () => now, onEvent: (e) => e.type === 'page' && stop.abort() });
    assert.equal(first[0]!.complete, false);
    now += 61_000; // the scroll expires while the sync is down
    const events: string[] = [];
    const second = await syncAll(rt, store, { entities: ['companies'], clock: () => now, onEvent: (e) => events.push(e.type) });
    assert.equal(second[0]!.complete, true);
    assert.equal(events[0], 'restarted');
    assert.deepEqual(await stored(store, 'companies'), await live(rt, 'companies'));
    assert.equal((await stored(store, 'companies')).size, 10_060);
  });
});

describe('sync writes while it reads', () => {
  test('pages read while the store is busy gather into the next write; every record is written once and reported once; a failed write ends the pass with its error', { timeout: 120_000 }, async (t) => {
    const now = Date.UTC(2026, 0, 5, 12);
    const { rt, dir, keep } = await setUp(t, { seed: 4, counts: { contacts: 3_000, conversations: 2, companies: 2 }, now: () => now }, 'sync-gather-');
    const base = keep(await openContextStore(`sqlite:${join(dir, 's.db')}`), (s) => s.close());
    // The first write is held until the pass has asked for its last page (20 pages of 150).
    let requests = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const onRequest = () => {
      if (++requests === 20) release();
    };
    subscribe(channels.request.name, onRequest);
    keep(onRequest, (f) => unsubscribe(channels.request.name, f));
    const writes: number[] = [];
    let failNext = false;
    const store: ContextStore = {
      ...base,
      kind: base.kind,
      async writePage(records, state) {
        if (failNext) throw new Error('disk full (a test)');
        writes.push(records.length);
        if (writes.length === 1) await held;
        return base.writePage(records, state);
      },
    };
    const events: { type: string; records?: number; pages?: number }[] = [];
    // A frozen clock: writes are cut by size only (500 records), never by time.
    const [report] = await syncAll(rt, store, { entities: ['contacts'], clock: () => now, onEvent: (e) => events.push(e) });
    assert.equal(report!.records, 3_000);
    assert.equal(report!.pages, 20);
    assert.deepEqual(writes, [600, 2_400], 'four pages, then the sixteen read while the first write was held');
    const written = events.filter((e) => e.type === 'page');
    assert.deepEqual(written.map((e) => [e.records, e.pages]), [[600, 4], [2_400, 16]]);
    assert.deepEqual(await stored(base, 'contacts'), await live(rt, 'contacts'));

    // A write that fails: the pass stops with that error, and what was written stays.
    failNext = true;
    await assert.rejects(syncAll(rt, store, { entities: ['contacts'], full: true, clock: () => now }), /disk full \(a test\)/);
    assert.equal((await stored(base, 'contacts')).size, 3_000);
  });

  test('a stop while a write is in flight: that write lands before "stopped", which counts it; the lock is released after it', { timeout: 120_000 }, async (t) => {
    const now = Date.UTC(2026, 0, 5, 12);
    const { rt, dir, keep } = await setUp(t, { seed: 4, counts: { contacts: 3_000, conversations: 2, companies: 2 }, now: () => now }, 'sync-stop-');
    const file = join(dir, 's.db');
    const base = keep(await openContextStore(`sqlite:${file}`), (s) => s.close());
    const locks = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM sync_locks').pluck().get() as number;
      } finally {
        db.close();
      }
    };
    const stop = new AbortController();
    let started = 0;
    let landed = 0;
    const store: ContextStore = {
      ...base,
      kind: base.kind,
      async writePage(records, state) {
        started++;
        // The user stops the sync just as its first write begins, while the pass is still at that page.
        if (started === 1) stop.abort('SIGTERM');
        const n = await base.writePage(records, state);
        landed++;
        return n;
      },
    };
    const events: { type: string; records?: number }[] = [];
    const atStop: { started: number; landed: number; locks: number }[] = [];
    const [report] = await syncAll(rt, store, {
      entities: ['contacts'],
      clock: () => now,
      signal: stop.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'stopped') atStop.push({ started, landed, locks: locks() });
      },
    });
    assert.equal(report!.complete, false);
    assert.deepEqual(atStop, [{ started: 1, landed: 1, locks: 1 }], 'the write had landed when "stopped" was said, the lock still held');
    assert.equal(locks(), 0, 'released once stopped');
    assert.deepEqual(events.map((e) => [e.type, e.records]), [['page', 600], ['stopped', 600]]);
    assert.equal(report!.records, 600);
    assert.equal((await stored(base, 'contacts')).size, 600);
    // Resumed: every contact once.
    await syncAll(rt, base, { entities: ['contacts'], clock: () => now });
    assert.deepEqual(await stored(base, 'contacts'), await live(rt, 'contacts'));
  });
});
