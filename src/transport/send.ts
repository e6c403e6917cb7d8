import type { Dispatcher } from 'undici';
import { AbortedError, NetworkError, TimeoutError } from '../errors.js';

export interface OutgoingRequest {
  origin: string;
  /** Base path prefix + operation path + query. */
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs: number;
  /** Names the call in error messages, e.g. `contacts.list`. */
  operation: string;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Sends one request and reads the whole body. Transport failures become typed errors. */
export async function send(dispatcher: Dispatcher, req: OutgoingRequest): Promise<IncomingResponse> {
  try {
    const res = await dispatcher.request({
      origin: req.origin,
      path: req.path,
      method: req.method,
      headers: req.headers,
      signal: req.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  } catch (err) {
    throw transportError(err, req);
  }
}

function transportError(err: unknown, req: OutgoingRequest): Error {
  const e = err as { code?: string; name?: string; message?: string };
  const where = `${req.operation}: ${req.method} ${req.origin}${req.path.split('?')[0]}`;
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TimeoutError(`${where}: no response within ${req.timeoutMs} ms (${e.code}). Raise timeoutMs or try again later.`, err);
  }
  if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED' || req.signal?.aborted) {
    return new AbortedError(`${where}: aborted by the caller's signal.`, err);
  }
  return new NetworkError(
    `${where}: the connection failed (${e.code ?? e.name ?? 'error'}: ${e.message ?? String(err)}). Check the base URL and the network.`,
    err,
  );
}
