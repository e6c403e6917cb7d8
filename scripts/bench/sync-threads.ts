/**
 * Where the CPU of a first sync goes, thread by thread (Linux only: it reads
 * /proc/<pid>/task/<tid>/schedstat): paging 100,000 contacts, then syncing them into SQLite,
 * each against a fresh sandbox process, after a warm-up. Per contact, in microseconds: time
 * run and time spent waiting for a CPU, for the engine's thread, the threads started during
 * the run (the store's writer), the process's other threads (V8's collector, libuv) and the
 * sandbox's threads. It explains `syncOverPaging` in `npm run bench`.
 *
 *   npx tsx scripts/bench/sync-threads.ts [contacts]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../generated/index.js';
import { openContextStore } from '../../src/store/open.js';
import { syncAll } from '../../src/sync/sync.js';
import { startSandboxChild } from './spawn.js';

/** Nanoseconds run and waited, by thread id. */
type Times = Map<string, { run: number; wait: number }>;

function threads(pid: number): Times {
  const out: Times = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, { run: run!, wait: wait! });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

interface Share {
  run: number;
  wait: number;
}

/** Each group's run and wait over the interval, in us per contact. */
function shares(before: Times, after: Times, group: (tid: string, isNew: boolean) => string, contacts: number): Record<string, Share> {
  const out: Record<string, Share> = {};
  for (const [tid, t] of after) {
    const b = before.get(tid) ?? { run: 0, wait: 0 };
    const s = (out[group(tid, !before.has(tid))] ??= { run: 0, wait: 0 });
    s.run += (t.run - b.run) / 1000 / contacts;
    s.wait += (t.wait - b.wait) / 1000 / contacts;
  }
  for (const s of Object.values(out)) {
    s.run = Math.round(s.run * 10) / 10;
    s.wait = Math.round(s.wait * 10) / 10;
  }
  return out;
}

async function measureThreads(contacts: number) {
  if (!existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`)) throw new Error('this measurement reads /proc/<pid>/task/*/schedstat, which this system does not have.');
  const dir = await mkdtemp(join(tmpdir(), 'bench-threads-'));
  const own = String(process.pid);
  const run = async (what: 'paging' | 'sync', records: number) => {
    const child = await startSandboxChild(records);
    const rt = await createRuntime({ baseUrl: child.url, credentials: { access_token: 'sandbox-token' } });
    const store = what === 'sync' ? await openContextStore(`sqlite:${join(dir, `${what}-${records}.db`)}`) : undefined;
    try {
      const engine0 = threads(process.pid);
      const sandbox0 = threads(child.process.pid!);
      const t = performance.now();
      if (store) await syncAll(rt, store, { entities: ['contacts'] });
      else for await (const page of rt.pages({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) void page;
      const wall = Math.round(((performance.now() - t) * 10_000) / records) / 10;
      return {
        wallUs: wall,
        engine: shares(engine0, threads(process.pid), (tid, isNew) => (tid === own ? 'main' : isNew ? 'started during the run' : 'others'), records),
        sandbox: shares(sandbox0, threads(child.process.pid!), (tid) => (tid === String(child.process.pid) ? 'main' : 'others'), records),
      };
    } finally {
      await store?.close();
      await rt.close();
      await child.stop();
    }
  };
  try {
    const warm = Math.min(contacts, 20_000);
    await run('paging', warm);
    await run('sync', warm);
    return { contacts, paging: await run('paging', contacts), sync: await run('sync', contacts) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(JSON.stringify(await measureThreads(Number(process.argv[2] ?? 100_000)), null, 2));
