import type { Dispatcher } from 'undici';
import { AbortedError, isConnectorError, NetworkError, ResponseError, TimeoutError } from '../errors.js';

export interface OutgoingRequest {
  origin: string;
  /** Base path prefix + operation path + query. */
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  /** The encoded body, when the request has one. */
  body?: string;
  /**
   * A query entry that carries a credential (`api_key=...`), added to the path only as the
   * request leaves, so no message, event or error ever holds it.
   */
  secretQuery?: string;
  signal?: AbortSignal;
  /** Longest time for one attempt, from sending to the last body byte. */
  timeoutMs: number;
  /** Names the call in error messages, e.g. `contacts.list`. */
  operation: string;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A path with the query entry that carries a credential added, as the request leaves. */
export function withSecretQuery(path: string, secretQuery: string | undefined): string {
  return secretQuery ? `${path}${path.includes('?') ? '&' : '?'}${secretQuery}` : path;
}

/**
 * Sends one request and reads the whole body, up to `maxBytes` (a larger body is
 * destroyed unread, not buffered). Transport failures become typed errors.
 */
export async function send(dispatcher: Dispatcher, req: OutgoingRequest, maxBytes: number): Promise<IncomingResponse> {
  // undici's own header/body timeouts tick at about one second; an own timer keeps short
  // timeouts exact. One controller carries both the timeout and the caller's signal.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const onAbort = () => controller.abort(req.signal!.reason);
  if (req.signal?.aborted) controller.abort(req.signal.reason);
  else req.signal?.addEventListener('abort', onAbort, { once: true });
  let res: Dispatcher.ResponseData | undefined;
  try {
    const path = withSecretQuery(req.path, req.secretQuery);
    const options: Dispatcher.RequestOptions = { origin: req.origin, path, method: req.method, headers: req.headers, signal: controller.signal };
    if (req.body !== undefined) options.body = req.body;
    res = await dispatcher.request(options);
    const declared = Number(res.headers['content-length']);
    if (declared > maxBytes) throw tooLarge(req, res.statusCode, maxBytes, `declares ${declared} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(req, res.statusCode, maxBytes, `passed it at ${size} bytes`);
      chunks.push(chunk);
    }
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    return { status: res.statusCode, headers: res.headers, text };
  } catch (err) {
    // Whatever went wrong, the socket must not stay busy with an unread body.
    if (res && !res.body.destroyed) res.body.destroy();
    throw isConnectorError(err) ? err : transportError(err, req, timedOut);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

function tooLarge(req: OutgoingRequest, status: number, limit: number, detail: string): ResponseError {
  return new ResponseError(
    `${req.operation}: the response is over the ${limit}-byte limit (it ${detail}). Ask for smaller pages or raise maxResponseBytes.`,
    { status, code: 'RESPONSE_TOO_LARGE' },
  );
}

/** Failures of opening the connection: nothing of the request reached the server. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function transportError(err: unknown, req: OutgoingRequest, timedOut: boolean): Error {
  const e = err as { code?: string; name?: string; message?: string };
  const where = `${req.operation}: ${req.method} ${req.origin}${req.path.split('?')[0]}`;
  const beforeSending = CONNECT_FAILURES.has(e.code ?? '');
  if (timedOut || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TimeoutError(`${where}: no complete response within ${req.timeoutMs} ms. Raise timeoutMs or try again later.`, err, beforeSending);
  }
  if (req.signal?.aborted || e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED') {
    return new AbortedError(`${where}: aborted by the caller's signal.`, err);
  }
  const why =
    e.code === 'ECONNREFUSED'
      ? `nothing accepts connections at ${req.origin} (ECONNREFUSED). Check that the server is running and the base URL is right`
      : e.code === 'ENOTFOUND'
        ? `the host name of ${req.origin} does not resolve (ENOTFOUND). Check the base URL (and region) for a typo`
        : `the connection failed (${e.code ?? e.name ?? 'error'}: ${e.message ?? String(err)}). Check the base URL and the network`;
  return new NetworkError(
    `${where}: ${why}; transient failures are retried.`,
    err,
    beforeSending,
  );
}
