// Tests of the GitHub and Stripe imitations themselves, with plain fetch: they must behave as the
// vendors document before the engine's tests can lean on them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { githubLink, startGitHub, type GitHubImitation, type GitHubIssue } from './imitations/github.js';
import { maskStripeKey, NO_API_KEY_MESSAGE, startStripe, type StripeImitation } from './imitations/stripe.js';

const FIXED_NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

interface Got {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(url: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text === '' ? undefined : JSON.parse(text) };
}

/** Parses a Link header into { rel: url }. */
function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (m) out[m[2]!] = m[1]!;
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// GitHub
// -----------------------------------------------------------------------------------------------

describe('GitHub imitation', () => {
  const TOKEN = 'ghp_imitationToken000000000000000000000';
  let gh: GitHubImitation;
  const auth = { authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json' };
  const api = (path: string): string => `${gh.url}${path}`;
  const repoPath = (rest = ''): string => `/repos/${gh.owner}/${gh.repo}${rest}`;

  before(async () => {
    gh = await startGitHub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: 237, pulls: 40, seed: 7, clock: () => FIXED_NOW });
  });
  after(() => gh.close());

  it('rejects a wrong token with 401 Bad credentials, counted against the anonymous limit', async () => {
    const r = await call(api(repoPath('/issues')), { authorization: 'Bearer nope' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.match(r.headers.get('x-github-request-id') ?? '', /^[0-9A-F]{4}:[0-9A-F]{5}:[0-9A-F]{7}:[0-9A-F]{7}:[0-9A-F]{8}$/);
    assert.equal(r.headers.get('x-ratelimit-limit'), '60');
    assert.equal(r.headers.get('x-ratelimit-resource'), 'core');
    const t = await call(api(repoPath('/issues')), { authorization: 'token nope' });
    assert.equal(t.status, 401);
  });

  it('accepts the token as "Bearer" and as "token", case-insensitively', async () => {
    for (const scheme of ['Bearer', 'bearer', 'token', 'Token']) {
      const r = await call(api(repoPath('/issues/1')), { authorization: `${scheme} ${TOKEN}` });
      assert.equal(r.status, 200, scheme);
    }
  });

  it('without a token, a private repository is a 404 (the default); other anonymous modes on request', async () => {
    const r = await call(api(repoPath('/issues')));
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/issues/issues#list-repository-issues', status: '404' });

    const strict = await startGitHub({ token: TOKEN, issues: 3, pulls: 0, anonymous: 'unauthorized' });
    const s = await call(`${strict.url}/repos/${strict.owner}/${strict.repo}/issues`);
    assert.equal(s.status, 401);
    assert.deepEqual(s.json, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' });
    await strict.close();

    const open = await startGitHub({ token: TOKEN, issues: 3, pulls: 0, anonymous: 'public' });
    const o = await call(`${open.url}/repos/${open.owner}/${open.repo}/issues`);
    assert.equal(o.status, 200);
    assert.equal(o.headers.get('x-ratelimit-limit'), '60');
    assert.equal(o.headers.get('x-ratelimit-remaining'), '59');
    await open.close();
  });

  it('sends a unique request id and the rate-limit headers on every response', async () => {
    const start = gh.rateLimits.token.core.used;
    const ids = new Set<string>();
    const paths = [repoPath('/issues'), repoPath('/issues/999999'), '/nope', repoPath('/pulls')];
    for (const [n, p] of paths.entries()) {
      const r = await call(api(p), auth);
      ids.add(r.headers.get('x-github-request-id') ?? '');
      assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(r.headers.get('x-ratelimit-limit'), '5000');
      assert.equal(r.headers.get('x-ratelimit-used'), String(start + n + 1));
      assert.equal(r.headers.get('x-ratelimit-remaining'), String(5000 - start - n - 1));
      assert.equal(r.headers.get('x-ratelimit-reset'), String(FIXED_NOW / 1000 + 3600));
      assert.equal(r.headers.get('x-ratelimit-resource'), 'core');
      assert.equal(r.headers.get('x-github-api-version-selected'), '2022-11-28');
    }
    assert.equal(ids.size, paths.length);
  });

  it('lists open issues by default, 30 a page, newest first, pull requests included', async () => {
    const r = await call(api(repoPath('/issues')), auth);
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.json));
    const expected = gh.expectedIssues();
    assert.ok(expected.every((i) => i.state === 'open'));
    assert.deepEqual(r.json, expected.slice(0, 30));
    const l = links(r.headers.get('link'));
    assert.deepEqual(Object.keys(l).sort(), ['last', 'next']);
    const repoId = gh.data.repository.id;
    assert.equal(l.next, `${gh.url}/repositories/${repoId}/issues?page=2`);
    assert.equal(l.last, `${gh.url}/repositories/${repoId}/issues?page=${Math.ceil(expected.length / 30)}`);
  });

  it('pages through every issue and pull request exactly once by following Link rel="next"', async () => {
    const all = gh.data.issueItems;
    assert.equal(all.length, 237 + 40);
    const seen: GitHubIssue[] = [];
    let next: string | undefined = api(repoPath('/issues?state=all&per_page=100'));
    let page = 0;
    const lastPage = Math.ceil(all.length / 100);
    while (next) {
      page += 1;
      const r = await call(next, auth);
      assert.equal(r.status, 200);
      seen.push(...(r.json as GitHubIssue[]));
      const l = links(r.headers.get('link'));
      // relations as GitHub sends them: no prev/first on the first page, no next/last on the last
      assert.equal('prev' in l, page > 1);
      assert.equal('first' in l, page > 1);
      assert.equal('next' in l, page < lastPage);
      assert.equal('last' in l, page < lastPage);
      for (const u of Object.values(l)) assert.ok(u.startsWith(`${gh.url}/repositories/${gh.data.repository.id}/issues?state=all&per_page=100&page=`), u);
      next = l.next;
    }
    assert.equal(page, lastPage);
    assert.equal(seen.length, all.length);
    assert.deepEqual(new Set(seen.map((i) => i.number)).size, all.length);
    assert.deepEqual(seen, gh.expectedIssues({ state: 'all' }));
    assert.deepEqual([...seen].sort((a, b) => a.number - b.number), all);
    assert.equal(seen.filter((i) => 'pull_request' in i).length, 40);
    assert.equal(seen.filter((i) => !('pull_request' in i)).length, 237);
    // newest first
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]!.created_at > seen[i]!.created_at);
  });

  it('honours sort, direction, since and labels, and caps per_page at 100', async () => {
    const big = await call(api(repoPath('/issues?state=all&per_page=1000')), auth);
    assert.equal(big.json.length, 100);

    const asc = await call(api(repoPath('/issues?state=closed&sort=updated&direction=asc&per_page=100')), auth);
    const ascItems: GitHubIssue[] = asc.json;
    for (let i = 1; i < ascItems.length; i++) assert.ok(ascItems[i - 1]!.updated_at < ascItems[i]!.updated_at);
    assert.deepEqual(asc.json, gh.expectedIssues({ state: 'closed', sort: 'updated', direction: 'asc' }).slice(0, 100));

    const since = gh.data.issueItems[100]!.updated_at;
    const s = await call(api(repoPath(`/issues?state=all&since=${since}&per_page=100`)), auth);
    const expectedSince = gh.expectedIssues({ state: 'all', since });
    assert.ok(expectedSince.length > 0 && expectedSince.every((i) => i.updated_at >= since));
    assert.deepEqual(s.json, expectedSince.slice(0, 100));

    const bug = await call(api(repoPath('/issues?state=all&labels=bug&per_page=100')), auth);
    assert.ok(bug.json.length > 0);
    assert.ok((bug.json as GitHubIssue[]).every((i) => i.labels.some((l) => l.name === 'bug')));

    const bad = await call(api(repoPath('/issues?state=bogus')), auth);
    assert.equal(bad.status, 422);
    assert.equal(bad.json.message, 'Validation Failed');
  });

  it('answers a page past the end with an empty array and prev/first links only', async () => {
    const r = await call(api(repoPath('/issues?state=all&per_page=100&page=9')), auth);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, []);
    assert.deepEqual(Object.keys(links(r.headers.get('link'))).sort(), ['first', 'prev']);
  });

  it('sends no Link header when everything fits on one page', async () => {
    const r = await call(api(repoPath('/issues?state=all&per_page=100&labels=priority:%20high,bug,wontfix,question')), auth);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('link'), null);
    assert.equal(githubLink('http://x', '/p', new URLSearchParams(), 1, 1), undefined);
  });

  it('lists pull requests (list shape) through Link, all states', async () => {
    const seen: Record<string, unknown>[] = [];
    let next: string | undefined = api(repoPath('/pulls?state=all&per_page=7'));
    let requests = 0;
    while (next) {
      const r = await call(next, auth);
      assert.equal(r.status, 200);
      seen.push(...r.json);
      next = links(r.headers.get('link')).next;
      requests++;
    }
    assert.equal(requests, Math.ceil(40 / 7));
    assert.deepEqual(seen, gh.expectedPulls({ state: 'all' }));
    assert.equal(seen.length, 40);
    assert.ok(seen.every((p) => !('merged' in p) && 'head' in p && 'base' in p));
    const open = await call(api(repoPath('/pulls')), auth);
    assert.deepEqual(open.json, gh.expectedPulls().slice(0, 30));
  });

  it('gets one issue, one pull request (detail shape), and 404s as GitHub does', async () => {
    const issue = gh.data.issues[0]!;
    const r = await call(api(repoPath(`/issues/${issue.number}`)), auth);
    assert.equal(r.status, 200);
    assert.ok('closed_by' in r.json);
    assert.deepEqual(r.json, gh.data.issueDetail(issue.number));
    assert.equal(r.headers.get('link'), null);

    const pull = gh.data.pulls[0]!;
    const asIssue = await call(api(repoPath(`/issues/${pull.number}`)), auth);
    assert.equal(asIssue.status, 200);
    assert.equal(asIssue.json.pull_request.url, `${gh.url}${repoPath(`/pulls/${pull.number}`)}`);
    const p = await call(api(repoPath(`/pulls/${pull.number}`)), auth);
    assert.equal(p.status, 200);
    for (const k of ['merged', 'mergeable', 'commits', 'additions', 'deletions', 'changed_files']) assert.ok(k in p.json, k);
    assert.deepEqual(p.json, gh.data.pullDetail(pull.number));

    const byId = await call(api(`/repositories/${gh.data.repository.id}/issues/${issue.number}`), auth);
    assert.deepEqual(byId.json, r.json);
    const caseInsensitive = await call(api(`/repos/ACME/Widgets/issues/${issue.number}`), auth);
    assert.equal(caseInsensitive.status, 200);

    const missing = await call(api(repoPath('/issues/100000')), auth);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/issues/issues#get-an-issue', status: '404' });
    const issueAsPull = await call(api(repoPath(`/pulls/${issue.number}`)), auth);
    assert.equal(issueAsPull.status, 404);
    assert.equal(issueAsPull.json.documentation_url, 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request');
    const otherRepo = await call(api('/repos/acme/other/issues'), auth);
    assert.equal(otherRepo.status, 404);
    assert.equal(otherRepo.json.message, 'Not Found');
    const unknown = await call(api('/definitely/not/a/route'), auth);
    assert.deepEqual(unknown.json, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
  });

  it('searches issues: total_count, incomplete_results, items with score, Link paging, search rate limit', async () => {
    const q = `repo:${gh.owner}/${gh.repo} is:issue state:open`;
    const expected = gh.expectedSearch(q);
    assert.ok(expected.length > 30);
    assert.ok(expected.every((i) => i.state === 'open' && !('pull_request' in i)));
    const seen: GitHubIssue[] = [];
    let next: string | undefined = `${gh.url}/search/issues?${new URLSearchParams({ q, per_page: '25' })}`;
    while (next) {
      const r = await call(next, auth);
      assert.equal(r.status, 200);
      assert.equal(r.json.total_count, expected.length);
      assert.equal(r.json.incomplete_results, false);
      assert.equal(r.headers.get('x-ratelimit-resource'), 'search');
      assert.equal(r.headers.get('x-ratelimit-limit'), '30');
      for (const item of r.json.items) assert.equal(item.score, 1);
      seen.push(...r.json.items.map(({ score: _score, ...rest }: { score: number }) => rest));
      next = links(r.headers.get('link')).next;
    }
    assert.deepEqual(seen, expected);

    const prs = await call(`${gh.url}/search/issues?${new URLSearchParams({ q: `repo:${gh.owner}/${gh.repo} is:pr`, per_page: '100' })}`, auth);
    assert.equal(prs.json.total_count, 40);
    const none = await call(`${gh.url}/search/issues`, auth);
    assert.equal(none.status, 422);
    const elsewhere = await call(`${gh.url}/search/issues?q=${encodeURIComponent('repo:someone/else')}`, auth);
    assert.equal(elsewhere.status, 422);
    assert.match(elsewhere.json.errors[0].message, /cannot be searched/);
  });

  it('search serves at most 1000 results, while total_count tells the truth', async () => {
    const big = await startGitHub({ token: TOKEN, issues: 1100, pulls: 0, clock: () => FIXED_NOW });
    const q = encodeURIComponent(`repo:${big.owner}/${big.repo} is:issue`);
    const first = await call(`${big.url}/search/issues?q=${q}&per_page=100`, { authorization: `token ${TOKEN}` });
    assert.equal(first.json.total_count, 1100);
    assert.match(links(first.headers.get('link')).last ?? '', /[?&]page=10$/);
    const tenth = await call(`${big.url}/search/issues?q=${q}&per_page=100&page=10`, { authorization: `token ${TOKEN}` });
    assert.equal(tenth.json.items.length, 100);
    assert.equal(links(tenth.headers.get('link')).next, undefined);
    const past = await call(`${big.url}/search/issues?q=${q}&per_page=100&page=11`, { authorization: `token ${TOKEN}` });
    assert.equal(past.status, 422);
    assert.equal(past.json.message, 'Only the first 1000 search results are available');
    await big.close();
  });

  it('primary rate limit knob: 403 with x-ratelimit-remaining 0, then back to normal', async () => {
    gh.rateLimitNext(2);
    for (let i = 0; i < 2; i++) {
      const r = await call(api(repoPath('/issues')), auth);
      assert.equal(r.status, 403);
      assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
      assert.equal(r.headers.get('x-ratelimit-used'), '5000');
      assert.equal(r.headers.get('x-ratelimit-reset'), String(gh.rateLimits.token.core.reset));
      assert.match(r.json.message, /^API rate limit exceeded for user ID \d+\./);
      assert.match(r.json.message, new RegExp(`request ID ${r.headers.get('x-github-request-id')}`));
      assert.equal(r.json.documentation_url, 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api');
      assert.equal(r.headers.get('retry-after'), null);
    }
    assert.equal((await call(api(repoPath('/issues')), auth)).status, 200);
    gh.rateLimitNext(1, 'primary', { status: 429 });
    assert.equal((await call(api(repoPath('/issues')), auth)).status, 429);
  });

  it('secondary rate limit knob: 403 (or 429) with retry-after and remaining > 0', async () => {
    gh.rateLimitNext(1, 'secondary');
    const r = await call(api(repoPath('/issues')), auth);
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('retry-after'), '60');
    assert.notEqual(r.headers.get('x-ratelimit-remaining'), '0');
    assert.match(r.json.message, /^You have exceeded a secondary rate limit/);
    gh.rateLimitNext(1, 'secondary', { status: 429, retryAfter: 7 });
    const s = await call(api(repoPath('/issues')), auth);
    assert.equal(s.status, 429);
    assert.equal(s.headers.get('retry-after'), '7');
    gh.rateLimitNext(1, 'secondary', { retryAfter: null });
    const t = await call(api(repoPath('/issues')), auth);
    assert.equal(t.status, 403);
    assert.equal(t.headers.get('retry-after'), null);
    assert.equal((await call(api(repoPath('/issues')), auth)).status, 200);
  });

  it('permission knob: 403 "Resource not accessible by integration" with remaining > 0', async () => {
    gh.forbidNext();
    const r = await call(api(repoPath('/issues')), auth);
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
      status: '403',
    });
    assert.ok(Number(r.headers.get('x-ratelimit-remaining')) > 0);
    assert.equal(r.headers.get('x-accepted-github-permissions'), 'issues=read');
    assert.equal((await call(api(repoPath('/issues')), auth)).status, 200);
  });

  it('runs out of its primary limit for real, and resets when the clock passes x-ratelimit-reset', async () => {
    let now = FIXED_NOW;
    const small = await startGitHub({ token: TOKEN, issues: 5, pulls: 1, rateLimit: 3, clock: () => now });
    const u = `${small.url}/repos/${small.owner}/${small.repo}/issues`;
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(u, auth);
      assert.equal(r.status, 200);
      remaining.push(r.headers.get('x-ratelimit-remaining') ?? '');
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    const limited = await call(u, auth);
    assert.equal(limited.status, 403);
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    assert.match(limited.json.message, /API rate limit exceeded/);
    const rl = await call(`${small.url}/rate_limit`, auth);
    assert.equal(rl.status, 200, '/rate_limit is not limited');
    assert.deepEqual(rl.json.resources.core, { limit: 3, used: 3, remaining: 0, reset: FIXED_NOW / 1000 + 3600 });
    now = Number(limited.headers.get('x-ratelimit-reset')) * 1000;
    const after = await call(u, auth);
    assert.equal(after.status, 200);
    assert.equal(after.headers.get('x-ratelimit-remaining'), '2');
    assert.equal(after.headers.get('x-ratelimit-reset'), String(now / 1000 + 3600));
    await small.close();
  });

  it('injected one-shot faults still carry the request id and rate-limit headers', async () => {
    gh.failNext({ status: 502, body: { message: 'Server Error' } });
    const r = await call(api(repoPath('/issues')), auth);
    assert.equal(r.status, 502);
    assert.deepEqual(r.json, { message: 'Server Error' });
    assert.ok(r.headers.get('x-github-request-id'));
    assert.ok(r.headers.get('x-ratelimit-remaining'));
    assert.equal((await call(api(repoPath('/issues')), auth)).status, 200);
  });

  it('answers a matching If-None-Match with 304, which does not count against the limit', async () => {
    const first = await call(api(repoPath('/issues?state=all')), auth);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^W\/"[0-9a-f]+"$/);
    const used = Number(first.headers.get('x-ratelimit-used'));
    const again = await call(api(repoPath('/issues?state=all')), { ...auth, 'if-none-match': etag! });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(Number(again.headers.get('x-ratelimit-used')), used);
  });

  it('rejects an unsupported X-GitHub-Api-Version with 400', async () => {
    const r = await call(api(repoPath('/issues')), { ...auth, 'x-github-api-version': '1999-01-01' });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, 'API version 1999-01-01 is not supported.');
    const ok = await call(api(repoPath('/issues')), { ...auth, 'x-github-api-version': '2022-11-28' });
    assert.equal(ok.status, 200);
  });

  it('records method, path+query, headers and raw body text of every request', async () => {
    const before = gh.requests.length;
    await call(api(repoPath('/issues?x=1')), { ...auth, 'content-type': 'application/json' }, { method: 'POST', body: '{"title":"é"}' });
    const seen = gh.requests[before]!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, `${repoPath('/issues')}?x=1`);
    assert.equal(seen.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(seen.body, '{"title":"é"}');
  });

  it('builds the same data for the same seed', async () => {
    const again = await startGitHub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: 237, pulls: 40, seed: 7 });
    const strip = (i: GitHubIssue) => JSON.stringify(i).split(again.url).join('').split(gh.url).join('');
    assert.deepEqual(again.data.issueItems.map(strip), gh.data.issueItems.map(strip));
    await again.close();
  });
});

// -----------------------------------------------------------------------------------------------
// Stripe
// -----------------------------------------------------------------------------------------------

describe('Stripe imitation', () => {
  const KEY = 'sk_test_51ImitationKeyAbCdEf0123456789';
  let st: StripeImitation;
  const basic = { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` };
  const bearer = { authorization: `Bearer ${KEY}` };
  const v1 = (path: string): string => `${st.url}/v1${path}`;

  before(async () => {
    st = await startStripe({ secretKey: KEY, customers: 237, charges: 180, seed: 3, clock: () => FIXED_NOW });
  });
  after(() => st.close());

  it('without a key: 401 and Stripe\'s message', async () => {
    const r = await call(v1('/customers'));
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { error: { message: NO_API_KEY_MESSAGE, type: 'invalid_request_error' } });
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="Stripe"');
    assert.match(r.headers.get('request-id') ?? '', /^req_[A-Za-z0-9]{14}$/);
    const empty = await call(v1('/customers'), { authorization: 'Bearer ' });
    assert.equal(empty.status, 401);
    assert.equal(empty.json.error.message, NO_API_KEY_MESSAGE);
  });

  it('with a wrong key: 401 echoing the masked key as Stripe does', async () => {
    const wrong = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';
    const r = await call(v1('/customers'), { authorization: `Bearer ${wrong}` });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { error: { message: 'Invalid API Key provided: sk_test_********************p7dc', type: 'invalid_request_error' } });
    assert.equal(maskStripeKey(wrong).length, wrong.length);
    assert.equal(maskStripeKey('undefined'), '*****ined');
    assert.equal(maskStripeKey('sk_live_abcdefgh'), 'sk_live_****efgh');
    const viaBasic = await call(v1('/customers'), { authorization: `Basic ${Buffer.from('rk_live_zzzzzzzzzz1234:').toString('base64')}` });
    assert.equal(viaBasic.json.error.message, 'Invalid API Key provided: rk_live_**********1234');
  });

  it('accepts the key by HTTP Basic (key as user name, empty password) and as Bearer', async () => {
    assert.equal((await call(v1('/customers'), basic)).status, 200);
    assert.equal((await call(v1('/customers'), bearer)).status, 200);
    const noColon = await call(v1('/customers'), { authorization: `Basic ${Buffer.from(KEY).toString('base64')}` });
    assert.equal(noColon.status, 200);
  });

  it('sends a unique Request-Id and the Stripe-Version on every response', async () => {
    const ids = new Set<string>();
    for (const p of ['/customers', '/customers/cus_missing', '/nope']) {
      const r = await call(v1(p), bearer);
      assert.match(r.headers.get('request-id') ?? '', /^req_[A-Za-z0-9]{14}$/);
      ids.add(r.headers.get('request-id') ?? '');
      assert.equal(r.headers.get('stripe-version'), '2024-06-20');
      assert.equal(r.headers.get('content-type'), 'application/json');
    }
    assert.equal(ids.size, 3);
    const pinned = await call(v1('/customers'), { ...bearer, 'stripe-version': '2023-10-16' });
    assert.equal(pinned.headers.get('stripe-version'), '2023-10-16');
  });

  it('lists 10 customers by default, newest first, in the list envelope', async () => {
    const r = await call(v1('/customers'), bearer);
    assert.deepEqual(Object.keys(r.json), ['object', 'data', 'has_more', 'url']);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.url, '/v1/customers');
    assert.equal(r.json.has_more, true);
    assert.deepEqual(r.json.data, st.data.customers.slice(0, 10));
  });

  it('pages through every customer exactly once with starting_after / has_more, across created ties', async () => {
    const created = st.data.customers.map((c) => c.created);
    assert.ok(created.some((c, i) => i > 0 && c === created[i - 1]), 'the data has equal created values to page across');
    for (let i = 1; i < created.length; i++) assert.ok(created[i - 1]! >= created[i]!);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const q = new URLSearchParams({ limit: '100', ...(cursor ? { starting_after: cursor } : {}) });
      const r = await call(v1(`/customers?${q}`), basic);
      assert.equal(r.status, 200);
      pages++;
      seen.push(...r.json.data.map((c: { id: string }) => c.id));
      if (!r.json.has_more) break;
      cursor = r.json.data.at(-1).id;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, st.data.customers.map((c) => c.id));
    assert.equal(new Set(seen).size, 237);
  });

  it('pages backwards with ending_before, keeping newest-first order within a page', async () => {
    const all = st.data.customers;
    const last = all.at(-1)!;
    const pages: string[][] = [];
    let cursor = last.id;
    for (;;) {
      const r = await call(v1(`/customers?limit=50&ending_before=${cursor}`), bearer);
      assert.equal(r.status, 200);
      const ids = r.json.data.map((c: { id: string }) => c.id);
      pages.push(ids);
      if (!r.json.has_more) break;
      cursor = ids[0];
    }
    assert.deepEqual(pages.reverse().flat(), all.slice(0, -1).map((c) => c.id));
    const first = await call(v1(`/customers?ending_before=${all[0]!.id}`), bearer);
    assert.deepEqual(first.json.data, []);
    assert.equal(first.json.has_more, false);
  });

  it('rejects limits outside 1..100 and non-integers on param "limit"', async () => {
    const low = await call(v1('/customers?limit=0'), bearer);
    assert.equal(low.status, 400);
    assert.equal(low.json.error.type, 'invalid_request_error');
    assert.equal(low.json.error.param, 'limit');
    assert.equal(low.json.error.code, 'parameter_invalid_integer');
    assert.equal(low.json.error.message, 'This value must be greater than or equal to 1.');
    const high = await call(v1('/customers?limit=101'), bearer);
    assert.equal(high.status, 400);
    assert.equal(high.json.error.message, 'This value must be less than or equal to 100.');
    const junk = await call(v1('/customers?limit=ten'), bearer);
    assert.equal(junk.json.error.message, 'Invalid integer: ten');
    assert.equal((await call(v1('/customers?limit=100'), bearer)).json.data.length, 100);
  });

  it('rejects an unknown starting_after id with 400 resource_missing', async () => {
    const r = await call(v1('/customers?starting_after=cus_x'), bearer);
    assert.equal(r.status, 400);
    const id = r.headers.get('request-id');
    assert.deepEqual(r.json, {
      error: {
        code: 'resource_missing',
        doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
        message: "No such customer: 'cus_x'",
        param: 'starting_after',
        request_log_url: `https://dashboard.stripe.com/test/logs/${id}?t=${FIXED_NOW / 1000}`,
        type: 'invalid_request_error',
      },
    });
    const both = await call(v1(`/customers?starting_after=${st.data.customers[0]!.id}&ending_before=${st.data.customers[5]!.id}`), bearer);
    assert.equal(both.status, 400);
  });

  it('retrieves a customer, and answers a missing one with 404 resource_missing on param "id"', async () => {
    const c = st.data.customers[17]!;
    const r = await call(v1(`/customers/${c.id}`), bearer);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, c);
    assert.match(c.id, /^cus_[A-Za-z0-9]{14}$/);
    for (const k of ['address', 'balance', 'created', 'currency', 'default_source', 'delinquent', 'description', 'email', 'invoice_settings', 'livemode', 'metadata', 'name', 'phone', 'preferred_locales', 'tax_exempt']) {
      assert.ok(k in r.json, k);
    }
    assert.equal(r.json.livemode, false);
    const missing = await call(v1('/customers/cus_nope'), bearer);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'resource_missing');
    assert.equal(missing.json.error.message, "No such customer: 'cus_nope'");
    assert.equal(missing.json.error.param, 'id');
    assert.equal(missing.json.error.type, 'invalid_request_error');
  });

  it('filters customers by email and by created[gte] / created[lt]', async () => {
    const withEmail = st.data.customers.find((c) => c.email !== null)!;
    const r = await call(v1(`/customers?limit=100&email=${encodeURIComponent(withEmail.email!)}`), bearer);
    assert.deepEqual(r.json.data, st.expectedCustomers({ email: withEmail.email! }));
    assert.ok(r.json.data.length >= 1);
    const upper = await call(v1(`/customers?email=${encodeURIComponent(withEmail.email!.toUpperCase())}`), bearer);
    assert.deepEqual(upper.json.data, [], 'the email filter is case-sensitive');

    const pivot = st.data.customers[60]!.created;
    const gte = await call(v1(`/customers?limit=100&created[gte]=${pivot}`), bearer);
    assert.deepEqual(gte.json.data, st.expectedCustomers({ created: { gte: pivot } }));
    assert.ok(gte.json.data.every((c: { created: number }) => c.created >= pivot));
    const lt = await call(v1(`/customers?limit=100&${encodeURIComponent('created[lt]')}=${pivot}`), bearer);
    assert.ok(lt.json.data.every((c: { created: number }) => c.created < pivot));
    const bad = await call(v1('/customers?created[gte]=soon'), bearer);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.param, 'created[gte]');
  });

  it('rejects unknown parameters as Stripe does', async () => {
    const r = await call(v1('/customers?per_page=5'), bearer);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'parameter_unknown');
    assert.equal(r.json.error.message, 'Received unknown parameter: per_page');
    assert.equal(r.json.error.param, 'per_page');
  });

  it('lists charges (same envelope, every one exactly once), filters by customer, expands data.customer', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await call(v1(`/charges?limit=37${cursor ? `&starting_after=${cursor}` : ''}`), bearer);
      assert.equal(r.json.url, '/v1/charges');
      seen.push(...r.json.data.map((c: { id: string }) => c.id));
      if (!r.json.has_more) break;
      cursor = r.json.data.at(-1).id;
    }
    assert.deepEqual(seen, st.data.charges.map((c) => c.id));

    const customer = st.data.charges.find((c) => c.customer !== null)!.customer!;
    const mine = await call(v1(`/charges?limit=100&customer=${customer}`), bearer);
    assert.deepEqual(mine.json.data, st.expectedCharges({ customer }));

    const expanded = await call(v1(`/charges?limit=100&customer=${customer}&expand[]=data.customer`), bearer);
    for (const ch of expanded.json.data) assert.deepEqual(ch.customer, st.data.customers.find((c) => c.id === customer));
    const indexed = await call(v1(`/charges?limit=3&${encodeURIComponent('expand[0]')}=data.customer`), bearer);
    assert.equal(indexed.status, 200);

    const one = st.data.charges[4]!;
    const got = await call(v1(`/charges/${one.id}`), bearer);
    assert.deepEqual(got.json, one);
    if (one.customer !== null) {
      const withCustomer = await call(v1(`/charges/${one.id}?expand[]=customer`), bearer);
      assert.equal(withCustomer.json.customer.object, 'customer');
    }
    const missing = await call(v1('/charges/ch_nope'), bearer);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.message, "No such charge: 'ch_nope'");
    const badExpand = await call(v1('/charges?expand[]=data.nothing'), bearer);
    assert.equal(badExpand.status, 400);
    const wrongCursor = await call(v1(`/charges?starting_after=${st.data.customers[0]!.id}`), bearer);
    assert.equal(wrongCursor.json.error.message, `No such charge: '${st.data.customers[0]!.id}'`);
  });

  it('429 rate_limit knob, then normal again', async () => {
    st.rateLimitNext(2);
    for (let i = 0; i < 2; i++) {
      const r = await call(v1('/customers'), bearer);
      assert.equal(r.status, 429);
      assert.deepEqual(r.json, {
        error: {
          code: 'rate_limit',
          doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
          message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          type: 'invalid_request_error',
        },
      });
      assert.ok(r.headers.get('request-id'));
      assert.equal(r.headers.get('stripe-should-retry'), null);
    }
    assert.equal((await call(v1('/customers'), bearer)).status, 200);
  });

  it('429 lock_timeout knob carries Stripe-Should-Retry: true', async () => {
    st.rateLimitNext(1, { code: 'lock_timeout' });
    const r = await call(v1('/customers'), bearer);
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, 'lock_timeout');
    assert.equal(r.headers.get('stripe-should-retry'), 'true');
    st.rateLimitNext(1, { shouldRetry: false, headers: { 'retry-after': '2' } });
    const s = await call(v1('/customers'), bearer);
    assert.equal(s.headers.get('stripe-should-retry'), 'false');
    assert.equal(s.headers.get('retry-after'), '2');
  });

  it('answers unknown URLs with Stripe\'s 404 invalid_request_error', async () => {
    const r = await call(v1('/widgets'), bearer);
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, {
      error: {
        message: 'Unrecognized request URL (GET: /v1/widgets). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.',
        type: 'invalid_request_error',
      },
    });
  });

  it('one-shot faults get Stripe\'s content type and headers, and record the request', async () => {
    st.failNext({ status: 500, body: { error: { message: 'An unknown error occurred', type: 'api_error' } }, headers: { 'stripe-should-retry': 'true' } });
    const before = st.requests.length;
    const r = await call(v1('/charges?limit=1'), bearer);
    assert.equal(r.status, 500);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('stripe-should-retry'), 'true');
    assert.ok(r.headers.get('request-id'));
    assert.equal(st.requests[before]!.url, '/v1/charges?limit=1');
    assert.equal(st.requests[before]!.method, 'GET');
    assert.equal(st.requests[before]!.body, '');
    assert.equal((await call(v1('/charges?limit=1'), bearer)).status, 200);
  });
});
