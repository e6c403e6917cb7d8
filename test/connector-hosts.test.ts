// The other connectors through every host that takes a manifest: the CLI (execute, list,
// describe --manifest), serve (definitions, instances with config, execute) and mcp (tools from
// the manifest over stdio). Each against its imitation on loopback.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { loadManifest } from '../src/index.js';
import { startServer, type RunningServer } from '../src/serve/server.js';
import { startGitHub, type GitHubImitation } from './imitations/github.js';
import { startHubSpot, type HubSpotImitation } from './imitations/hubspot.js';
import { startZendesk, type ZendeskImitation } from './imitations/zendesk.js';

const BIN = fileURLToPath(new URL('../bin/intercom-connector.js', import.meta.url));
const connector = (name: string) => fileURLToPath(new URL(`../connectors/${name}.yaml`, import.meta.url));
const CREDENTIAL_VARS = ['GITHUB_TOKEN', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN', 'ZENDESK_ACCESS_TOKEN', 'ZENDESK_SUBDOMAIN', 'HUBSPOT_ACCESS_TOKEN', 'INTERCOM_ACCESS_TOKEN', 'DEBUG'];

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !CREDENTIAL_VARS.includes(k)) env[k] = v;
  return { ...env, ...extra };
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv(env), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('other connectors through the CLI, serve and mcp', () => {
  const TOKEN = 'ghp_hostsTest000000000000000000000000000';
  let gh: GitHubImitation;
  let zd: ZendeskImitation;
  let hs: HubSpotImitation;

  before(async () => {
    [gh, zd, hs] = await Promise.all([
      startGitHub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: 61, pulls: 9, seed: 2 }),
      startZendesk({ tickets: 42, users: 12 }),
      startHubSpot({ contacts: 33, companies: 5 }),
    ]);
  });
  after(async () => {
    await Promise.all([gh?.close(), zd?.close(), hs?.close()]);
  });

  it('CLI: list, describe and execute --all on connectors/github.yaml, the token from GITHUB_TOKEN', async () => {
    const list = await cli(['list', '--manifest', connector('github')]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['issues', 'pulls']);
    const d = await cli(['describe', 'issues.list', '--manifest', connector('github')]);
    assert.match(d.stdout, /owner\s+string\s+required/);
    assert.match(d.stdout, /next_page\s+string \| null\s+pass back as cursor/);
    const all = await cli(
      ['execute', 'issues', 'list', '--manifest', connector('github'), '--base-url', gh.url, '-p', 'owner=acme', '-p', 'repo=widgets', '-p', 'state=all', '-p', 'per_page=20', '--all'],
      { GITHUB_TOKEN: TOKEN },
    );
    assert.equal(all.code, 0, all.stderr);
    const ids = all.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id);
    assert.deepEqual(ids, gh.expectedIssues({ state: 'all' }).map((i) => i.id));
    const wrong = await cli(['execute', 'issues', 'list', '--manifest', connector('github'), '--base-url', gh.url, '-p', 'owner=acme', '-p', 'repo=widgets'], { GITHUB_TOKEN: 'ghp_wrong00000000000000' });
    assert.equal(wrong.code, 7, wrong.stderr);
    assert.match(wrong.stderr, /error\[UNAUTHORIZED\].*Bad credentials.*Check the token \(GITHUB_TOKEN or --token-file\)/);
  });

  it('CLI: a connector with several auth methods names each way in; --param takes lists', async () => {
    const missing = await cli(['execute', 'tickets', 'list', '--manifest', connector('zendesk'), '--base-url', zd.url], { ZENDESK_EMAIL: zd.email });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /api_token: api_token credential .*set ZENDESK_API_TOKEN or pass --token-file <path> \| oauth: access_token credential .*set ZENDESK_ACCESS_TOKEN/);
    const ok = await cli(['execute', 'tickets', 'get', '--manifest', connector('zendesk'), '--base-url', `${zd.url}/api/v2`, '-p', `id=${zd.tickets[2]!.id}`], {
      ZENDESK_EMAIL: zd.email,
      ZENDESK_API_TOKEN: zd.apiToken,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { data: { id: number } }).data.id, zd.tickets[2]!.id);
    const search = await cli(
      ['execute', 'contacts', 'list', '--manifest', connector('hubspot'), '--base-url', hs.url, '-p', 'properties=email,lifecyclestage', '-p', 'limit=3'],
      { HUBSPOT_ACCESS_TOKEN: hs.accessToken },
    );
    assert.equal(search.code, 0, search.stderr);
    assert.ok((JSON.parse(search.stdout) as { data: { properties: object }[] }).data.every((c) => 'lifecyclestage' in c.properties));
  });

  it('serve: definitions show auth methods and config fields; an instance keeps its config; execute runs a POST search', async () => {
    const [zendesk, hubspot] = await Promise.all([loadManifest(connector('zendesk')), loadManifest(connector('hubspot'))]);
    const dir = await mkdtemp(join(tmpdir(), 'serve-connectors-'));
    const servers: RunningServer[] = [];
    const start = async (manifests: typeof zendesk[], baseUrl: string, db: string) => {
      const s = await startServer({ port: 0, dbPath: join(dir, db), manifests, apiKeys: 'k-hosts', runtime: { baseUrl }, log: () => {} });
      servers.push(s);
      return s;
    };
    try {
      const zs = await start([zendesk], `${zd.url}/api/v2`, 'zd.db');
      const call = async (s: RunningServer, method: string, path: string, body?: unknown) => {
        const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: 'Bearer k-hosts', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as Record<string, any> };
      };
      const defs = await call(zs, 'GET', '/api/v1/connectors/definitions');
      assert.deepEqual(defs.json.data[0].auth_methods, [
        { id: 'api_token', type: 'basic', fields: ['email', 'api_token'] },
        { id: 'oauth', type: 'bearer', fields: ['access_token'] },
      ]);
      assert.deepEqual(defs.json.data[0].config_fields, ['subdomain']);
      const bad = await call(zs, 'POST', '/api/v1/connectors/instances', { connector_definition_id: 'zendesk', auth_config: { access_token: zd.oauthToken }, config: { subdomain: 'evil.com/x' }, name: 'z' });
      assert.equal(bad.status, 400);
      assert.match(bad.json.error.message, /subdomain/);
      const made = await call(zs, 'POST', '/api/v1/connectors/instances', { connector_definition_id: 'zendesk', auth_config: { access_token: zd.oauthToken }, config: { subdomain: 'acme' }, name: 'z' });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      assert.deepEqual(made.json.config, { subdomain: 'acme' });
      assert.equal(made.json.auth_config, undefined);
      const run = await call(zs, 'POST', `/api/v1/connectors/instances/${made.json.id}/execute`, { entity: 'users', action: 'list', params: { page_size: 5 } });
      assert.equal(run.status, 200, JSON.stringify(run.json));
      assert.deepEqual(run.json.data.map((u: { id: number }) => u.id), zd.users.slice(0, 5).map((u) => u.id));

      const hsrv = await start([hubspot], hs.url, 'hs.db');
      const inst = await call(hsrv, 'POST', '/api/v1/connectors/instances', { connector_definition_id: 'hubspot', auth_config: { access_token: hs.accessToken }, name: 'h' });
      const filterGroups = [{ filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' }] }];
      const found = await call(hsrv, 'POST', `/api/v1/connectors/instances/${inst.json.id}/execute`, { entity: 'contacts', action: 'search', params: { filter_groups: filterGroups, limit: 10 } });
      assert.equal(found.status, 200, JSON.stringify(found.json));
      assert.equal(found.json.data.length, 10);
      assert.deepEqual(JSON.parse(hs.requests.at(-1)!.body).filterGroups, filterGroups);
      const invalid = await call(hsrv, 'POST', `/api/v1/connectors/instances/${inst.json.id}/execute`, { entity: 'contacts', action: 'search', params: { filter_groups: 'x' } });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.json.error.param, 'filter_groups');
    } finally {
      try {
        await Promise.all(servers.map((s) => s.close()));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('mcp: tools from connectors/hubspot.yaml, with body schemas written out, and a search call', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--manifest', connector('hubspot'), '--base-url', hs.url],
      env: childEnv({ HUBSPOT_ACCESS_TOKEN: hs.accessToken }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'hosts-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['contacts_list', 'contacts_get', 'contacts_search', 'companies_list', 'companies_get']);
      const search = tools.find((t) => t.name === 'contacts_search')!;
      assert.equal(search.annotations?.readOnlyHint, true, 'a POST declared idempotent only reads');
      const groups = (search.inputSchema.properties as Record<string, { items: { properties: { filters: { items: { properties: object; $ref?: string } } } } }>).filter_groups!;
      // Shared schemas are written once under the input schema's own $defs: every reference resolves inside it.
      const defs = (search.inputSchema as { $defs?: Record<string, unknown> }).$defs ?? {};
      for (const [, name] of JSON.stringify(groups).matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)) assert.ok(defs[name!], `${name} is in $defs`);
      assert.ok(!JSON.stringify(search.inputSchema).includes('#/schemas/'), 'no reference a client cannot resolve');
      assert.equal((groups.items as { $ref?: string }).$ref, '#/$defs/FilterGroup');
      const group = defs.FilterGroup as { properties: { filters: { items: { $ref: string } } } };
      assert.equal(group.properties.filters.items.$ref, '#/$defs/Filter');
      assert.ok('operator' in (defs.Filter as { properties: object }).properties);
      const res = await client.callTool({ name: 'contacts_search', arguments: { limit: 4 } });
      const out = JSON.parse((res.content as { text: string }[])[0]!.text) as { records: { id: string }[]; next_page: string };
      assert.equal(res.isError, undefined);
      assert.equal(out.records.length, 4);
      const next = await client.callTool({ name: 'contacts_search', arguments: { limit: 4, after: out.next_page } });
      const second = JSON.parse((next.content as { text: string }[])[0]!.text) as { records: { id: string }[] };
      assert.notDeepEqual(second.records.map((r) => r.id), out.records.map((r) => r.id));
    } finally {
      await client.close();
    }
  });
});
