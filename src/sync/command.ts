/**
 * `sync` and `search`: keep a local copy of the connector's records in a context store, and
 * search it with the native search's filter language. Progress goes to a terminal as one
 * live line, and anywhere else as JSON lines on stdout.
 */
import { Progress } from '../cli/progress.js';
import { UsageError, type HostCommand, type Values } from '../host/command.js';
import { loadChosenManifest, number, runtimeOptions, storeOption } from '../host/options.js';
import { redactUrl } from '../database/url.js';
import { compileProjection } from '../response/project.js';
import { createRuntime } from '../runtime.js';
import { openContextStore } from '../store/open.js';
import type { ContextStore, StoreFilter, StoreQuery } from '../store/types.js';
import { syncAll, syncedEntities, syncedRecord, type SyncEvent } from './sync.js';

/** Where the store is: --store, else CONNECTOR_STORE. */
function storeLocation(values: Values, env: NodeJS.ProcessEnv, connector: string): string {
  const given = storeOption(values, env);
  if (!given) throw new UsageError(`name the store: --store sqlite:./${connector}.db (a file) or --store postgres://user@host/db, or set CONNECTOR_STORE.`);
  return given;
}

async function withStore<T>(location: string, use: (store: ContextStore) => Promise<T>, create = true): Promise<T> {
  const store = await openContextStore(location, { create });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export const syncCommand: HostCommand = {
  summary: 'Copy records into a local context store: a full pass, then only what changed (resumes where a stop left it)',
  usage:
    'sync [entity ...] --store <sqlite:file | postgres://...> [--full] [--status] [--manifest <path>] [--base-url <url>]\n\n' +
    '  entities   the ones to sync (default: every entity the manifest declares a sync for)\n' +
    '  --store    where the copy lives (or CONNECTOR_STORE); SQLite needs better-sqlite3, PostgreSQL needs pg\n' +
    '  --full     a full pass even where a change feed exists (finds records deleted upstream)\n' +
    '  --status   print each entity\'s checkpoint, record count and freshness, and sync nothing\n\n' +
    'Pages and the checkpoint after them are written in one transaction, a few pages at a time: Ctrl-C\n' +
    '(or SIGTERM) stops at the next page boundary, and a sync killed at any moment goes on from its last\n' +
    'written page the next time.\n' +
    'On a terminal, stderr shows progress; otherwise stdout gets one JSON line per page and per entity.',
  options: { store: { type: 'string' }, full: { type: 'boolean' }, status: { type: 'boolean' } },
  async run({ values, positionals, io, config }) {
    const manifest = await loadChosenManifest(config, values);
    const location = storeLocation(values, io.env, manifest.connector.name);
    if (values.status === true) {
      // Reads only: a read-only database or a standby serves it, and a typo makes no new store.
      return withStore(
        location,
        async (store) => {
          const rows = await store.status();
          io.stdout.write(`${JSON.stringify({ store: redactUrl(location), entities: rows }, null, 2)}\n`);
          return 0;
        },
        false,
      );
    }
    const declared = syncedEntities(manifest).map(([name]) => name);
    for (const e of positionals) if (!declared.includes(e)) throw new UsageError(`${e} is not an entity this manifest can sync; it can sync: ${declared.join(', ')}.`);
    const runtime = await createRuntime(runtimeOptions(manifest, values, io.env));
    const progress = new Progress(io.stderr);
    const live = progress.enabled;
    // Stops at a page boundary: the page being fetched is written first, so the checkpoint is exact.
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    // Ctrl-C and SIGTERM both abort io.interrupt (the CLI's process layer); a second one exits at once.
    io.interrupt.addEventListener('abort', onInterrupt, { once: true });
    const started = performance.now();
    const onEvent = (e: SyncEvent) => {
      if (live) {
        if (e.type === 'page') progress.page(e.records, e.total_count);
        else if (e.type === 'kept') io.stderr.write(`\n${e.entity}: ${e.reason} (${e.records} kept)\n`);
        else if (e.type === 'restarted') io.stderr.write(`\n${e.entity}: the pass could not go on from where it stopped, so it starts over (${e.reason})\n`);
        else io.stderr.write(`\n${e.entity}: ${e.type === 'done' ? `done, ${e.records} records in ${e.pages} pages (${e.mode}), ${e.deleted} deleted` : `stopped after ${e.records} records; run sync again to go on`}\n`);
        return;
      }
      io.stdout.write(`${JSON.stringify({ ...e, elapsed_ms: Math.round(performance.now() - started) })}\n`);
    };
    try {
      return await withStore(location, async (store) => {
        const reports = await syncAll(runtime, store, { entities: positionals.length ? positionals : undefined, full: values.full === true, signal: stop.signal, onEvent });
        if (live) progress.done();
        return reports.every((r) => r.complete) ? 0 : io.interrupt.reason === 'SIGTERM' ? 143 : 130;
      });
    } finally {
      io.interrupt.removeEventListener('abort', onInterrupt);
      await runtime.close();
    }
  },
};

export const searchCommand: HostCommand = {
  summary: 'Search the local context store with the native search filter language (no request upstream)',
  usage:
    "search <entity> --store <sqlite:file | postgres://...> [--where '<json filter>'] [--sort field[:desc]] [--fields a,b.c] [--limit 50] [--cursor <next_cursor>]\n\n" +
    '  --where   a filter { "field": "email", "operator": "~", "value": "example.com" } or a group\n' +
    '            { "operator": "AND", "value": [ ... ] }; operators =, !=, IN, NIN, >, <, >=, <=, ~, !~, ^, $\n' +
    '            (strings match ignoring case; dates compare as stored, to the second)\n' +
    '  --sort    a field, ascending, or field:desc\n\n' +
    'Prints { data, next_cursor, freshness }: freshness says when the oldest record used was synced and the last checkpoint.',
  options: { store: { type: 'string' }, where: { type: 'string' }, sort: { type: 'string' }, fields: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
  async run({ values, positionals, io, config }) {
    const manifest = await loadChosenManifest(config, values);
    const [entity, extra] = positionals;
    const declared = syncedEntities(manifest).map(([name]) => name);
    if (!entity || extra !== undefined) throw new UsageError(`name one entity to search, e.g. search ${declared[0] ?? 'contacts'} --where '...'.`);
    if (!declared.includes(entity)) throw new UsageError(`${entity} is not an entity this manifest syncs; it syncs: ${declared.join(', ')}.`);
    let where: StoreFilter | undefined;
    if (typeof values.where === 'string') {
      try {
        where = JSON.parse(values.where) as StoreFilter;
      } catch (err) {
        throw new UsageError(`--where must be JSON, e.g. '{"field":"email","operator":"~","value":"example.com"}': ${(err as Error).message}`);
      }
    }
    const query: StoreQuery = { where };
    if (typeof values.sort === 'string') {
      const [field, dir] = values.sort.split(':');
      query.sort = { field: field!, order: dir === 'desc' ? 'descending' : 'ascending' };
    }
    const limit = number(values, 'limit');
    if (limit !== undefined) query.limit = limit;
    if (typeof values.cursor === 'string') query.cursor = values.cursor;
    const { record } = syncedRecord(manifest, entity)!;
    const fields = typeof values.fields === 'string' ? values.fields.split(',').map((f) => f.trim()) : undefined;
    const project = compileProjection(fields, record, manifest.schemas, `${entity} search`);
    return withStore(
      storeLocation(values, io.env, manifest.connector.name),
      async (store) => {
        const answer = await store.search(entity, query);
        const data = project ? answer.data.map(project) : answer.data;
        io.stdout.write(`${JSON.stringify({ ...answer, data }, null, 2)}\n`);
        return 0;
      },
      false,
    );
  },
};
