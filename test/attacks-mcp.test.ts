// Attacks on `mcp` (raw JSON-RPC lines on stdin) and the engine edges the suite missed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { startSandbox } from '../sandbox/index.js';
import { createRuntime, DEFAULT_MANIFEST, loadManifest, PaginationError } from '../src/index.js';
import { ToolCaller } from '../src/mcp/server.js';
import { compileRateLimit } from '../src/transport/rate-limit.js';
import { RateLimiter } from '../src/transport/rate-limiter.js';
import { BIN, closers, http, leaks } from './support/attack.js';
import { sendJson } from './support/server.js';

/** The mcp binary with a line reader over its stdout. */
async function mcp(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'mcp', ...args], { env: { ...process.env, DEBUG: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  closers.push(async () => child.kill('SIGKILL'));
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  child.stdout.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const next = async (): Promise<any> => {
    while (lines.length === 0) await new Promise<void>((r) => waiters.push(r));
    return JSON.parse(lines.shift()!);
  };
  const send = (line: string) => child.stdin.write(`${line}\n`);
  return { child, next, send, lineLength: () => lines[0]?.length ?? 0, raw: lines };
}

describe('attack: MCP over stdio', () => {
  it('bad JSON, batches, calls before initialize and an 11 MiB line each get an answer; the server stays up', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 5 } });
    closers.push(() => sandbox.close());
    const s = await mcp(['--base-url', sandbox.url], { INTERCOM_ACCESS_TOKEN: sandbox.token });
    s.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tags_list","arguments":{}}}');
    assert.deepEqual((await s.next()).error.code, -32600, 'no call before initialize');
    s.send('{"jsonrpc": "2.0", "id": 2, "method": ');
    const parse = await s.next();
    assert.deepEqual([parse.id, parse.error.code], [null, -32700]);
    s.send('[{"jsonrpc":"2.0","id":3,"method":"ping"}]');
    assert.equal((await s.next()).error.code, -32600);
    s.send('{"jsonrpc":"1.0","id":4,"method":"ping"}');
    const invalid = await s.next();
    assert.deepEqual([invalid.id, invalid.error.code], [4, -32600]);
    s.send(`{"jsonrpc":"2.0","id":5,"method":"ping","params":{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}}`);
    assert.match((await s.next()).error.message, /over \d+ bytes was dropped/);
    s.send(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attack', version: '0' } } }));
    assert.equal((await s.next()).id, 6);
    s.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    s.send('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"tags_list","arguments":{}}}');
    const ok = await s.next();
    assert.equal(ok.id, 7);
    assert.equal(ok.result.isError, undefined, JSON.stringify(ok).slice(0, 300));
    assert.equal(s.child.exitCode, null, 'still running');
    s.child.stdin.end();
    const [code] = (await once(s.child, 'exit')) as [number];
    assert.equal(code, 0, 'the end of stdin ends it cleanly');
  });

  it('an answer keeps to --max-output-bytes even when the caller sends 5 MiB', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 5 } });
    closers.push(() => sandbox.close());
    const s = await mcp(['--base-url', sandbox.url, '--max-output-bytes', '20000'], { INTERCOM_ACCESS_TOKEN: sandbox.token });
    s.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attack', version: '0' } } }));
    await s.next();
    s.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'contacts_get', arguments: { id: 'i'.repeat(3 * 1024 * 1024) } } }));
    while (s.raw.length === 0) await new Promise((r) => setImmediate(r));
    const length = s.lineLength();
    const answer = await s.next();
    assert.equal(answer.result.isError, true);
    assert.ok(length <= 2 * 20_000 + 64 * 1024, `the answer was ${length} bytes`);
  });

  it('the protocol: version negotiation, unknown methods, bad params, and a cancelled call aborts its request and gets no answer', async () => {
    let received!: () => void;
    const arrived = new Promise<void>((r) => (received = r));
    let aborted!: () => void;
    const gone = new Promise<void>((r) => (aborted = r));
    // An API that never answers: the call in flight ends only when the client cancels it.
    const upstream = await http((req) => {
      req.socket.once('close', aborted);
      received();
    });
    const s = await mcp(['--base-url', upstream.url], { INTERCOM_ACCESS_TOKEN: 'tok-cancel-0001' });
    s.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 'attack', version: '0' } } }));
    const init = await s.next();
    assert.equal(init.result.protocolVersion, '2025-11-25', 'an unknown version is answered with the newest one served');
    assert.deepEqual(init.result.capabilities, { tools: { listChanged: false } });
    assert.equal(init.result.serverInfo.name, 'intercom');
    s.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: '2024-11-05' } }));
    assert.equal((await s.next()).result.protocolVersion, '2024-11-05', 'a version served is kept');
    s.send('{"jsonrpc":"2.0","id":3,"method":"resources/list"}');
    const unknown = await s.next();
    assert.equal(unknown.error.code, -32601);
    assert.match(unknown.error.message, /resources\/list.*tools\/call/);
    s.send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"arguments":{}}}');
    assert.equal((await s.next()).error.code, -32602, 'a call without a name');
    s.send('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"tags_list","arguments":[1]}}');
    assert.equal((await s.next()).error.code, -32602, 'arguments that are not an object');

    s.send('{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"tags_list","arguments":{}}}');
    await arrived;
    s.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"user"}}');
    await gone;
    s.send('{"jsonrpc":"2.0","id":6,"method":"ping"}');
    const pong = await s.next();
    assert.deepEqual(pong, { jsonrpc: '2.0', id: 6, result: {} }, 'the cancelled call was not answered before the ping');
    s.child.stdin.end();
    const [code] = (await once(s.child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.deepEqual(s.raw, [], 'nothing more was written, the cancelled call included');
  });

  it('redacts a credential holding a quote and a backslash, in its JSON-escaped form too', async () => {
    const token = 'tok"with\\specials-0001';
    const upstream = await http((req, res) => sendJson(res, 200, { type: 'list', data: [{ type: 'tag', id: '1', name: `echo ${String(req.headers.authorization)}` }] }));
    const caller = new ToolCaller({ manifest: await loadManifest(DEFAULT_MANIFEST), runtimeOptions: { baseUrl: upstream.url, credentials: { access_token: token } } });
    closers.push(() => caller.close());
    const result = await caller.call('tags_list', {});
    const text = (result.content[0] as { text: string }).text;
    assert.match(text, /echo Bearer \[redacted\]/);
    assert.equal(leaks(`${text} ${JSON.stringify(result)}`, token), undefined);
  });
});

describe('edges the suite missed', () => {
  it('a two-step cursor cycle (A → B → A) stops with a PaginationError; each page came once', async () => {
    const upstream = await http((req, res) => {
      const after = new URL(req.url!, 'http://x').searchParams.get('starting_after');
      const next = after === 'A' ? 'B' : 'A';
      sendJson(res, 200, { type: 'list', data: [{ type: 'contact', id: `after-${after ?? 'start'}` }], pages: { next: { starting_after: next } } });
    });
    const runtime = await createRuntime({ baseUrl: upstream.url, credentials: { access_token: 'cycle-token-01' } });
    closers.push(() => runtime.close());
    const ids: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 1 }, prefetch: false })) ids.push(c.id as string);
      })(),
      (e: unknown) => e instanceof PaginationError && /cursor "A" again/.test(e.message),
    );
    assert.deepEqual(ids, ['after-start', 'after-A', 'after-B']);
  });

  it('the rate limiter keeps the lowest remaining count of a window, whatever order answers arrive in', () => {
    const now = 1_000_000;
    const limiter = new RateLimiter(compileRateLimit({ remaining: 'r', reset: 's' }), () => now);
    limiter.update({ r: '5', s: String(now / 1000 + 10) });
    limiter.update({ r: '9', s: String(now / 1000 + 10) });
    let allowed = 0;
    while (limiter.tryAcquire()) allowed++;
    assert.equal(allowed, 5, 'a later, higher count of the same window is an older answer');
  });
});
