import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  AbortedError,
  AuthenticationError,
  ConfigurationError,
  createRuntime,
  enableDebugLog,
  HttpError,
  isConnectorError,
  ManifestError,
  NetworkError,
  NotFoundError,
  PaginationError,
  ParameterError,
  parseManifest,
  PermissionError,
  RateLimitError,
  ResponseError,
  ServerError,
  TimeoutError,
  UnknownOperationError,
  type Runtime,
} from '../src/index.js';
import { sendJson, startServer, type TestServer } from './support/server.js';

const TOKEN = 'tok_SECRET_7d41c9e2b8a3';

/** Every way an error or a runtime can be turned into text. */
function renderings(value: unknown): string {
  return [String(value), inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value), (value as Error)?.stack ?? ''].join('\n');
}

describe('the token appears in no error, property, inspection or log', () => {
  let server: TestServer;
  let runtime: Runtime;
  let mode = 'ok';
  const log: string[] = [];
  let stopLog: () => void;

  before(async () => {
    server = await startServer(async (req, res, url) => {
      const echo = { type: 'error.list', request_id: 'r-1', errors: [{ code: 'echo', message: `bad token ${req.headers.authorization}` }] };
      switch (mode) {
        case '401': return sendJson(res, 401, echo);
        case '403': return sendJson(res, 403, echo);
        case '404': return sendJson(res, 404, echo);
        case '429': return sendJson(res, 429, echo, { 'x-ratelimit-reset': '1', 'retry-after': '0' });
        case '500': return sendJson(res, 500, echo);
        case '400': return sendJson(res, 400, echo);
        case 'not-json': return void res.writeHead(200).end(`<html>${req.headers.authorization}</html>`);
        case 'huge': return sendJson(res, 200, { type: 'list', data: Array(2000).fill({ id: req.headers.authorization }) });
        case 'hang': return;
        case 'repeat': return sendJson(res, 200, { type: 'list', data: [{ id: '1' }], pages: { next: { starting_after: 'same' } } });
        case 'reset': return void res.socket?.destroy();
        default: return sendJson(res, 200, { type: 'list', data: [], url: url.pathname });
      }
    });
    stopLog = enableDebugLog((line) => log.push(line));
    runtime = await createRuntime({
      baseUrl: server.url,
      credentials: { access_token: TOKEN },
      // Generous: on a loaded machine an answer may be late, and a timeout would replace the error under test.
      timeoutMs: 30_000,
      maxResponseBytes: 20_000,
      retry: { limit: 1, baseDelayMs: 1 },
    });
  });
  after(async () => {
    stopLog();
    await runtime.close();
    await server.close();
  });

  it('covers every error class', async () => {
    const caught: unknown[] = [];
    const attempt = async (m: string, fn: () => Promise<unknown>) => {
      mode = m;
      try {
        await fn();
        assert.fail(`${m} did not fail`);
      } catch (err) {
        assert.ok(isConnectorError(err), `${m}: ${String(err)}`);
        caught.push(err);
      }
    };
    const list = () => runtime.execute({ entity: 'contacts', action: 'list' });
    for (const m of ['401', '403', '404', '429', '500', '400', 'not-json', 'huge', 'reset']) await attempt(m, list);
    // The server never answers: a short timeout is a timeout however fast the machine.
    await attempt('hang', () => runtime.execute({ entity: 'contacts', action: 'list', timeoutMs: 100 }));
    await attempt('repeat', async () => {
      for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list' }));
    });
    await attempt('ok', () => runtime.execute({ entity: 'nope', action: 'list' }));
    await attempt('ok', () => runtime.execute({ entity: 'contacts', action: 'list', params: { token: TOKEN } }));
    await attempt('ok', () => runtime.execute({ entity: 'contacts', action: 'list', signal: AbortSignal.abort() }));
    await attempt('ok', () => createRuntime({ credentials: { access_token: TOKEN }, region: 'moon' }));
    await attempt('ok', () => createRuntime({ credentials: { access_token: TOKEN }, baseUrl: 'http://api.example.com' }));
    await attempt('ok', async () => parseManifest(`manifest_version: 1\nconnector: { name: x, version: "${TOKEN}" }\n`));
    const refused = await createRuntime({ baseUrl: 'http://127.0.0.1:9', credentials: { access_token: TOKEN }, retry: { limit: 0 } });
    await attempt('ok', () => refused.execute({ entity: 'tags', action: 'list' }));
    await refused.close();

    const classes = [
      AuthenticationError, PermissionError, NotFoundError, RateLimitError, ServerError, HttpError, ResponseError,
      TimeoutError, NetworkError, PaginationError, UnknownOperationError, ParameterError, AbortedError, ConfigurationError, ManifestError,
    ];
    for (const cls of classes) assert.ok(caught.some((e) => e instanceof cls), `no ${cls.name} was triggered`);
    assert.ok(caught.some((e) => e instanceof ResponseError && e.code === 'RESPONSE_TOO_LARGE'));

    for (const err of caught) {
      const text = renderings(err);
      // The parameter error names the bad parameter's *value* only by type; the manifest
      // error quotes the document, where a secret has no business being.
      if (err instanceof ManifestError) continue;
      assert.ok(!text.includes(TOKEN), `${(err as Error).name} leaks the token:\n${text.slice(0, 2000)}`);
    }
    const echoed = caught.find((e) => e instanceof AuthenticationError) as AuthenticationError;
    assert.match(echoed.details[0]!.message!, /bad token Bearer \[redacted\]/, 'an API that echoes the token is redacted');
  });

  it('the runtime object shows no secret', () => {
    const text = renderings(runtime);
    assert.ok(!text.includes(TOKEN), text);
    assert.match(inspect(runtime), /Runtime \{ connector: 'intercom'/);
  });

  it('debug output has requests, responses and retries, and no token', () => {
    assert.ok(log.some((l) => l.startsWith('connector-engine request ')));
    assert.ok(log.some((l) => /connector-engine response .*status=401/.test(l)));
    assert.ok(log.some((l) => l.startsWith('connector-engine retry ')));
    assert.ok(!log.join('\n').includes(TOKEN));
  });

  it('plain http is refused for a remote host unless allowed', async () => {
    await assert.rejects(createRuntime({ credentials: { access_token: TOKEN }, baseUrl: 'http://api.intercom.io' }), /plain http.*allowInsecureHttp/);
    const allowed = await createRuntime({ credentials: { access_token: TOKEN }, baseUrl: 'http://api.intercom.io', allowInsecureHttp: true });
    await allowed.close();
    await assert.rejects(createRuntime({ credentials: { access_token: TOKEN }, baseUrl: 'https://user:pw@api.intercom.io' }), ConfigurationError);
    await assert.rejects(createRuntime({ credentials: { access_token: TOKEN }, headers: { Authorization: 'Bearer x' } }), /not in headers/);
  });
});
