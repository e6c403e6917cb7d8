import diagnostics from 'node:diagnostics_channel';

/**
 * Events of every HTTP exchange, on `node:diagnostics_channel` (as undici publishes its
 * own): subscribe to watch requests, answers, retries and rate-limit waits. Payloads name
 * the operation, method, path, status, timing, attempt and request id; never a header,
 * so never a credential.
 *
 * @example
 * diagnostics.subscribe('connector-engine:response', (e) => console.log(e));
 */
export const channels = {
  request: diagnostics.channel('connector-engine:request'),
  response: diagnostics.channel('connector-engine:response'),
  retry: diagnostics.channel('connector-engine:retry'),
  rateLimitWait: diagnostics.channel('connector-engine:rate-limit-wait'),
};

export interface RequestEvent {
  operation: string;
  method: string;
  path: string;
  attempt: number;
}
export interface ResponseEvent extends RequestEvent {
  status: number;
  ms: number;
  requestId?: string;
}
export interface RetryEvent extends RequestEvent {
  /** What failed, in full: `HTTP 503`, or the error's code and message. */
  reason: string;
  /** The same in a word: `HTTP 503`, `ECONNREFUSED`, `TIMEOUT`. */
  cause: string;
  waitMs: number;
}
export interface RateLimitWaitEvent {
  operation: string;
  waitMs: number;
  resetAt: string;
}

let debugging = false;

/**
 * Logs every event to stderr. On when the environment has DEBUG containing
 * `connector-engine` (or `*`), like the `debug` package's switch.
 */
export function enableDebugLog(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): () => void {
  const subscribers: [diagnostics.Channel, (m: unknown) => void][] = [
    [channels.request, (m) => write(`connector-engine request ${fmt(m)}`)],
    [channels.response, (m) => write(`connector-engine response ${fmt(m)}`)],
    [channels.retry, (m) => write(`connector-engine retry ${fmt(m)}`)],
    [channels.rateLimitWait, (m) => write(`connector-engine rate-limit-wait ${fmt(m)}`)],
  ];
  for (const [c, fn] of subscribers) c.subscribe(fn);
  return () => {
    for (const [c, fn] of subscribers) c.unsubscribe(fn);
  };
}

function fmt(m: unknown): string {
  return Object.entries(m as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function debugFromEnvironment(): void {
  const flag = process.env.DEBUG ?? '';
  if (debugging || !/(^|,)\s*(\*|connector-engine[^,]*)\s*(,|$)/.test(flag)) return;
  debugging = true;
  enableDebugLog();
}
