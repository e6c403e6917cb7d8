// The attacks of the hardening issue, kept as tests: each over loopback against the engine, the
// CLI, serve, mcp or the loader, and each failing on the code before the fixes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  createRuntime,
  loadManifest,
  ManifestError,
  PaginationError,
  ParameterError,
  parseManifest,
  ResponseError,
} from '../src/index.js';
import { api, closers, DEF, http, leaks, run, startServe, tempDir } from './support/attack.js';
import { sendJson } from './support/server.js';

// A token with the characters that make its encoded forms differ from it.
const TOKEN = 'tok/en+with"quote\\and=1234';

describe('attack: an upstream that echoes the token', () => {
  const echo = async () =>
    http((req, res) => {
      const seen = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      sendJson(
        res,
        401,
        { type: 'error.list', request_id: `req-${seen}`, errors: [{ code: `bad_${seen}`, message: `token ${encodeURIComponent(seen)} / ${Buffer.from(seen).toString('base64')} is invalid` }] },
        { 'x-request-id': seen },
      );
    });

  it('reaches no error, inspection or JSON of the runtime', async () => {
    const upstream = await echo();
    const runtime = await createRuntime({ baseUrl: upstream.url, credentials: { access_token: TOKEN } });
    closers.push(() => runtime.close());
    const err = (await runtime.execute({ entity: 'tags', action: 'list' }).then(() => new Error('no error'), (e: unknown) => e)) as Error;
    const text = `${err.message} ${JSON.stringify(err)} ${inspect(err, { depth: 5 })} ${JSON.stringify(runtime)} ${inspect(runtime)}`;
    assert.equal(leaks(text, TOKEN), undefined, text);
    assert.match(err.message, /bad_\[redacted\]/, 'the code is kept, the token cut out of it');
  });

  it('reaches neither the CLI error line nor its DEBUG log', async () => {
    const upstream = await echo();
    const r = await run(['execute', 'tags', 'list', '--base-url', upstream.url], { INTERCOM_ACCESS_TOKEN: TOKEN, DEBUG: 'connector-engine' });
    assert.equal(r.code, 7);
    assert.match(r.stderr, /requestId=req-\[redacted\]/);
    assert.equal(leaks(r.stderr + r.stdout, TOKEN), undefined, r.stderr);
  });

  it('reaches no serve answer (request_id, code, message)', async () => {
    const upstream = await echo();
    const server = await startServe({ runtime: { baseUrl: upstream.url, retry: { limit: 0 } } });
    const made = await api(server, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: TOKEN }, name: 'echo' });
    const r = await api(server, 'POST', `/api/v1/connectors/instances/${made.json.id}/execute`, { entity: 'tags', action: 'list' });
    assert.equal(r.status, 502);
    assert.equal(leaks(r.text, TOKEN), undefined, r.text);
    assert.equal(r.json.error.request_id, 'req-[redacted]');
  });
});

describe('attack: hostile auth_config', () => {
  it('prototype member names, deep nesting, CRLF, huge and short values: each a 400 that quotes no value; the server stays up', async () => {
    const server = await startServe();
    const create = (auth_config: unknown) => api(server, 'POST', '/api/v1/connectors/instances', `{"connector_definition_id":"${DEF}","name":"x","auth_config":${typeof auth_config === 'string' ? auth_config : JSON.stringify(auth_config)}}`);
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const cases: [string, unknown, RegExp][] = [
      ['constructor', { constructor: 'sk_live_0123456789' }, /Unknown credential "constructor"/],
      ['toString', { toString: 'sk_live_0123456789' }, /Unknown credential "toString"/],
      ['hasOwnProperty', { access_token: 'sk_live_0123456789', hasOwnProperty: 'x' }, /Unknown credential "hasOwnProperty"/],
      ['__proto__ holding a deep value', `{"__proto__":${deep}}`, /Unknown credential "__proto__"|not valid JSON/],
      ['a deep value under a declared name', `{"access_token":${deep}}`, /must be a non-empty string|not valid JSON/],
      ['a token with CRLF', { access_token: 'sk_live_0123456789\r\nX-Injected: 1' }, /control character/],
      ['a huge token', { access_token: 'k'.repeat(20_000) }, /more than the 8192/],
      ['a one-letter token', { access_token: 'a' }, /shorter than 8/],
    ];
    for (const [name, value, message] of cases) {
      const r = await create(value);
      assert.equal(r.status, 400, `${name}: ${r.text.slice(0, 300)}`);
      assert.match(r.json.error.message, message, name);
      assert.ok(!r.text.includes('sk_live_0123456789'), `${name}: the value is echoed`);
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still up');
  });
});

describe('attack: patterns and long strings (ReDoS)', () => {
  const evil = parseManifest(
    `manifest_version: 1
connector: { name: evil, version: 1.0.0 }
server: { base_url: "https://api.example.test" }
schemas:
  Item: { type: object, properties: { name: { type: string, pattern: "^(a|aa)+$" } } }
entities:
  items:
    actions:
      find:
        method: GET
        path: /items
        params: { q: { type: string, pattern: "^(a+)+$" }, free: { type: string } }
        records: data
        record: { $ref: "#/schemas/Item" }
        pagination: { type: none }
`,
    'evil.yaml',
  );

  it('a catastrophic pattern over a long input answers at once, in parameters and in record validation', async () => {
    const adversarial = `${'a'.repeat(5_000)}b`;
    const upstream = await http((_req, res) => sendJson(res, 200, { data: [{ name: adversarial }] }));
    const runtime = await createRuntime({ manifest: evil, baseUrl: upstream.url, validateResponses: 'strict' });
    closers.push(() => runtime.close());
    // With backtracking, 31 characters took 44 s; RE2 answers in linear time.
    await assert.rejects(runtime.execute({ entity: 'items', action: 'find', params: { q: adversarial } }), (e: unknown) => e instanceof ParameterError && /matching/.test(e.message));
    await assert.rejects(runtime.execute({ entity: 'items', action: 'find', params: { q: 'aaaa' } }), (e: unknown) => e instanceof ResponseError && /record schema/.test(e.message));
    await assert.rejects(runtime.execute({ entity: 'items', action: 'find', params: { free: 'x'.repeat(20_000) } }), /at most 16384 characters/);
  });
});

describe('attack: what the loader is fed', () => {
  it('/dev/zero and a FIFO that never ends are refused at the byte cap', async () => {
    await assert.rejects(loadManifest('/dev/zero', { maxBytes: 1024 * 1024 }), (e: unknown) => e instanceof ManifestError && /over the 1048576-byte limit/.test(e.message));
    const dir = await tempDir('fifo-');
    const fifo = join(dir, 'manifest.yaml');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    const writer = createWriteStream(fifo);
    writer.on('error', () => {});
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let written = 0;
    const feed = () => {
      while (written < 50 && writer.write(chunk)) written++;
      if (written < 50) writer.once('drain', feed);
      else writer.end();
    };
    feed();
    await assert.rejects(loadManifest(fifo, { maxBytes: 1024 * 1024 }), /over the 1048576-byte limit/);
    writer.destroy();
  });
});

describe('attack: a paging value of another shape', () => {
  it('pages.next as a URL string, where the manifest reads pages.next.starting_after: an error, not a quiet end', async () => {
    let n = 0;
    const upstream = await http((_req, res) => {
      n++;
      sendJson(res, 200, { type: 'list', data: [{ type: 'contact', id: `c${n}a` }, { type: 'contact', id: `c${n}b` }], pages: { type: 'pages', next: 'https://api.intercom.io/contacts?page=2' }, total_count: 4 });
    });
    const runtime = await createRuntime({ baseUrl: upstream.url, credentials: { access_token: 'attack-token-1' } });
    closers.push(() => runtime.close());
    await assert.rejects(
      (async () => {
        for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list' })) void _;
      })(),
      (e: unknown) => e instanceof PaginationError && /reads the next cursor at "pages\.next\.starting_after", but in this answer pages\.next is a string/.test(e.message),
    );
    const cli = await run(['execute', 'contacts', 'list', '--all', '--base-url', upstream.url], { INTERCOM_ACCESS_TOKEN: 'attack-token-1' });
    assert.equal(cli.code, 16, cli.stderr);
    assert.match(cli.stderr, /PAGINATION_ERROR/);
  });
});
