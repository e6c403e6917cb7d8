import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Manifest } from '../manifest/types.js';
import type { RuntimeOptions } from '../runtime.js';
import { ConfigurationError } from '../errors.js';
import { ApiError, toApiError } from './api-error.js';
import { describeDefinition } from './describe.js';
import { Instances, type CreateInput, type UpdateInput } from './instances.js';
import { openStoreWithKey } from './keys.js';
import { openApiDocument } from './openapi.js';
import { bodyOf, matchRoute, type BodySpec, type FieldType, type RouteId } from './routes.js';
import { digest, matchesAny } from './secrets.js';
import type { InstanceStore } from './store.js';
import { compileProjection } from '../response/project.js';
import { storeReader } from '../store/open.js';
import type { ContextStore, StoreQuery } from '../store/types.js';
import { syncedEntities, syncedRecord } from '../sync/sync.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /**
   * Where instances live (default ./data/connectors.db): an SQLite file, its key file beside
   * it, or a postgres:// URL, shared by every replica and needing `secretKey`.
   */
  dbPath?: string;
  /** Manifests to serve, by definition id (their connector.definition_id, else their name). */
  manifests: Manifest[];
  /** Comma-separated API keys (CONNECTOR_API_KEYS); when empty a key is generated once. */
  apiKeys?: string;
  /** CONNECTOR_SECRET_KEY; when empty the key file is used (SQLite only: PostgreSQL requires it). */
  secretKey?: string;
  /** Operator runtime settings for every instance (baseUrl, timeoutMs, retry). */
  runtime?: Omit<RuntimeOptions, 'manifest' | 'credentials'>;
  /** Access log lines (JSON); default: stdout. */
  log?: (line: string) => void;
  /** Longest time to receive a whole request, headers and body (default 30 s). */
  requestTimeoutMs?: number;
  /** Longest time to receive a request's headers (default 10 s): a slow client holds no socket for long. */
  headersTimeoutMs?: number;
  /** Most connections open at once (default 512); more are closed on arrival. */
  maxConnections?: number;
  /** On close: how long requests in flight may take to finish before their sockets are destroyed (default 5 s). */
  shutdownGraceMs?: number;
  /**
   * A context store that `sync` keeps (`sqlite:<file>` or a postgres:// URL): execute answers
   * `action: "context_store_search"` from it, for the entities the instance's connector syncs.
   */
  store?: string;
}

export interface RunningServer {
  url: string;
  server: Server;
  /** Set when this start generated the API key: show it once. */
  generatedApiKey?: string;
  /** Stops accepting, finishes in-flight requests, closes runtimes and the database. */
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/** The action name the hosted connector gives a search of its cached records. */
export const CONTEXT_STORE_SEARCH = 'context_store_search';

/**
 * `context_store_search` over one store: the entities a connector syncs, the native filter
 * language, its fields projection, and freshness in every answer. Reads only, so any scope may.
 */
function contextStoreSearch(location: string, definitions: Map<string, Manifest>) {
  const reader = storeReader(location);
  return {
    async search(definitionId: string, entity: string, params: Record<string, unknown>, fields: string[] | undefined) {
      const manifest = definitions.get(definitionId)!;
      const synced = syncedRecord(manifest, entity);
      if (!synced) {
        const names = syncedEntities(manifest).map(([n]) => n);
        throw new ApiError(400, 'NOT_SYNCED', `${JSON.stringify(entity)} is not an entity ${manifest.connector.name} syncs; it syncs: ${names.join(', ') || 'none'}.`);
      }
      const { where, sort, limit, cursor, ...rest } = params;
      const unknown = Object.keys(rest);
      if (unknown.length) throw new ApiError(400, 'INVALID_PARAMETERS', `context_store_search takes where, sort, limit and cursor; not ${unknown.join(', ')}.`);
      const project = compileProjection(fields, synced.record, manifest.schemas, `${entity}.${CONTEXT_STORE_SEARCH}`);
      let store: ContextStore;
      try {
        store = await reader.get();
      } catch (err) {
        // Not the caller's fault, and not a crash: the store is missing or unreachable.
        if (err instanceof ConfigurationError) throw new ApiError(503, 'CONTEXT_STORE_UNAVAILABLE', err.message);
        throw err;
      }
      const answer = await store.search(entity, { where, sort, limit, cursor } as StoreQuery);
      return project ? { ...answer, data: answer.data.map(project) } : answer;
    },
    close: () => reader.close(),
  };
}

/**
 * The execute API: connector instances with stored, encrypted credentials, and
 * `POST /api/v1/connectors/instances/{id}/execute` on the engine's runtime.
 *
 * @example
 * const srv = await startServer({ manifests: [manifest], port: 8080 });
 * // curl -H "Authorization: Bearer $KEY" localhost:8080/api/v1/connectors/definitions
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const definitions = new Map<string, Manifest>();
  for (const m of options.manifests) definitions.set(m.connector.definition_id ?? m.connector.name, m);
  // Made once, before the store opens: a pure function of the manifests, which do not change while serving.
  const openapi = openApiDocument(definitions);
  const dbPath = options.dbPath ?? 'data/connectors.db';
  const { store, key } = await openStoreWithKey(dbPath, options.secretKey || undefined);
  let digests: Buffer[];
  let generated: string | undefined;
  let keepGenerated: (() => Promise<Buffer>) | undefined;
  try {
    ({ digests, generated, keep: keepGenerated } = await apiKeys(store, options.apiKeys));
  } catch (err) {
    await store.close();
    throw err;
  }
  const instances = new Instances(store, key, definitions, options.runtime ?? {});
  const contextStore = options.store ? contextStoreSearch(options.store, definitions) : undefined;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  let closing: Promise<void> | undefined;
  // Timeouts are checked every second (Node's default is every 30 s).
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const started = performance.now();
    let instance: string | undefined;
    res.on('finish', () => {
      // During shutdown a connection that just became idle is closed at once.
      if (closing) server.closeIdleConnections();
      // Method, path, status, time and instance: never a header, so never a key or token.
      log(JSON.stringify({ time: new Date().toISOString(), method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10, instance }));
    });
    handle(req, (id) => (instance = id))
      .then(({ status, body, headers }) => send(res, status, body, closing ? { ...headers, connection: 'close' } : headers))
      .catch((err: unknown) => {
        // A client that went away mid-body gets no answer; one log line says so.
        if (err instanceof ClientGone) {
          log(JSON.stringify({ time: new Date().toISOString(), method: req.method, path: (req.url ?? '').split('?')[0], status: null, error: 'client closed the connection before its body arrived', instance }));
          return;
        }
        const e = toApiError(err);
        if (e.code === 'INTERNAL') process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
        send(res, e.status, { error: { code: e.code, message: e.message, ...e.extra } }, e.headers);
      });
  });
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(server.requestTimeout, options.headersTimeoutMs ?? 10_000);
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.maxConnections ?? 512;

  type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
  type Context = { req: IncomingMessage; params: Record<string, string> };

  // One handler per route of the table in routes.ts (the type insists on each).
  const handlers: Record<RouteId, (c: Context) => Promise<Reply> | Reply> = {
    health: async () => {
      // Healthy means able to serve: the store must answer too.
      const problem = await store.health();
      return problem ? { status: 503, body: { status: 'unavailable', reason: `the database does not answer (${problem}).` } } : { status: 200, body: { status: 'ok' } };
    },
    // Public like /healthz: it holds the API's shape (routes, and the operations and parameters
    // of the manifests the operator deployed), never an instance, a credential or a record;
    // tools (codegen, API explorers) fetch it before they are given a key.
    openapi: () => ({ status: 200, body: openapi }),
    listDefinitions: () => ({ status: 200, body: { data: [...definitions].map(([defId, m]) => describeDefinition(defId, m)) } }),
    listInstances: async () => ({ status: 200, body: { data: await instances.list() } }),
    createInstance: async ({ req }) => ({ status: 201, body: await instances.create((await readJson(req, bodyOf('createInstance'))) as unknown as CreateInput) }),
    getInstance: async ({ params }) => ({ status: 200, body: await instances.get(params.id!) }),
    updateInstance: async ({ req, params }) => {
      await instances.get(params.id!);
      const patch = (await readJson(req, bodyOf('updateInstance'))) as UpdateInput;
      if (patch.auth_config === undefined && patch.name === undefined && patch.scope === undefined) {
        throw new ApiError(400, 'INVALID_BODY', 'nothing to change: send "auth_config" (new credentials), "name" and/or "scope".');
      }
      return { status: 200, body: await instances.update(params.id!, patch) };
    },
    deleteInstance: async ({ params }) => {
      await instances.delete(params.id!);
      return { status: 204 };
    },
    execute: async ({ req, params }) => {
      // Read once, before the body: an unknown instance is a 404 whatever the body holds.
      const stored = await instances.find(params.id!);
      const body = (await readJson(req, bodyOf('execute'))) as { entity: string; action: string; params?: Record<string, unknown>; fields?: string[] };
      if (body.action === CONTEXT_STORE_SEARCH) {
        if (!contextStore) throw new ApiError(400, 'NO_CONTEXT_STORE', `this server keeps no context store: start it with --store sqlite:<file> (or a postgres:// URL) and keep that store filled with sync.`);
        return { status: 200, body: await contextStore.search(stored.connector_definition_id, body.entity, body.params ?? {}, body.fields) };
      }
      instances.assertAllowed(stored, body.entity, body.action);
      const runtime = await instances.runtime(stored);
      return { status: 200, body: await runtime.execute({ entity: body.entity, action: body.action, params: body.params, fields: body.fields }) };
    },
  };

  async function handle(req: IncomingMessage, noteInstance: (id: string) => void): Promise<Reply> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // Everything under /api/ needs a key, even a path that is no route: no probing without one.
    const guarded = path.startsWith('/api/');
    if (guarded) authorize(req, digests);
    const found = matchRoute(req.method ?? '', path, decodeSegment);
    if (!found) throw new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${path}.`);
    if ('allow' in found) {
      const allow = found.allow.join(', ');
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `use ${found.allow.join(' or ')} here, not ${req.method}.`, {}, { allow });
    }
    if (!guarded && !found.route.public) authorize(req, digests);
    if (found.params.id !== undefined) noteInstance(found.params.id);
    return handlers[found.route.id]({ req, params: found.params });
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Nothing was served: the database closes and a generated key is not kept, since it was never shown.
    await store.close();
    throw err;
  }
  if (keepGenerated) {
    try {
      const kept = await keepGenerated();
      // Another replica started on this new database first and generated its own: that one
      // holds, and this start shows none (it would not open the other replicas).
      if (!kept.equals(digests[0]!)) {
        digests = [kept];
        generated = undefined;
      }
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      throw err;
    }
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    server,
    generatedApiKey: generated,
    close: () =>
      (closing ??= (async () => {
        // Stop accepting; idle keep-alive sockets go now, busy ones when their answer is sent,
        // and whatever is still open after the grace period (a request that never completes) is destroyed.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 5_000);
        await closed;
        clearTimeout(grace);
        await instances.close();
        await contextStore?.close();
        await store.close();
      })()),
  };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ApiError(404, 'NOT_FOUND', 'malformed percent-encoding in the path.');
  }
}

function authorize(req: IncomingMessage, digests: readonly Buffer[]): void {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw new ApiError(401, 'UNAUTHORIZED', 'send an API key as "Authorization: Bearer <key>" (from CONNECTOR_API_KEYS, or the key printed at first start).', {}, { 'www-authenticate': 'Bearer' });
  if (!matchesAny(match[1]!, digests)) throw new ApiError(401, 'UNAUTHORIZED', 'the API key is not valid for this server.', {}, { 'www-authenticate': 'Bearer' });
}

/** The client closed the connection before its body arrived. */
class ClientGone extends Error {}

/** Reads a JSON object body of at most 1 MiB with exactly the fields its route takes. */
async function readJson(req: IncomingMessage, { fields, required }: BodySpec): Promise<Record<string, unknown>> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as JSON with "Content-Type: application/json"${type ? `, not ${type}` : ''}.`, {}, { accept: 'application/json' });
  }
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY) {
    req.resume();
    throw new ApiError(413, 'BODY_TOO_LARGE', `the body is over ${MAX_BODY} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.resume();
        throw new ApiError(413, 'BODY_TOO_LARGE', `the body is over ${MAX_BODY} bytes.`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ClientGone();
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'INVALID_JSON', `the body is not valid JSON (${(err as Error).message}).`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'INVALID_BODY', 'the body must be a JSON object.');
  const body = value as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !Object.hasOwn(fields, k));
  if (unknown.length) {
    const named = unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 64))).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    throw new ApiError(400, 'INVALID_BODY', `unknown field${unknown.length > 1 ? 's' : ''} ${named}; the body takes: ${Object.keys(fields).join(', ')}.`);
  }
  for (const [k, v] of Object.entries(body)) {
    const field = fields[k]!;
    const check = FIELD_CHECKS[field.type];
    if (!check.test(v)) throw new ApiError(400, 'INVALID_BODY', `"${k}" must be ${check.expected}.`);
    if (field.enum && !field.enum.includes(v as string)) throw new ApiError(400, 'INVALID_BODY', `"${k}" must be one of ${field.enum.map((e) => JSON.stringify(e)).join(', ')}.`);
  }
  for (const k of required) if (body[k] === undefined) throw new ApiError(400, 'INVALID_BODY', `missing field "${k}".`);
  return body;
}

const FIELD_CHECKS: Record<FieldType, { test: (v: unknown) => boolean; expected: string }> = {
  string: { test: (v) => typeof v === 'string' && v !== '', expected: 'a non-empty string' },
  object: { test: (v) => v !== null && typeof v === 'object' && !Array.isArray(v), expected: 'a JSON object' },
  boolean: { test: (v) => typeof v === 'boolean', expected: 'true or false' },
  strings: { test: (v) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== ''), expected: 'a non-empty list of non-empty strings' },
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/**
 * API keys from the environment, else one generated at the first start and kept as a digest.
 * A generated key is kept (`keep`) only once the server listens: a start that fails never
 * shows it, and a key nobody saw would lock every client out.
 */
async function apiKeys(store: InstanceStore, fromEnv: string | undefined): Promise<{ digests: Buffer[]; generated?: string; keep?: () => Promise<Buffer> }> {
  const keys = (fromEnv ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length > 0) return { digests: keys.map(digest) };
  const stored = await store.getSetting('generated_api_key_digest');
  if (stored) return { digests: [stored] };
  const key = `ck_${randomBytes(24).toString('base64url')}`;
  // keep answers the digest that holds: this one, or one another replica kept first.
  return { digests: [digest(key)], generated: key, keep: () => store.initSetting('generated_api_key_digest', digest(key)) };
}
