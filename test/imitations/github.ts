// An imitation of the GitHub REST API (v3, API version 2022-11-28), served over real HTTP on
// 127.0.0.1, for tests of the connector engine. Written from GitHub's public REST documentation:
// pagination through the `Link` header, the `x-ratelimit-*` headers, primary and secondary rate
// limits, error bodies ({message, documentation_url, status}), issues / pulls / search endpoints.
//
// What it serves (GET only; anything else is a 404 like GitHub's):
//   /repos/{owner}/{repo}                      the repository
//   /repos/{owner}/{repo}/issues               issues AND pull requests (PRs carry `pull_request`)
//   /repos/{owner}/{repo}/issues/{number}      one issue (a PR number gives its issue form)
//   /repos/{owner}/{repo}/pulls                pull requests (list shape)
//   /repos/{owner}/{repo}/pulls/{number}       one pull request (detail shape: + merged, commits, ...)
//   /repositories/{id}/...                     the same four, by repository id: GitHub's own `Link`
//                                              URLs use this form, so following `next` lands here
//   /search/issues?q=...                       see `search` below for the qualifiers understood
//   /rate_limit                                the rate-limit status (does not count against it)
// Owner and repo names match case-insensitively, as on GitHub.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import {
  Countdown,
  pick,
  seededRandom,
  sendRaw,
  startImitation,
  type Fault,
  type ImitationRequest,
  type RecordedRequest,
} from './common.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface GitHubOptions {
  /** The one token accepted, as `Authorization: Bearer <token>` or `Authorization: token <token>`. */
  token: string;
  owner?: string;
  repo?: string;
  /** How many plain issues (not pull requests). Default 45. */
  issues?: number;
  /** How many pull requests. They share the issue number sequence. Default 12. */
  pulls?: number;
  /** Seed of the deterministic data. Default 1. */
  seed?: number;
  /**
   * What a request WITHOUT an Authorization header gets (a wrong token is always 401 Bad credentials):
   * - 'not-found' (default): the repository is private, so GitHub answers 404 Not Found, exactly as for
   *   a repository that does not exist (GitHub does not reveal private repositories);
   * - 'unauthorized': 401 "Requires authentication" (what endpoints such as /user answer);
   * - 'public': the repository is public: served, counted against the 60/hour unauthenticated limit.
   */
  anonymous?: 'not-found' | 'unauthorized' | 'public';
  /** Primary limit for the token, per hour. Default 5000 (a personal access token). */
  rateLimit?: number;
  /** Search limit for the token, per minute. Default 30. */
  searchRateLimit?: number;
  /** Clock in epoch milliseconds (rate-limit windows, reset times). Default `Date.now`. */
  clock?: () => number;
  /**
   * Path style of the URLs in `Link` headers for repository lists. 'repositories' (default) is what
   * GitHub does (`/repositories/1296269/issues?page=2`); 'repos' keeps `/repos/{owner}/{repo}/...`.
   */
  linkStyle?: 'repositories' | 'repos';
  /** Values of `X-GitHub-Api-Version` accepted. Default ['2022-11-28']; others get 400. */
  apiVersions?: string[];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface GitHubUser extends JsonObject {
  login: string;
  id: number;
  node_id: string;
  type: string;
}

/** An object of the issues endpoints (a plain issue, or a pull request in its issue form). */
export interface GitHubIssue extends JsonObject {
  id: number;
  node_id: string;
  number: number;
  title: string;
  state: 'open' | 'closed';
  user: GitHubUser;
  labels: JsonObject[];
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  body: string | null;
  url: string;
  html_url: string;
}

/** A pull request in the list shape of GET /pulls. */
export interface GitHubPull extends JsonObject {
  id: number;
  node_id: string;
  number: number;
  title: string;
  state: 'open' | 'closed';
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  url: string;
  html_url: string;
}

export interface GitHubData {
  repository: JsonObject & { id: number; full_name: string };
  users: GitHubUser[];
  labels: JsonObject[];
  /** Every object the issues endpoints serve (issues and pull requests), by number ascending. */
  issueItems: GitHubIssue[];
  /** The plain issues only (no `pull_request` key), by number ascending. */
  issues: GitHubIssue[];
  /** The pull requests in list shape, by number ascending. */
  pulls: GitHubPull[];
  /** GET /pulls/{number} shape: the list shape plus the detail-only fields. */
  pullDetail(number: number): JsonObject | undefined;
  /** GET /issues/{number} shape: the list shape plus `closed_by`. */
  issueDetail(number: number): JsonObject | undefined;
}

export interface RateBucket {
  resource: 'core' | 'search';
  limit: number;
  used: number;
  /** Epoch seconds at which `used` goes back to 0. */
  reset: number;
  windowSeconds: number;
}

export interface IssueQuery {
  state?: string;
  sort?: string;
  direction?: string;
  since?: string;
  labels?: string;
  creator?: string;
}

export interface PullQuery {
  state?: string;
  sort?: string;
  direction?: string;
  head?: string;
  base?: string;
}

export interface SecondaryLimitOptions {
  /** 403 (default, the usual) or 429; GitHub documents both. */
  status?: 403 | 429;
  /** `retry-after` seconds; default 60. `null` sends none (GitHub does not always send it). */
  retryAfter?: number | null;
}

export interface GitHubImitation {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
  data: GitHubData;
  owner: string;
  repo: string;
  token: string;
  /** Rate-limit buckets: for the token and for anonymous callers. Mutable: tests may set `used`. */
  rateLimits: { token: { core: RateBucket; search: RateBucket }; anonymous: { core: RateBucket; search: RateBucket } };
  /** Pending one-shot faults (common.ts); these still carry the request-id and rate-limit headers. */
  faults: Fault[];
  failNext(fault: Fault): void;
  /**
   * The next `n` authenticated requests hit the primary rate limit: 403 (or `status`),
   * `x-ratelimit-remaining: 0`, "API rate limit exceeded for user ID ...". The counters are left alone.
   */
  rateLimitNext(n?: number, kind?: 'primary', options?: { status?: 403 | 429 }): void;
  /** The next `n` authenticated requests hit a secondary rate limit (403/429, `retry-after`). */
  rateLimitNext(n: number, kind: 'secondary', options?: SecondaryLimitOptions): void;
  /** The next `n` authenticated requests get 403 "Resource not accessible by integration" (remaining > 0). */
  forbidNext(n?: number): void;
  /** The issues endpoint's answer for this query, all pages, in its order (what paging must yield). */
  expectedIssues(query?: IssueQuery): GitHubIssue[];
  expectedPulls(query?: PullQuery): GitHubPull[];
  /** What /search/issues matches for `q` (all of it, before the 1000-result cap), in its order. */
  expectedSearch(q: string, sort?: string, order?: string): GitHubIssue[];
}

export const GITHUB_DOCS = 'https://docs.github.com/rest';
const DOC = {
  listIssues: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
  getIssue: 'https://docs.github.com/rest/issues/issues#get-an-issue',
  listPulls: 'https://docs.github.com/rest/pulls/pulls#list-pull-requests',
  getPull: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request',
  getRepo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  search: 'https://docs.github.com/rest/search/search#search-issues-and-pull-requests',
  rateLimit: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api',
  secondary: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  apiVersions: 'https://docs.github.com/rest/overview/api-versions',
} as const;

// ---------------------------------------------------------------------------------------------
// Deterministic data
// ---------------------------------------------------------------------------------------------

const LOGINS = ['octocat', 'hubot', 'monalisa', 'defunkt', 'mojombo', 'pjhyett', 'wycats', 'ezmobius', 'ivey', 'evanphx', 'dependabot[bot]'];
const LABELS: { name: string; color: string; default: boolean; description: string | null }[] = [
  { name: 'bug', color: 'd73a4a', default: true, description: "Something isn't working" },
  { name: 'documentation', color: '0075ca', default: true, description: 'Improvements or additions to documentation' },
  { name: 'enhancement', color: 'a2eeef', default: true, description: 'New feature or request' },
  { name: 'good first issue', color: '7057ff', default: true, description: 'Good for newcomers' },
  { name: 'question', color: 'd876e3', default: true, description: 'Further information is requested' },
  { name: 'wontfix', color: 'ffffff', default: true, description: 'This will not be worked on' },
  { name: 'priority: high', color: 'b60205', default: false, description: null },
];
const VERBS = ['Fix', 'Add', 'Remove', 'Document', 'Refactor', 'Support', 'Handle', 'Improve', 'Deprecate', 'Test'];
const THINGS = ['pagination', 'rate limiting', 'the CLI', 'retries', 'webhooks', 'the README', 'Unicode titles', 'timeouts', 'the cache', 'OAuth scopes', 'error messages', 'CI'];
const TAILS = ['', ' on Windows', ' when the token expires', ' for large repositories', ' (regression)', ' in v2', ' — naïve café edition', ' 🚀', ' with "quotes" & <brackets>'];
const ASSOCIATIONS = ['OWNER', 'MEMBER', 'CONTRIBUTOR', 'NONE'];

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const b64 = (s: string): string => Buffer.from(s).toString('base64').replace(/=+$/, '');

function hex(rand: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

interface Item {
  issue: GitHubIssue;
  pull?: GitHubPull;
  /** Extra fields of GET /pulls/{n}. */
  pullExtra?: JsonObject;
  closedBy: GitHubUser | null;
  /** Head / base refs for the pulls filters. */
  headLabel?: string;
  baseRef?: string;
}

function buildData(api: string, owner: string, repo: string, issueCount: number, pullCount: number, seed: number): { data: GitHubData; items: Item[] } {
  const rand = seededRandom(seed * 7919 + 17);
  const repoId = 1_000_000 + Math.floor(rand() * 8_000_000);
  const repoApi = `${api}/repos/${owner}/${repo}`;
  const repoHtml = `https://github.com/${owner}/${repo}`;

  const userOf = (login: string, id: number, type: string): GitHubUser => ({
    login,
    id,
    node_id: (type === 'Organization' ? 'O_kgDO' : type === 'Bot' ? 'BOT_kgDO' : 'U_kgDO') + b64(String(id)),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `${api}/users/${encodeURIComponent(login)}`,
    html_url: type === 'Bot' ? `https://github.com/apps/${login.replace(/\[bot\]$/, '')}` : `https://github.com/${login}`,
    followers_url: `${api}/users/${encodeURIComponent(login)}/followers`,
    following_url: `${api}/users/${encodeURIComponent(login)}/following{/other_user}`,
    gists_url: `${api}/users/${encodeURIComponent(login)}/gists{/gist_id}`,
    starred_url: `${api}/users/${encodeURIComponent(login)}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/users/${encodeURIComponent(login)}/subscriptions`,
    organizations_url: `${api}/users/${encodeURIComponent(login)}/orgs`,
    repos_url: `${api}/users/${encodeURIComponent(login)}/repos`,
    events_url: `${api}/users/${encodeURIComponent(login)}/events{/privacy}`,
    received_events_url: `${api}/users/${encodeURIComponent(login)}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  });

  const ownerUser = userOf(owner, 9_000_000 + (repoId % 1000), 'Organization');
  const users = LOGINS.map((login, i) => userOf(login, 100_000 + i * 7_331 + Math.floor(rand() * 7_000), login.endsWith('[bot]') ? 'Bot' : 'User'));
  const humans = users.filter((u) => u.type === 'User');

  const labels: JsonObject[] = LABELS.map((l, i) => ({
    id: 200_000_000 + i * 1_117 + Math.floor(rand() * 1000),
    node_id: 'LA_kwDO' + b64(`${repoId}:${l.name}`),
    url: `${repoApi}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    default: l.default,
    description: l.description,
  }));

  const repository: JsonObject & { id: number; full_name: string } = {
    id: repoId,
    node_id: 'R_kgDO' + b64(String(repoId)),
    name: repo,
    full_name: `${owner}/${repo}`,
    private: true,
    owner: ownerUser,
    html_url: repoHtml,
    description: 'A repository served by the GitHub imitation',
    fork: false,
    url: repoApi,
    issues_url: `${repoApi}/issues{/number}`,
    pulls_url: `${repoApi}/pulls{/number}`,
    created_at: '2021-06-01T08:00:00Z',
    updated_at: '2024-05-01T08:00:00Z',
    pushed_at: '2024-05-01T08:00:00Z',
    default_branch: 'main',
    visibility: 'private',
    has_issues: true,
    open_issues_count: 0,
  };

  // Which numbers are pull requests: a seeded shuffle of 1..total.
  const total = issueCount + pullCount;
  const numbers = Array.from({ length: total }, (_, i) => i + 1);
  for (let i = numbers.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const a = numbers[i]!;
    numbers[i] = numbers[j]!;
    numbers[j] = a;
  }
  const pullNumbers = new Set(numbers.slice(0, pullCount));

  const items: Item[] = [];
  let created = Date.UTC(2022, 0, 3, 9, 0, 0);
  for (let number = 1; number <= total; number++) {
    created += (60 + Math.floor(rand() * 36 * 3600)) * 1000; // strictly increasing
    const isPull = pullNumbers.has(number);
    const author = isPull && rand() < 0.15 ? users[users.length - 1]! : pick(rand, humans);
    const closed = rand() < 0.35;
    // updated_at is unique per item (the +number seconds), so sorting by it is unambiguous.
    const lifetime = Math.floor(rand() * 90 * 86400) * 1000;
    const closedAtMs = closed ? created + Math.floor(lifetime * (0.3 + rand() * 0.6)) : null;
    const updatedMs = created + lifetime + number * 1000;
    const labelCount = Math.floor(rand() * 3);
    const itemLabels: JsonObject[] = [];
    for (let k = 0; k < labelCount; k++) {
      const l = pick(rand, labels);
      if (!itemLabels.includes(l)) itemLabels.push(l);
    }
    const assignees: GitHubUser[] = rand() < 0.4 ? [pick(rand, humans)] : [];
    const title = `${pick(rand, VERBS)} ${pick(rand, THINGS)}${pick(rand, TAILS)}`;
    const bodyRoll = rand();
    const body = bodyRoll < 0.15 ? null : bodyRoll < 0.2 ? '' : `Steps to reproduce #${number}:\n\n1. run it\n2. see \`${pick(rand, THINGS)}\` fail\n\n> expected: it works ✅`;
    const comments = Math.floor(rand() * rand() * 25);
    const issueId = 500_000_000 + number * 9_973 + Math.floor(rand() * 9_000);
    const merged = isPull && closed && rand() < 0.7;
    const stateReason = closed ? (isPull ? null : rand() < 0.8 ? 'completed' : 'not_planned') : null;
    const association = author.type === 'Bot' ? 'NONE' : pick(rand, ASSOCIATIONS);
    const reactionsTotal = Math.floor(rand() * 4);
    const htmlUrl = `${repoHtml}/${isPull ? 'pull' : 'issues'}/${number}`;
    const issueUrl = `${repoApi}/issues/${number}`;
    const pullId = 1_500_000_000 + number * 7_919 + Math.floor(rand() * 7_000);
    const pullNodeId = 'PR_kwDO' + b64(`${repoId}:${pullId}`);

    const issue = {
      url: issueUrl,
      repository_url: repoApi,
      labels_url: `${issueUrl}/labels{/name}`,
      comments_url: `${issueUrl}/comments`,
      events_url: `${issueUrl}/events`,
      html_url: htmlUrl,
      id: issueId,
      node_id: isPull ? pullNodeId : 'I_kwDO' + b64(`${repoId}:${issueId}`),
      number,
      title,
      user: author,
      labels: itemLabels,
      state: closed ? 'closed' : 'open',
      locked: false,
      assignee: assignees[0] ?? null,
      assignees,
      milestone: null,
      comments,
      created_at: iso(created),
      updated_at: iso(updatedMs),
      closed_at: closedAtMs === null ? null : iso(closedAtMs),
      author_association: association,
      type: null,
      active_lock_reason: null,
      ...(isPull
        ? {
            draft: !closed && rand() < 0.2,
            pull_request: {
              url: `${repoApi}/pulls/${number}`,
              html_url: htmlUrl,
              diff_url: `${htmlUrl}.diff`,
              patch_url: `${htmlUrl}.patch`,
              merged_at: merged && closedAtMs !== null ? iso(closedAtMs) : null,
            },
          }
        : {}),
      body,
      reactions: {
        url: `${issueUrl}/reactions`,
        total_count: reactionsTotal,
        '+1': reactionsTotal,
        '-1': 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
      timeline_url: `${issueUrl}/timeline`,
      performed_via_github_app: null,
      state_reason: stateReason,
    } as GitHubIssue;

    const item: Item = { issue, closedBy: closed ? pick(rand, humans) : null };
    if (isPull) {
      const ref = `${author.login.replace(/\[bot\]$/, '')}/${pick(rand, THINGS).replace(/[^a-z]+/gi, '-').toLowerCase()}-${number}`;
      const headSha = hex(rand, 40);
      const baseSha = hex(rand, 40);
      const repoRef = { id: repoId, node_id: repository.node_id, name: repo, full_name: `${owner}/${repo}`, private: true, owner: ownerUser, html_url: repoHtml, url: repoApi };
      const pullUrl = `${repoApi}/pulls/${number}`;
      const pull = {
        url: pullUrl,
        id: pullId,
        node_id: pullNodeId,
        html_url: htmlUrl,
        diff_url: `${htmlUrl}.diff`,
        patch_url: `${htmlUrl}.patch`,
        issue_url: issueUrl,
        number,
        state: issue.state,
        locked: false,
        title,
        user: author,
        body,
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        closed_at: issue.closed_at,
        merged_at: (issue.pull_request as JsonObject).merged_at ?? null,
        merge_commit_sha: closed && !merged ? null : hex(rand, 40),
        assignee: issue.assignee,
        assignees,
        requested_reviewers: [],
        requested_teams: [],
        labels: itemLabels,
        milestone: null,
        draft: issue.draft ?? false,
        commits_url: `${pullUrl}/commits`,
        review_comments_url: `${pullUrl}/comments`,
        review_comment_url: `${repoApi}/pulls/comments{/number}`,
        comments_url: `${issueUrl}/comments`,
        statuses_url: `${repoApi}/statuses/${headSha}`,
        head: { label: `${owner}:${ref}`, ref, sha: headSha, user: ownerUser, repo: repoRef },
        base: { label: `${owner}:main`, ref: 'main', sha: baseSha, user: ownerUser, repo: repoRef },
        _links: {
          self: { href: pullUrl },
          html: { href: htmlUrl },
          issue: { href: issueUrl },
          comments: { href: `${issueUrl}/comments` },
          review_comments: { href: `${pullUrl}/comments` },
          review_comment: { href: `${repoApi}/pulls/comments{/number}` },
          commits: { href: `${pullUrl}/commits` },
          statuses: { href: `${repoApi}/statuses/${headSha}` },
        },
        author_association: association,
        auto_merge: null,
        active_lock_reason: null,
      } as GitHubPull;
      const additions = Math.floor(rand() * 400);
      item.pull = pull;
      item.headLabel = `${owner}:${ref}`;
      item.baseRef = 'main';
      item.pullExtra = {
        merged,
        mergeable: closed ? null : true,
        rebaseable: closed ? null : true,
        mergeable_state: closed ? 'unknown' : 'clean',
        merged_by: merged ? pick(rand, humans) : null,
        comments,
        review_comments: Math.floor(rand() * 6),
        maintainer_can_modify: false,
        commits: 1 + Math.floor(rand() * 9),
        additions,
        deletions: Math.floor(rand() * 200),
        changed_files: 1 + Math.floor(rand() * 12),
      };
    }
    items.push(item);
  }
  repository.open_issues_count = items.filter((i) => i.issue.state === 'open').length;

  const byNumber = new Map(items.map((i) => [i.issue.number, i]));
  const data: GitHubData = {
    repository,
    users,
    labels,
    issueItems: items.map((i) => i.issue),
    issues: items.filter((i) => !i.pull).map((i) => i.issue),
    pulls: items.flatMap((i) => (i.pull ? [i.pull] : [])),
    pullDetail: (n) => {
      const it = byNumber.get(n);
      return it?.pull ? { ...it.pull, ...it.pullExtra } : undefined;
    },
    issueDetail: (n) => {
      const it = byNumber.get(n);
      if (!it) return undefined;
      // GET /issues/{n} adds closed_by (after body, as GitHub orders it).
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(it.issue)) {
        out[k] = v;
        if (k === 'body') out.closed_by = it.closedBy;
      }
      return out;
    },
  };
  return { data, items };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface Ctx {
  requestId: string;
  auth: 'token' | 'bad' | 'none';
  bucket: RateBucket;
  /** The bucket was already empty when this request came: primary limit hit. */
  exhausted: boolean;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

function compareBy<T>(key: (x: T) => number | string, desc: boolean, tie: (x: T) => number): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : tie(a) - tie(b);
    return desc ? -c : c;
  };
}

/** Parses GitHub's per_page / page: junk falls back to the default, per_page is capped at 100. */
function paging(params: URLSearchParams): { perPage: number; page: number } {
  const pp = Number.parseInt(params.get('per_page') ?? '', 10);
  const pg = Number.parseInt(params.get('page') ?? '', 10);
  return { perPage: Number.isFinite(pp) && pp > 0 ? Math.min(pp, 100) : 30, page: Number.isFinite(pg) && pg > 0 ? pg : 1 };
}

/**
 * GitHub's Link header: absolute URLs, the request's own query with `page` replaced (appended when it
 * was absent), relations in GitHub's order prev, next, last, first. No header when everything fits on
 * one page. On the first page there is no prev/first; on the last, no next/last. Past the end: prev and
 * first only.
 */
export function githubLink(origin: string, pathname: string, params: URLSearchParams, page: number, lastPage: number): string | undefined {
  if (page <= 1 && lastPage <= 1) return undefined;
  const at = (p: number): string => {
    const q = new URLSearchParams(params);
    q.set('page', String(p));
    return `<${origin}${pathname}?${q.toString()}>`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`${at(page - 1)}; rel="prev"`);
  if (page < lastPage) parts.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`);
  if (page > 1) parts.push(`${at(1)}; rel="first"`);
  return parts.join(', ');
}

export async function startGitHub(options: GitHubOptions): Promise<GitHubImitation> {
  const owner = options.owner ?? 'octo-org';
  const repo = options.repo ?? 'octo-repo';
  const clock = options.clock ?? Date.now;
  const anonymous = options.anonymous ?? 'not-found';
  const linkStyle = options.linkStyle ?? 'repositories';
  const apiVersions = options.apiVersions ?? ['2022-11-28'];
  const nowSeconds = (): number => Math.floor(clock() / 1000);
  const bucket = (resource: 'core' | 'search', limit: number, windowSeconds: number): RateBucket => ({
    resource,
    limit,
    used: 0,
    reset: nowSeconds() + windowSeconds,
    windowSeconds,
  });
  const rateLimits = {
    token: { core: bucket('core', options.rateLimit ?? 5000, 3600), search: bucket('search', options.searchRateLimit ?? 30, 60) },
    anonymous: { core: bucket('core', 60, 3600), search: bucket('search', 10, 60) },
  };
  const primaryNext = new Countdown();
  let primaryStatus: 403 | 429 = 403;
  const secondaryNext = new Countdown();
  let secondaryOptions: SecondaryLimitOptions = {};
  const forbiddenNext = new Countdown();
  const contexts = new WeakMap<IncomingMessage, Ctx>();
  const requestIdRand = seededRandom((options.seed ?? 1) * 31 + 5);
  let requestCounter = 0;

  // Filled in once the port is known (the data's URLs point at this server).
  let data: GitHubData | undefined;
  let items: Item[] = [];
  let origin = '';

  const authOf = (header: string | undefined): Ctx['auth'] => {
    if (header === undefined || header.trim() === '') return 'none';
    const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
    return m && m[1] === options.token ? 'token' : 'bad';
  };

  const setRateHeaders = (res: ServerResponse, b: RateBucket, remainingOverride?: number): void => {
    const remaining = remainingOverride ?? Math.max(0, b.limit - b.used);
    res.setHeader('x-ratelimit-limit', String(b.limit));
    res.setHeader('x-ratelimit-remaining', String(remaining));
    res.setHeader('x-ratelimit-reset', String(b.reset));
    res.setHeader('x-ratelimit-used', String(remainingOverride === 0 ? b.limit : b.used));
    res.setHeader('x-ratelimit-resource', b.resource);
  };

  const onRequest = (req: ImitationRequest, res: ServerResponse): void => {
    requestCounter += 1;
    // GitHub's request ids look like "C0DE:1A2B3:4C5D6E7:4D5E6F8:66A1B2C3": five hex groups.
    const requestId = [4, 5, 7, 7].map((n) => hex(requestIdRand, n).toUpperCase()).join(':') + ':' + requestCounter.toString(16).toUpperCase().padStart(8, '0');
    const auth = authOf(req.headers.authorization);
    const resource = req.parsed.pathname.startsWith('/search/') ? 'search' : 'core';
    const b = auth === 'token' ? rateLimits.token[resource] : rateLimits.anonymous[resource];
    if (nowSeconds() >= b.reset) {
      b.used = 0;
      b.reset = nowSeconds() + b.windowSeconds;
    }
    const isRateLimitEndpoint = req.parsed.pathname === '/rate_limit';
    const exhausted = !isRateLimitEndpoint && b.used >= b.limit;
    if (!exhausted && !isRateLimitEndpoint) b.used += 1;
    contexts.set(req.raw, { requestId, auth, bucket: b, exhausted });
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('x-github-request-id', requestId);
    res.setHeader('x-github-media-type', 'github.v3; format=json');
    res.setHeader('x-github-api-version-selected', apiVersions.includes(String(req.headers['x-github-api-version'])) ? String(req.headers['x-github-api-version']) : (apiVersions[0] ?? '2022-11-28'));
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('access-control-expose-headers', 'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset');
    setRateHeaders(res, b);
  };

  const error = (status: number, message: string, documentationUrl: string, headers?: Record<string, string>): Reply => ({
    status,
    body: { message, documentation_url: documentationUrl, status: String(status) },
    ...(headers ? { headers } : {}),
  });
  const notFound = (doc: string = GITHUB_DOCS): Reply => error(404, 'Not Found', doc);
  const validationFailed = (resource: string, field: string, code: string, doc: string): Reply => ({
    status: 422,
    body: { message: 'Validation Failed', errors: [{ resource, field, code }], documentation_url: doc, status: '422' },
  });

  const issueOrder = (q: IssueQuery): GitHubIssue[] | Reply => {
    const state = q.state ?? 'open';
    const sort = q.sort ?? 'created';
    const direction = q.direction ?? 'desc';
    if (!['open', 'closed', 'all'].includes(state)) return validationFailed('Issue', 'state', 'invalid', DOC.listIssues);
    if (!['created', 'updated', 'comments'].includes(sort)) return validationFailed('Issue', 'sort', 'invalid', DOC.listIssues);
    if (!['asc', 'desc'].includes(direction)) return validationFailed('Issue', 'direction', 'invalid', DOC.listIssues);
    let since: number | undefined;
    if (q.since !== undefined) {
      since = Date.parse(q.since);
      if (Number.isNaN(since)) return validationFailed('Issue', 'since', 'invalid', DOC.listIssues);
    }
    const wantLabels = q.labels ? q.labels.split(',').map((s) => s.trim()).filter(Boolean) : [];
    const list = items
      .map((i) => i.issue)
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => since === undefined || Date.parse(i.updated_at) >= since)
      .filter((i) => wantLabels.every((w) => i.labels.some((l) => String(l.name).toLowerCase() === w.toLowerCase())))
      .filter((i) => q.creator === undefined || i.user.login.toLowerCase() === q.creator.toLowerCase());
    const key = sort === 'created' ? (i: GitHubIssue) => i.created_at : sort === 'updated' ? (i: GitHubIssue) => i.updated_at : (i: GitHubIssue) => i.comments;
    return list.sort(compareBy(key, direction === 'desc', (i) => i.number));
  };

  const pullOrder = (q: PullQuery): GitHubPull[] | Reply => {
    const state = q.state ?? 'open';
    const sort = q.sort ?? 'created';
    // GitHub: direction defaults to desc for sort=created (or no sort), else asc.
    const direction = q.direction ?? (sort === 'created' ? 'desc' : 'asc');
    if (!['open', 'closed', 'all'].includes(state)) return validationFailed('PullRequest', 'state', 'invalid', DOC.listPulls);
    if (!['created', 'updated', 'popularity', 'long-running'].includes(sort)) return validationFailed('PullRequest', 'sort', 'invalid', DOC.listPulls);
    if (!['asc', 'desc'].includes(direction)) return validationFailed('PullRequest', 'direction', 'invalid', DOC.listPulls);
    const list = items
      .filter((i) => i.pull && (state === 'all' || i.pull.state === state))
      .filter((i) => q.head === undefined || i.headLabel === q.head)
      .filter((i) => q.base === undefined || i.baseRef === q.base);
    // popularity: by comment count; long-running: by age (created), both approximations.
    const key =
      sort === 'updated' ? (i: Item) => i.issue.updated_at : sort === 'popularity' ? (i: Item) => i.issue.comments : (i: Item) => i.issue.created_at;
    const desc = sort === 'long-running' ? direction === 'asc' : direction === 'desc';
    return list.sort(compareBy(key, desc, (i) => i.issue.number)).map((i) => i.pull!);
  };

  /** Search qualifiers understood: repo:, is:issue|pr|pull-request|open|closed, type:, state:, label:, author:, in:title (ignored), free words (title/body, case-insensitive). */
  const searchMatch = (q: string): { items: GitHubIssue[] } | Reply => {
    const tokens = q.match(/(?:[^\s"]+:"[^"]*"|"[^"]*"|\S+)/g) ?? [];
    const repos: string[] = [];
    const filters: ((i: Item) => boolean)[] = [];
    for (const raw of tokens) {
      const m = /^(-?)([a-z-]+):(.*)$/i.exec(raw);
      if (!m) {
        const word = raw.replace(/^"|"$/g, '').toLowerCase();
        filters.push((i) => i.issue.title.toLowerCase().includes(word) || (i.issue.body ?? '').toLowerCase().includes(word));
        continue;
      }
      const neg = m[1] === '-';
      const name = m[2]!.toLowerCase();
      const value = m[3]!.replace(/^"|"$/g, '');
      const v = value.toLowerCase();
      let f: ((i: Item) => boolean) | undefined;
      if (name === 'repo') repos.push(v);
      else if ((name === 'is' || name === 'type') && v === 'issue') f = (i) => !i.pull;
      else if ((name === 'is' || name === 'type') && (v === 'pr' || v === 'pull-request')) f = (i) => Boolean(i.pull);
      else if ((name === 'is' || name === 'state') && (v === 'open' || v === 'closed')) f = (i) => i.issue.state === v;
      else if (name === 'is' && v === 'merged') f = (i) => Boolean(i.pull && i.pull.merged_at);
      else if (name === 'label') f = (i) => i.issue.labels.some((l) => String(l.name).toLowerCase() === v);
      else if (name === 'author') f = (i) => i.issue.user.login.toLowerCase() === v;
      else if (name === 'in') f = undefined;
      else f = () => false; // an unknown qualifier matches nothing here
      if (f) filters.push(neg ? (i) => !f!(i) : f);
    }
    const mine = `${owner}/${repo}`.toLowerCase();
    if (repos.some((r) => r !== mine)) return cannotSearch();
    return { items: items.filter((i) => filters.every((f) => f(i))).map((i) => i.issue) };
  };

  const cannotSearch = (): Reply => ({
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [
            {
              message: 'The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.',
              resource: 'Search',
              field: 'q',
              code: 'invalid',
            },
          ],
          documentation_url: DOC.search,
          status: '422',
        },
      });

  const searchOrder = (list: GitHubIssue[], sort: string | null, order: string | null): GitHubIssue[] => {
    const desc = order !== 'asc';
    // Without a sort GitHub orders by "best match"; with no text relevance here, newest first.
    const key =
      sort === 'updated' ? (i: GitHubIssue) => i.updated_at : sort === 'comments' ? (i: GitHubIssue) => i.comments : (i: GitHubIssue) => i.created_at;
    return [...list].sort(compareBy(key, sort === null ? true : desc, (i) => i.number));
  };

  const pageReply = <T>(all: T[], req: ImitationRequest, linkPath: string, extra?: (slice: T[]) => unknown): Reply => {
    const { perPage, page } = paging(req.parsed.searchParams);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = all.length === 0 ? undefined : githubLink(origin, linkPath, req.parsed.searchParams, page, last);
    return { status: 200, body: extra ? extra(slice) : slice, ...(link ? { headers: { link } } : {}) };
  };

  const route = (req: ImitationRequest, ctx: Ctx): Reply => {
    const d = data!;
    const path = req.parsed.pathname.replace(/\/+$/, '') || '/';
    const params = req.parsed.searchParams;
    const get = (k: string): string | undefined => params.get(k) ?? undefined;

    if (req.method === 'GET' && path === '/rate_limit') {
      const r = (b: RateBucket) => ({ limit: b.limit, used: b.used, remaining: Math.max(0, b.limit - b.used), reset: b.reset });
      const set = ctx.auth === 'token' ? rateLimits.token : rateLimits.anonymous;
      return { status: 200, body: { resources: { core: r(set.core), search: r(set.search) }, rate: r(set.core) } };
    }

    if (req.method === 'GET' && path === '/search/issues') {
      const q = get('q');
      if (q === undefined || q.trim() === '') return validationFailed('Search', 'q', 'missing', DOC.search);
      // A private repository is invisible to anonymous callers: naming it is a 422, as for a missing one.
      const matched = ctx.auth === 'none' && anonymous === 'not-found' && /\brepo:/i.test(q) ? cannotSearch() : searchMatch(q);
      if ('status' in matched) return matched;
      const ordered = searchOrder(matched.items, get('sort') ?? null, get('order') ?? null);
      const { perPage, page } = paging(params);
      const capped = ordered.slice(0, 1000);
      if ((page - 1) * perPage >= 1000) return error(422, 'Only the first 1000 search results are available', 'https://docs.github.com/v3/search/');
      return pageReply(capped, req, '/search/issues', (slice) => ({
        total_count: ordered.length,
        incomplete_results: false,
        items: slice.map((i) => ({ ...i, score: 1 })),
      }));
    }

    // Repository routes, by name or by id.
    let m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    let rest: string | undefined;
    let known = false;
    if (m) {
      known = decodeURIComponent(m[1]!).toLowerCase() === owner.toLowerCase() && decodeURIComponent(m[2]!).toLowerCase() === repo.toLowerCase();
      rest = m[3] ?? '';
    } else if ((m = /^\/repositories\/(\d+)(\/.*)?$/.exec(path))) {
      known = Number(m[1]) === d.repository.id;
      rest = m[2] ?? '';
    }
    if (rest === undefined || req.method !== 'GET') return notFound();
    const doc = rest === '' ? DOC.getRepo : rest === '/issues' ? DOC.listIssues : rest.startsWith('/issues/') ? DOC.getIssue : rest === '/pulls' ? DOC.listPulls : rest.startsWith('/pulls/') ? DOC.getPull : GITHUB_DOCS;
    if (doc === GITHUB_DOCS) return notFound();
    if (!known) return notFound(doc);
    if (ctx.auth === 'none' && anonymous === 'not-found') return notFound(doc);
    const linkBase = linkStyle === 'repositories' ? `/repositories/${d.repository.id}` : `/repos/${owner}/${repo}`;

    if (rest === '') return { status: 200, body: d.repository };
    if (rest === '/issues') {
      const list = issueOrder({ state: get('state'), sort: get('sort'), direction: get('direction'), since: get('since'), labels: get('labels'), creator: get('creator') });
      return Array.isArray(list) ? pageReply(list, req, `${linkBase}/issues`) : list;
    }
    if (rest === '/pulls') {
      const list = pullOrder({ state: get('state'), sort: get('sort'), direction: get('direction'), head: get('head'), base: get('base') });
      return Array.isArray(list) ? pageReply(list, req, `${linkBase}/pulls`) : list;
    }
    const one = /^\/(issues|pulls)\/(\d+)$/.exec(rest);
    if (!one) return notFound(doc);
    const n = Number(one[2]);
    const body = one[1] === 'issues' ? d.issueDetail(n) : d.pullDetail(n);
    return body ? { status: 200, body } : notFound(doc);
  };

  const handler = (req: ImitationRequest, res: ServerResponse): void => {
    const ctx = contexts.get(req.raw)!;
    const send = (r: Reply): void => {
      const text = r.body === undefined ? '' : JSON.stringify(r.body);
      sendRaw(res, r.status, text, r.headers ?? {});
    };

    if (ctx.auth === 'bad') return send(error(401, 'Bad credentials', GITHUB_DOCS));
    if (ctx.auth === 'none' && anonymous === 'unauthorized') return send(error(401, 'Requires authentication', GITHUB_DOCS));
    const version = req.headers['x-github-api-version'];
    if (typeof version === 'string' && !apiVersions.includes(version)) {
      return send(error(400, `API version ${version} is not supported.`, DOC.apiVersions));
    }
    const stamp = (): string => new Date(clock()).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
    const support = `If you reach out to GitHub Support for help, please include the request ID ${ctx.requestId} and timestamp ${stamp()}.`;
    const primaryMessage =
      ctx.auth === 'token'
        ? `API rate limit exceeded for user ID ${data!.users[0]!.id}. ${support}`
        : `API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.) ${support}`;
    if (ctx.exhausted) {
      setRateHeaders(res, ctx.bucket, 0);
      return send(error(403, primaryMessage, DOC.rateLimit));
    }
    if (ctx.auth === 'token') {
      if (primaryNext.take()) {
        setRateHeaders(res, ctx.bucket, 0);
        return send(error(primaryStatus, primaryMessage, DOC.rateLimit));
      }
      if (secondaryNext.take()) {
        const retryAfter = secondaryOptions.retryAfter === undefined ? 60 : secondaryOptions.retryAfter;
        return send(
          error(
            secondaryOptions.status ?? 403,
            `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ${support}`,
            DOC.secondary,
            retryAfter === null ? undefined : { 'retry-after': String(retryAfter) },
          ),
        );
      }
      if (forbiddenNext.take()) {
        const path = req.parsed.pathname;
        const doc = path.includes('/pulls') ? DOC.listPulls : path.startsWith('/search') ? DOC.search : DOC.listIssues;
        const permission = path.includes('/pulls') ? 'pull_requests=read' : 'issues=read';
        return send(error(403, 'Resource not accessible by integration', doc, { 'x-accepted-github-permissions': permission }));
      }
    }

    const reply = route(req, ctx);
    if (reply.status === 200 && reply.body !== undefined) {
      const text = JSON.stringify(reply.body);
      const etag = `W/"${createHash('sha256').update(text).digest('hex').slice(0, 64)}"`;
      res.setHeader('etag', etag);
      res.setHeader('cache-control', 'private, max-age=60, s-maxage=60');
      res.setHeader('vary', 'Accept, Authorization, Cookie, X-GitHub-OTP');
      const inm = req.headers['if-none-match'];
      if (typeof inm === 'string' && inm.split(',').map((s) => s.trim()).includes(etag)) {
        // A 304 does not count against the primary rate limit.
        ctx.bucket.used = Math.max(0, ctx.bucket.used - 1);
        setRateHeaders(res, ctx.bucket);
        res.removeHeader('content-type');
        for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
        res.statusCode = 304;
        res.end();
        return;
      }
      return sendRaw(res, 200, text, reply.headers ?? {});
    }
    send(reply);
  };

  const server = await startImitation(handler, { onRequest });
  origin = server.url;
  const built = buildData(origin, owner, repo, options.issues ?? 45, options.pulls ?? 12, options.seed ?? 1);
  data = built.data;
  items = built.items;

  const unwrap = <T>(r: T[] | Reply): T[] => {
    if (Array.isArray(r)) return r;
    throw new Error(`invalid query: ${JSON.stringify(r.body)}`);
  };

  const imitation: GitHubImitation = {
    url: server.url,
    requests: server.requests,
    close: server.close,
    data: built.data,
    owner,
    repo,
    token: options.token,
    rateLimits,
    faults: server.faults,
    failNext: server.failNext,
    rateLimitNext(n = 1, kind: 'primary' | 'secondary' = 'primary', opts: SecondaryLimitOptions = {}) {
      if (kind === 'primary') {
        primaryStatus = opts.status ?? 403;
        primaryNext.set(n);
      } else {
        secondaryOptions = opts;
        secondaryNext.set(n);
      }
    },
    forbidNext(n = 1) {
      forbiddenNext.set(n);
    },
    expectedIssues: (q = {}) => unwrap(issueOrder(q)),
    expectedPulls: (q = {}) => unwrap(pullOrder(q)),
    expectedSearch(q, sort, order) {
      const r = searchMatch(q);
      if ('status' in r) throw new Error(`invalid query: ${JSON.stringify(r.body)}`);
      return searchOrder(r.items, sort ?? null, order ?? null);
    },
  };
  return imitation;
}
