// The sandbox over real HTTP with fetch, for the tests that check its answers byte for byte
// rather than through the engine: one request helper, the check of an Intercom error.list, and
// a walk of the companies scroll.
import assert from 'node:assert/strict';
import { SCROLL_PAGE_SIZE, type Company } from '../../sandbox/index.js';

export interface ErrorList {
  type: string;
  request_id: string;
  errors: { code: string; message: string }[];
}

export interface Answer {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

/**
 * Sends one request. A body that is a string is sent as it is (to send what is not JSON);
 * anything else is sent as JSON. The sandbox's token is sent unless `headers` sets
 * Authorization: a header set to undefined is left out.
 */
export type Call = (method: string, path: string, body?: unknown, headers?: Record<string, string | undefined>) => Promise<Answer>;

/** A request helper bound to a sandbox (its url and token). */
export function sandboxCall(sb: { url: string; token: string }): Call {
  return async (method, path, body, headers = {}) => {
    const all: Record<string, string | undefined> = { Authorization: `Bearer ${sb.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers };
    const sent: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (v !== undefined) sent[k] = v;
    const res = await fetch(sb.url + path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers };
  };
}

/**
 * Checks an Intercom error answer: the status, an error.list with a request id, the first
 * error's code and, when given, its message (equal to a string, or matching a RegExp).
 */
export function assertError(r: Answer, status: number, code: string, message?: string | RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  const body = r.json as ErrorList;
  assert.equal(body.type, 'error.list');
  assert.match(body.request_id, /^[0-9a-f-]{36}$/);
  assert.equal(body.errors[0]?.code, code);
  if (typeof message === 'string') assert.equal(body.errors[0]?.message, message);
  else if (message) assert.match(body.errors[0]?.message ?? '', message);
}

interface ScrollPage {
  type: string;
  data: Company[];
  pages: null;
  total_count: null;
  scroll_param: string;
}

/**
 * Follows one companies scroll to its empty page, checking each page's shape (one scroll
 * parameter throughout, at most SCROLL_PAGE_SIZE companies); `onPage(n)` runs after page n.
 * The ids in order.
 */
export async function scrollAll(call: Call, onPage?: (n: number) => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let param: string | undefined;
  for (let n = 1; ; n++) {
    const r = await call('GET', `/companies/scroll${param ? `?scroll_param=${param}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const page = r.json as ScrollPage;
    assert.equal(page.type, 'list');
    assert.equal(page.pages, null);
    assert.equal(page.total_count, null);
    if (param) assert.equal(page.scroll_param, param);
    param = page.scroll_param;
    if (page.data.length === 0) return ids;
    assert.ok(page.data.length <= SCROLL_PAGE_SIZE);
    ids.push(...page.data.map((x) => x.id));
    await onPage?.(n);
  }
}
