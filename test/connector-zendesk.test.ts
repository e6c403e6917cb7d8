// connectors/zendesk.yaml against an imitation of Zendesk Support (test/imitations/zendesk.ts): a
// host per account ({subdomain}), an API token over Basic ("{email}/token") or an OAuth token,
// page[size]/page[after] with meta.has_more as the stop signal, records wrapped as { ticket },
// errors as a string or an object, rate-limit resets in seconds from now.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError, ConfigurationError, createRuntime, NotFoundError, type Runtime } from '../src/index.js';
import { startZendesk, type ZendeskImitation } from './imitations/zendesk.js';

const MANIFEST = fileURLToPath(new URL('../connectors/zendesk.yaml', import.meta.url));

describe('connectors/zendesk.yaml', () => {
  let zd: ZendeskImitation;
  let runtime: Runtime;
  const sent = () => zd.requests.length;
  const apiToken = () => ({ email: zd.email, api_token: zd.apiToken });

  before(async () => {
    zd = await startZendesk({ tickets: 173, users: 61, seed: 4 });
    runtime = await createRuntime({ manifest: MANIFEST, baseUrl: `${zd.url}/api/v2`, credentials: apiToken() });
  });
  after(async () => {
    await runtime?.close();
    await zd.close();
  });

  it('pages every ticket exactly once with page[size]/page[after], and stops when meta.has_more is false', async () => {
    const before = sent();
    const ids: number[] = [];
    for await (const t of runtime.paginate({ entity: 'tickets', action: 'list', params: { page_size: 50 } })) ids.push(t.id as number);
    assert.deepEqual(ids, zd.tickets.map((t) => t.id));
    const requests = zd.requests.slice(before);
    assert.equal(requests.length, 4, 'the last page carries an after_cursor too, but has_more says it is the last');
    assert.equal(requests[0]!.headers.authorization, zd.basicAuth, 'Basic {email}/token:{api_token}');
    const second = new URL(requests[1]!.url, 'http://x').searchParams;
    assert.equal(second.get('page[size]'), '50');
    assert.ok(second.get('page[after]'));
  });

  it('the OAuth method serves when only an access token is given', async () => {
    const oauth = await createRuntime({ manifest: MANIFEST, baseUrl: `${zd.url}/api/v2`, credentials: { access_token: zd.oauthToken } });
    try {
      const ids: number[] = [];
      for await (const u of oauth.paginate({ entity: 'users', action: 'list', params: { page_size: 25 } })) ids.push(u.id as number);
      assert.deepEqual(ids, zd.users.map((u) => u.id));
      assert.equal(zd.requests.at(-1)!.headers.authorization, zd.bearerAuth);
    } finally {
      await oauth.close();
    }
  });

  it('unwraps single records ({ "ticket": {...} })', async () => {
    const t = zd.tickets[9]!;
    const { data } = await runtime.execute({ entity: 'tickets', action: 'get', params: { id: t.id } });
    assert.equal((data as { id: number }).id, t.id);
    assert.equal((data as { subject: string }).subject, t.subject);
    const u = zd.users[3]!;
    assert.equal(((await runtime.execute({ entity: 'users', action: 'get', params: { id: u.id } })).data as { email: string }).email, u.email);
  });

  it('reads error bodies with a string error and a description, and the X-Request-Id header', async () => {
    await assert.rejects(runtime.execute({ entity: 'tickets', action: 'get', params: { id: 999999999 } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.deepEqual(err.details, [{ message: 'RecordNotFound' }, { message: 'Not found' }]);
      assert.match(err.requestId ?? '', /^[0-9a-f-]{36}$/);
      return true;
    });
    const wrong = await createRuntime({ manifest: MANIFEST, baseUrl: `${zd.url}/api/v2`, credentials: { email: zd.email, api_token: 'not-the-token-0000' } });
    try {
      await assert.rejects(wrong.execute({ entity: 'tickets', action: 'list' }), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError);
        assert.deepEqual(err.details, [{ message: "Couldn't authenticate you" }]);
        assert.match(err.message, /the email and api_token credentials/);
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  it('waits out a 429 for its Retry-After and goes on', async () => {
    zd.rateLimitNext(1, { retryAfter: 0 });
    const before = sent();
    const { data } = await runtime.execute({ entity: 'users', action: 'list', params: { page_size: 5 } });
    assert.equal((data as unknown[]).length, 5);
    assert.equal(sent() - before, 2);
  });

  it('builds the host from the subdomain, refuses one that would change the host, and names what is missing', async () => {
    const acme = await createRuntime({ manifest: MANIFEST, config: { subdomain: 'acme' }, credentials: apiToken() });
    assert.equal(JSON.parse(JSON.stringify(acme)).baseUrl, 'https://acme.zendesk.com/api/v2');
    await acme.close();
    for (const bad of ['evil.com/x', 'acme.evil.com', 'acme@evil.com', 'acme:444', '']) {
      await assert.rejects(createRuntime({ manifest: MANIFEST, config: { subdomain: bad }, credentials: apiToken() }), ConfigurationError, JSON.stringify(bad));
    }
    await assert.rejects(createRuntime({ manifest: MANIFEST, credentials: apiToken() }), (err: unknown) => err instanceof ConfigurationError && /subdomain.*ZENDESK_SUBDOMAIN/.test(err.message));
    await assert.rejects(createRuntime({ manifest: MANIFEST, config: { subdomain: 'acme' }, credentials: { email: zd.email } }), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError);
      assert.match(err.message, /api_token.*\(api_token\), or access_token \(oauth\)/);
      return true;
    });
  });
});
