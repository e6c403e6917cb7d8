// Shared plumbing for the vendor imitations under test/imitations/.
// Kept deliberately small and vendor-neutral: each imitation builds its own routing, auth,
// bodies and headers on top of these pieces.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

/** One request as the imitation saw it. `url` is the raw path + query; `body` is the raw body text. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A one-shot injected fault. Either an HTTP reply (`status`, optional extra `headers`, optional
 * `body`: a string is sent verbatim, anything else is JSON-encoded) or `destroy: true`, which drops
 * the connection without a reply. `match` limits the fault to requests it accepts; a fault that does
 * not match stays queued.
 */
export type Fault =
  | { status: number; headers?: Record<string, string>; body?: unknown; match?: (req: RecordedRequest) => boolean }
  | { destroy: true; match?: (req: RecordedRequest) => boolean };

export interface ImitationRequest extends RecordedRequest {
  /** Parsed URL (path and query) resolved against the server's own origin. */
  parsed: URL;
  raw: IncomingMessage;
}

export type ImitationHandler = (req: ImitationRequest, res: ServerResponse) => void | Promise<void>;

export interface ImitationOptions {
  /** Runs before faults and the handler on every request, e.g. to set a request-id header. */
  onRequest?: (req: ImitationRequest, res: ServerResponse) => void;
}

export interface ImitationServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: RecordedRequest[];
  /** Pending one-shot faults, consumed in order (first matching one wins). */
  faults: Fault[];
  /** Queue a one-shot fault. */
  failNext(fault: Fault): void;
  close(): Promise<void>;
}

/** Starts a node:http server on 127.0.0.1, port 0; records every request (with its raw body). */
export async function startImitation(handler: ImitationHandler, options: ImitationOptions = {}): Promise<ImitationServer> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  let origin = 'http://127.0.0.1';
  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const recorded: RecordedRequest = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const req: ImitationRequest = { ...recorded, parsed: new URL(recorded.url || '/', origin), raw };
      Promise.resolve()
        .then(async () => {
          options.onRequest?.(req, res);
          const i = faults.findIndex((f) => !f.match || f.match(recorded));
          if (i >= 0) {
            const [fault] = faults.splice(i, 1);
            if (fault && 'destroy' in fault) {
              res.destroy();
              return;
            }
            if (fault) {
              const isText = typeof fault.body === 'string';
              const text = fault.body === undefined ? '' : isText ? (fault.body as string) : JSON.stringify(fault.body);
              const headers: Record<string, string> = {};
              if (fault.body !== undefined) headers['content-type'] = isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
              sendRaw(res, fault.status, text, { ...headers, ...fault.headers });
              return;
            }
          }
          await handler(req, res);
        })
        .catch((err: unknown) => {
          if (!res.headersSent) sendRaw(res, 500, String(err), { 'content-type': 'text/plain; charset=utf-8' });
          else res.destroy();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    requests,
    faults,
    failNext: (fault) => void faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a reply with a raw text body; headers already set on `res` (setHeader) are kept. */
export function sendRaw(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.statusCode = status;
  res.end(text);
}

/** Writes a JSON reply (`application/json; charset=utf-8` unless `headers` says otherwise). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

/** Deterministic PRNG (mulberry32): same seed, same sequence. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element of a non-empty array with `rand`. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick: empty array');
  return item;
}

/** A fresh UUID v4 (request / correlation ids). */
export function newId(): string {
  return randomUUID();
}

/** Opaque cursor helpers: base64url of a JSON value, so clients cannot read meaning into them. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
export function decodeCursor<T>(cursor: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A counter knob for "the next N requests are rate limited". `take()` consumes one if any remain. */
export class Countdown {
  remaining = 0;
  set(n: number): void {
    this.remaining = Math.max(0, Math.floor(n));
  }
  take(): boolean {
    if (this.remaining <= 0) return false;
    this.remaining -= 1;
    return true;
  }
}
