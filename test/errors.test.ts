import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import {
  AbortedError,
  AuthenticationError,
  ConfigurationError,
  createRuntime,
  HttpError,
  NetworkError,
  NotFoundError,
  ParameterError,
  ResponseError,
  TimeoutError,
  UnknownOperationError,
  type Runtime,
} from '../src/index.js';
import { sendJson, startServer } from './support/server.js';

const SECRET = 'tok_live_DO_NOT_LEAK_91c2';

/** Asserts a secret appears nowhere an error could carry it. */
function assertNoSecret(err: unknown, secret: string): void {
  const e = err as Error & Record<string, unknown>;
  const everything = [e.message, e.stack, JSON.stringify(e), JSON.stringify(Object.entries(e)), String(e.cause ?? '')].join('\n');
  assert.ok(!everything.includes(secret), 'the secret leaked into the error');
}

describe('errors reach the caller typed, actionable and without secrets', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 50 } });
    runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
  });
  after(async () => {
    await runtime.close();
    await sandbox.close();
  });

  it('an unknown entity or action lists the valid ones, before any request', async () => {
    const before = sandbox.requestCount;
    await assert.rejects(runtime.execute({ entity: 'contact', action: 'list' }), (err: unknown) => {
      assert.ok(err instanceof UnknownOperationError, 'expected err instanceof UnknownOperationError');
      assert.equal(err.code, 'UNKNOWN_ENTITY');
      assert.match(err.message, /Did you mean "contacts"\?/);
      assert.match(err.message, /contacts, conversations, companies, teams, admins, tags, segments/);
      return true;
    });
    await assert.rejects(runtime.execute({ entity: 'tags', action: 'delete' }), (err: unknown) => {
      assert.ok(err instanceof UnknownOperationError, 'expected err instanceof UnknownOperationError');
      assert.equal(err.code, 'UNKNOWN_ACTION');
      assert.match(err.message, /Valid actions: list, get, create/);
      return true;
    });
    assert.equal(sandbox.requestCount, before);
  });

  const badParams: [string, string, Record<string, unknown> | undefined, RegExp, string | undefined][] = [
    ['unknown name', 'list', { per_pag: 10 }, /unknown parameter "per_pag"\. Did you mean "per_page"\? Valid parameters: per_page, starting_after/, 'per_pag'],
    ['wrong type', 'list', { per_page: '10' }, /parameter "per_page" must be an integer, got the string "10"/, 'per_page'],
    ['over the maximum', 'list', { per_page: 500 }, /parameter "per_page" must be at most 150, got number 500/, 'per_page'],
    ['missing required', 'get', undefined, /missing required parameter "id" \(string, Contact ID\)/, 'id'],
    ['empty id', 'get', { id: '' }, /parameter "id" must be a non-empty string/, 'id'],
    ['dot id', 'get', { id: '.' }, /parameter "id" cannot be "\."/, 'id'],
    ['dot-dot id', 'get', { id: '..' }, /parameter "id" cannot be "\.\."/, 'id'],
  ];
  for (const [name, action, params, message, param] of badParams) {
    it(`parameter error: ${name}`, async () => {
      const before = sandbox.requestCount;
      await assert.rejects(runtime.execute({ entity: 'contacts', action, params }), (err: unknown) => {
        assert.ok(err instanceof ParameterError, String(err));
        assert.equal(err.code, 'INVALID_PARAMETERS');
        assert.equal(err.param, param);
        assert.match(err.message, message);
        return true;
      });
      assert.equal(sandbox.requestCount, before, 'nothing was sent');
    });
  }

  it('401 becomes an AuthenticationError with the request id, and never shows the token', async () => {
    const wrong = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: SECRET } });
    try {
      await assert.rejects(wrong.execute({ entity: 'admins', action: 'list' }), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError, 'expected err instanceof AuthenticationError');
        assert.equal(err.code, 'UNAUTHORIZED');
        assert.equal(err.status, 401);
        assert.match(err.requestId!, /^[0-9a-f-]{36}$/);
        assert.deepEqual(err.details, [{ code: 'unauthorized', message: 'Access Token Invalid' }]);
        assert.match(err.message, /rejected the access_token credential/);
        assertNoSecret(err, SECRET);
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  it('404 becomes a NotFoundError that says what was not found', async () => {
    await assert.rejects(runtime.execute({ entity: 'companies', action: 'get', params: { id: 'nope' } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError, 'expected err instanceof NotFoundError');
      assert.equal(err.status, 404);
      assert.equal(err.details[0]!.code, 'company_not_found');
      assert.ok(err.requestId, 'expected err.requestId');
      assert.match(err.message, /companies\.get \(GET \/companies\/nope\): no record with id "nope"/);
      return true;
    });
  });

  it('400 becomes an HttpError carrying the API details', async () => {
    await assert.rejects(runtime.execute({ entity: 'contacts', action: 'list', params: { starting_after: 'not-a-cursor' } }), (err: unknown) => {
      assert.ok(err instanceof HttpError, 'expected err instanceof HttpError');
      assert.equal(err.code, 'HTTP_ERROR');
      assert.equal(err.status, 400);
      assert.ok(err.details.length > 0 && err.details[0]!.code, 'expected err.details.length > 0 && err.details[0]!.code');
      assert.ok(err.requestId, 'expected err.requestId');
      return true;
    });
  });

  it('configuration errors name the fix', async () => {
    await assert.rejects(createRuntime({}), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, 'expected err instanceof ConfigurationError');
      assert.match(err.message, /Missing credential "access_token".*INTERCOM_ACCESS_TOKEN/);
      return true;
    });
    await assert.rejects(createRuntime({ credentials: { access_token: 'test-token-x' }, region: 'mars' }), /Unknown region "mars"\. Valid regions: us, eu, au/);
    await assert.rejects(createRuntime({ credentials: { access_token: 'x', password: 'y' } }), /Unknown credential "password"/);
    await assert.rejects(createRuntime({ credentials: { access_token: 'test-token-x' }, baseUrl: 'localhost:4010' }), /not an http\(s\) URL/);
    // Values that would fail every call, or could not be kept out of messages, are refused up front, unquoted.
    await assert.rejects(createRuntime({ credentials: { access_token: 'sk-valid-token\r\nX-Evil: 1' } }), (err: unknown) => err instanceof ConfigurationError && /control character/.test(err.message) && !err.message.includes('sk-valid'));
    await assert.rejects(createRuntime({ credentials: { access_token: 'a' } }), (err: unknown) => err instanceof ConfigurationError && /1 character long; a secret shorter than 8/.test(err.message));
    await assert.rejects(createRuntime({ credentials: { access_token: 'k'.repeat(10_000) } }), /more than the 8192 a credential may have/);
  });

  it('transport failures become typed errors', async () => {
    let onRequest = () => {};
    const hang = await startServer(() => {
      onRequest();
      /* never answers */
    });
    const rt = await createRuntime({ baseUrl: hang.url, credentials: { access_token: SECRET }, timeoutMs: 150, retry: { baseDelayMs: 1 } });
    try {
      await assert.rejects(rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => err instanceof TimeoutError && /150 ms/.test(err.message) && err.attempts === 5);
      // Aborted once the request is in, well before its timeout.
      const controller = new AbortController();
      onRequest = () => controller.abort();
      await assert.rejects(rt.execute({ entity: 'tags', action: 'list', signal: controller.signal, timeoutMs: 5000 }), (err: unknown) => {
        assert.ok(err instanceof AbortedError, 'expected err instanceof AbortedError');
        assertNoSecret(err, SECRET);
        return true;
      });
    } finally {
      await rt.close();
      await hang.close();
    }
    const refused = await createRuntime({ baseUrl: 'http://127.0.0.1:9', credentials: { access_token: SECRET }, retry: { baseDelayMs: 1 } });
    try {
      await assert.rejects(refused.execute({ entity: 'tags', action: 'list' }), (err: unknown) => err instanceof NetworkError && /ECONNREFUSED/.test(err.message));
    } finally {
      await refused.close();
    }
  });

  it('a 2xx answer the manifest cannot read becomes a ResponseError', async () => {
    const odd = await startServer((_req, res, url) => {
      if (url.pathname === '/tags') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"list","data":[{"id"');
      sendJson(res, 200, { type: 'team.list', squads: [] });
    });
    const rt = await createRuntime({ baseUrl: odd.url, credentials: { access_token: 'test-token-x' }, retry: { baseDelayMs: 1 } });
    try {
      await assert.rejects(rt.execute({ entity: 'tags', action: 'list' }), (err: unknown) => err instanceof ResponseError && /not JSON/.test(err.message));
      await assert.rejects(rt.execute({ entity: 'teams', action: 'list' }), (err: unknown) => err instanceof ResponseError && /records array at "teams"/.test(err.message));
    } finally {
      await rt.close();
      await odd.close();
    }
  });

  it('sends the manifest headers, a pinned API version the caller can override, and the bearer token', async () => {
    const echo = await startServer((_req, res) => sendJson(res, 200, { type: 'list', data: [] }));
    const pinned = await createRuntime({ baseUrl: echo.url, credentials: { access_token: 'abc-token-123' } });
    const overridden = await createRuntime({ baseUrl: echo.url, credentials: { access_token: 'abc-token-123' }, apiVersion: '2.11' });
    try {
      await pinned.execute({ entity: 'tags', action: 'list' });
      await overridden.execute({ entity: 'tags', action: 'list' });
      const [a, b] = echo.requests;
      assert.equal(a!.headers.accept, 'application/json');
      assert.equal(a!.headers['intercom-version'], '2.16');
      assert.equal(a!.headers.authorization, 'Bearer abc-token-123');
      assert.equal(b!.headers['intercom-version'], '2.11');
    } finally {
      await pinned.close();
      await overridden.close();
      await echo.close();
    }
  });
});
