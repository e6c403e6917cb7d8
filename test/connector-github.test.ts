// connectors/github.yaml against an imitation of GitHub's REST API (test/imitations/github.ts):
// bare-array lists paged by the Link header, errors with a top-level message, request ids in a
// header, and a 403 that is a rate limit only when x-ratelimit-remaining is 0.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError, createRuntime, NotFoundError, PermissionError, RateLimitError, type Runtime } from '../src/index.js';
import { startGitHub, type GitHubImitation } from './imitations/github.js';

const MANIFEST = fileURLToPath(new URL('../connectors/github.yaml', import.meta.url));
const TOKEN = 'ghp_connectorTest0000000000000000000000';

describe('connectors/github.yaml', () => {
  let gh: GitHubImitation;
  let runtime: Runtime;
  const repo = () => ({ owner: gh.owner, repo: gh.repo });
  const sent = () => gh.requests.length;

  before(async () => {
    gh = await startGitHub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: 197, pulls: 40, seed: 3 });
    runtime = await createRuntime({ manifest: MANIFEST, baseUrl: gh.url, credentials: { token: TOKEN } });
  });
  after(async () => {
    await runtime?.close();
    await gh.close();
  });

  it('pages through every issue exactly once by the Link header, with the token, accept and API version headers', async () => {
    const expected = gh.expectedIssues({ state: 'all' }).map((i) => i.id);
    assert.equal(expected.length, 237, 'issues and pull requests alike');
    const before = sent();
    const ids: number[] = [];
    for await (const issue of runtime.paginate({ entity: 'issues', action: 'list', params: { ...repo(), state: 'all', per_page: 50 } })) ids.push(issue.id as number);
    assert.deepEqual(ids, expected);
    const requests = gh.requests.slice(before);
    assert.equal(requests.length, 5, '237 records at 50 a page');
    assert.equal(requests[0]!.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(requests[0]!.headers.accept, 'application/vnd.github+json');
    assert.equal(requests[0]!.headers['x-github-api-version'], '2022-11-28');
    // The next pages are GitHub's own URLs (here /repositories/<id>/issues?...&page=n).
    assert.match(requests[1]!.url, /[?&]page=2\b/);
  });

  it('hands out next_page tokens a caller can follow by hand, and a pull request list', async () => {
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const params: Record<string, unknown> = { ...repo(), per_page: 7 };
      if (cursor) params.cursor = cursor;
      const { data, meta } = await runtime.execute({ entity: 'pulls', action: 'list', params });
      ids.push(...(data as { id: number }[]).map((p) => p.id));
      cursor = meta!.next_page;
    } while (cursor !== null);
    assert.deepEqual(ids, gh.expectedPulls().map((p) => p.id));
  });

  it('gets one issue and one pull request by number', async () => {
    const issue = gh.data.issues[4]!;
    const { data } = await runtime.execute({ entity: 'issues', action: 'get', params: { ...repo(), number: issue.number } });
    assert.equal((data as { id: number }).id, issue.id);
    assert.equal((data as { title: string }).title, issue.title);
    const pull = gh.data.pulls[2]!;
    const got = await runtime.execute({ entity: 'pulls', action: 'get', params: { ...repo(), number: pull.number } });
    assert.equal((got.data as { id: number }).id, pull.id);
  });

  it('reads the message and request id of an error body: 404', async () => {
    await assert.rejects(runtime.execute({ entity: 'issues', action: 'get', params: { ...repo(), number: 99999 } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.deepEqual(err.details, [{ message: 'Not Found' }]);
      assert.match(err.requestId ?? '', /^[0-9A-F]{4}:/, 'from the X-GitHub-Request-Id header');
      assert.match(err.message, /number 99999/);
      return true;
    });
  });

  it('a wrong token is an AuthenticationError with GitHub\'s words, and the token appears nowhere', async () => {
    const wrong = 'ghp_wrongWrongWrongWrongWrongWrong00000';
    const other = await createRuntime({ manifest: MANIFEST, baseUrl: gh.url, credentials: { token: wrong } });
    try {
      await assert.rejects(other.execute({ entity: 'issues', action: 'list', params: repo() }), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError);
        assert.deepEqual(err.details, [{ message: 'Bad credentials' }]);
        assert.match(err.message, /the token credential/);
        assert.ok(!JSON.stringify({ ...err, message: err.message }).includes(wrong));
        return true;
      });
    } finally {
      await other.close();
    }
  });

  it('a plain 403 is a PermissionError, sent once', async () => {
    gh.forbidNext(1);
    const before = sent();
    await assert.rejects(runtime.execute({ entity: 'issues', action: 'list', params: repo() }), (err: unknown) => {
      assert.ok(err instanceof PermissionError);
      assert.deepEqual(err.details, [{ message: 'Resource not accessible by integration' }]);
      return true;
    });
    assert.equal(sent() - before, 1, 'a permission error is not retried');
  });

  it('a secondary rate limit (403 with retry-after) is waited out and retried', async () => {
    gh.rateLimitNext(1, 'secondary', { retryAfter: 0 });
    const before = sent();
    const { data } = await runtime.execute({ entity: 'issues', action: 'list', params: { ...repo(), per_page: 3 } });
    assert.equal((data as unknown[]).length, 3);
    assert.equal(sent() - before, 2);
  });

  it('a primary rate limit (403, x-ratelimit-remaining: 0) is a RateLimitError with its reset, not retried in vain', async () => {
    const limited = await createRuntime({ manifest: MANIFEST, baseUrl: gh.url, credentials: { token: TOKEN } });
    try {
      gh.rateLimitNext(1, 'primary');
      const before = sent();
      await assert.rejects(limited.execute({ entity: 'issues', action: 'list', params: repo() }), (err: unknown) => {
        assert.ok(err instanceof RateLimitError);
        assert.equal(err.status, 403);
        assert.ok(err.resetAt && err.resetAt.getTime() > Date.now(), 'the reset comes from x-ratelimit-reset');
        assert.match(err.details[0]!.message!, /API rate limit exceeded/);
        return true;
      });
      assert.equal(sent() - before, 1, 'the window reopens later than the call may wait: no retry');
      // The runtime remembers the spent window: the next call does not go out at all.
      await assert.rejects(limited.execute({ entity: 'issues', action: 'list', params: repo() }), RateLimitError);
      assert.equal(sent() - before, 1);
    } finally {
      await limited.close();
    }
  });
});
