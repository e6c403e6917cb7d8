import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthenticationError,
  ConfigurationError,
  HttpError,
  isConnectorError,
  NotFoundError,
  ParameterError,
  PermissionError,
  RateLimitError,
  TimeoutError,
  UnknownOperationError,
} from '../errors.js';
import { neededCredentials } from '../auth/choose.js';
import type { Manifest } from '../manifest/types.js';
import type { RuntimeOptions } from '../runtime.js';
import { Instances, NotFound } from './instances.js';
import { openStoreWithKey } from './keys.js';
import { digest, matchesAny } from './secrets.js';
import type { InstanceStore } from './store.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** SQLite file (default ./data/connectors.db); the key file sits beside it. */
  dbPath?: string;
  /** Manifests to serve, by definition id (their connector.definition_id, else their name). */
  manifests: Manifest[];
  /** Comma-separated API keys (CONNECTOR_API_KEYS); when empty a key is generated once. */
  apiKeys?: string;
  /** CONNECTOR_SECRET_KEY; when empty the key file is used. */
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

/** HTTP error as the API answers it: `{ error: { code, message, request_id? } }`. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
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
  const dbPath = options.dbPath ?? 'data/connectors.db';
  const { store, key } = await openStoreWithKey(dbPath, options.secretKey || undefined);
  const { digests, generated } = apiKeys(store, options.apiKeys);
  const definitions = new Map<string, Manifest>();
  for (const m of options.manifests) definitions.set(m.connector.definition_id ?? m.connector.name, m);
  const instances = new Instances(store, key, definitions, options.runtime ?? {});
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

  async function handle(req: IncomingMessage, noteInstance: (id: string) => void): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz' && req.method === 'GET') {
      // Healthy means able to serve: the store must answer too.
      const problem = store.health();
      return problem ? { status: 503, body: { status: 'unavailable', reason: `the database does not answer (${problem}).` } } : { status: 200, body: { status: 'ok' } };
    }
    if (!path.startsWith('/api/v1/')) throw new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${path}.`);
    authorize(req, digests);
    const parts = path.split('/').slice(3).map(decodeSegment);
    const [collection, sub, id, action] = parts as [string, string?, string?, string?];
    if (collection !== 'connectors') throw new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${path}.`);
    if (sub === 'definitions' && id === undefined) {
      only(req, 'GET');
      return { status: 200, body: { data: [...definitions].map(([defId, m]) => describeDefinition(defId, m)) } };
    }
    if (sub !== 'instances') throw new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${path}.`);
    if (id === undefined) {
      if (req.method === 'GET') return { status: 200, body: { data: instances.list() } };
      only(req, 'POST');
      const body = await readJson(req, { connector_definition_id: 'string', auth_config: 'object', name: 'string', config: 'object' }, ['connector_definition_id', 'auth_config', 'name']);
      return { status: 201, body: instances.create(body as { connector_definition_id: string; auth_config: Record<string, unknown>; name: string; config?: Record<string, unknown> }) };
    }
    noteInstance(id);
    if (action === undefined) {
      if (req.method === 'GET') return { status: 200, body: instances.get(id) };
      only(req, 'DELETE');
      await instances.delete(id);
      return { status: 204 };
    }
    if (action !== 'execute' || parts.length > 4) throw new ApiError(404, 'NOT_FOUND', `no route ${req.method} ${path}.`);
    only(req, 'POST');
    instances.get(id);
    const body = (await readJson(req, { entity: 'string', action: 'string', params: 'object' }, ['entity', 'action'])) as {
      entity: string;
      action: string;
      params?: Record<string, unknown>;
    };
    const runtime = await instances.runtime(id);
    const result = await runtime.execute({ entity: body.entity, action: body.action, params: body.params });
    return { status: 200, body: result };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
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
        store.close();
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

function only(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `use ${method} here, not ${req.method}.`, {}, { allow: method });
}

function authorize(req: IncomingMessage, digests: readonly Buffer[]): void {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw new ApiError(401, 'UNAUTHORIZED', 'send an API key as "Authorization: Bearer <key>" (from CONNECTOR_API_KEYS, or the key printed at first start).', {}, { 'www-authenticate': 'Bearer' });
  if (!matchesAny(match[1]!, digests)) throw new ApiError(401, 'UNAUTHORIZED', 'the API key is not valid for this server.', {}, { 'www-authenticate': 'Bearer' });
}

type FieldType = 'string' | 'object';

/** The client closed the connection before its body arrived. */
class ClientGone extends Error {}

/** Reads a JSON object body of at most 1 MiB with exactly the fields allowed. */
async function readJson(req: IncomingMessage, fields: Record<string, FieldType>, required: string[]): Promise<Record<string, unknown>> {
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
  for (const [k, v] of Object.entries(body)) {
    const type = fields[k];
    if (!type) throw new ApiError(400, 'INVALID_BODY', `unknown field "${k}"; the body takes: ${Object.keys(fields).join(', ')}.`);
    const ok = type === 'string' ? typeof v === 'string' && v !== '' : v !== null && typeof v === 'object' && !Array.isArray(v);
    if (!ok) throw new ApiError(400, 'INVALID_BODY', `"${k}" must be ${type === 'string' ? 'a non-empty string' : 'a JSON object'}.`);
  }
  for (const k of required) if (body[k] === undefined) throw new ApiError(400, 'INVALID_BODY', `missing field "${k}".`);
  return body;
}

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

/** Engine errors become the statuses a host of the API expects. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof NotFound) return new ApiError(404, 'NOT_FOUND', err.message);
  if (!isConnectorError(err)) {
    return new ApiError(500, 'INTERNAL', 'the server failed; see its log.');
  }
  const upstream = { ...(err.status !== undefined ? { upstream_status: err.status } : {}), ...(err.requestId ? { request_id: err.requestId } : {}) };
  if (err instanceof UnknownOperationError) return new ApiError(404, err.code, err.message);
  if (err instanceof ParameterError) return new ApiError(400, err.code, err.message, err.param ? { param: err.param } : {});
  if (err instanceof ConfigurationError) return new ApiError(500, err.code, err.message);
  if (err instanceof RateLimitError) {
    const seconds = err.resetAt ? Math.max(1, Math.ceil((err.resetAt.getTime() - Date.now()) / 1000)) : 1;
    return new ApiError(429, err.code, err.message, upstream, { 'retry-after': String(seconds) });
  }
  if (err instanceof TimeoutError) return new ApiError(504, err.code, err.message);
  if (err instanceof NotFoundError) return new ApiError(404, err.code, err.message, upstream);
  if (err instanceof HttpError && err.status !== undefined && (err.status === 400 || err.status === 422)) return new ApiError(400, err.code, err.message, upstream);
  if (err instanceof AuthenticationError || err instanceof PermissionError) {
    return new ApiError(502, `UPSTREAM_${err.code}`, `the connector's stored credentials were refused upstream: ${err.message}`, upstream);
  }
  return new ApiError(502, err.code, err.message, upstream);
}

function describeDefinition(id: string, m: Manifest) {
  return {
    id,
    name: m.connector.name,
    title: m.connector.title ?? m.connector.name,
    version: m.connector.version,
    auth_fields: Object.keys(m.auth.credentials),
    auth_methods: m.auth.methods.map((method) => ({ id: method.id, type: method.type, fields: neededCredentials(method, m) })),
    config_fields: Object.keys(m.server.variables ?? {}),
    entities: Object.fromEntries(Object.entries(m.entities).map(([e, spec]) => [e, Object.keys(spec.actions)])),
  };
}

/** API keys from the environment, else one generated at the first start and kept as a digest. */
function apiKeys(store: InstanceStore, fromEnv: string | undefined): { digests: Buffer[]; generated?: string } {
  const keys = (fromEnv ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length > 0) return { digests: keys.map(digest) };
  const stored = store.getSetting('generated_api_key_digest');
  if (stored) return { digests: [stored] };
  const key = `ck_${randomBytes(24).toString('base64url')}`;
  store.setSetting('generated_api_key_digest', digest(key));
  return { digests: [digest(key)], generated: key };
}
