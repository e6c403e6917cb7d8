import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { findDrift, generateAll } from '../scripts/codegen/generate.js';
import { startSandbox } from '../sandbox/index.js';
import { createClient } from '../generated/index.js';
import { createClient as createHubSpotClient } from '../generated/hubspot/index.js';
import { startHubSpot } from './imitations/hubspot.js';
import { DEFAULT_MANIFEST, loadManifest, parseManifest } from '../src/index.js';
import { parseReference } from './reference-tables.js';
import { requireShared, SHARED } from './support/shared.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GENERATED = join(ROOT, 'generated');
const SHARED_REFERENCE = join(SHARED, 'spec', 'intercom-reference.md');
/** generated/<name>/ of the connectors in connectors/: theirs to check. */
const OTHER_CONNECTORS = ['github', 'hubspot', 'stripe', 'zendesk'];

// A new entity with one list action and one field, appended to the real manifest.
const EXTRA_ENTITY = `
  help_articles:
    title: Help Articles
    actions:
      list:
        description: Returns every help article
        method: GET
        path: /articles
        records: data
        record:
          type: object
          properties:
            headline: { type: [string, "null"] }
        pagination: single
`;

describe('codegen', () => {
  it('is deterministic and generated/ is up to date with connector.yaml', async () => {
    const manifest = await loadManifest(DEFAULT_MANIFEST);
    const yamlText = await readFile(DEFAULT_MANIFEST, 'utf8');
    const a = await generateAll(manifest, yamlText);
    const b = await generateAll(await loadManifest(DEFAULT_MANIFEST), yamlText);
    assert.deepEqual([...a.keys()], ['types.ts', 'manifest.ts', 'client.ts', 'index.ts', 'reference.md', 'openapi.json']);
    for (const [name, content] of a) assert.equal(content, b.get(name), `${name} differs between two runs`);
    assert.deepEqual(await findDrift(a, GENERATED, OTHER_CONNECTORS), [], 'run `npm run codegen` and commit generated/');
  });

  it('reproduces every operation, parameter and field of the shared Intercom reference', async (t) => {
    if (!requireShared(t, SHARED_REFERENCE, 'the shared Intercom reference')) return;
    const theirs = parseReference(await readFile(SHARED_REFERENCE, 'utf8'));
    const ours = parseReference(await readFile(join(GENERATED, 'reference.md'), 'utf8'));
    let total = 0;
    const missing: string[] = [];
    for (const [op, tables] of theirs) {
      total++;
      const mine = ours.get(op);
      if (!mine) {
        missing.push(`operation ${op}`);
        continue;
      }
      for (const [name, p] of tables.params) {
        total++;
        const m = mine.params.get(name);
        if (!m || m.type !== p.type || m.required !== p.required) missing.push(`${op} parameter ${name}: ${JSON.stringify(p)} vs ${JSON.stringify(m)}`);
      }
      for (const kind of ['records', 'meta'] as const) {
        for (const [name, type] of tables[kind]) {
          total++;
          if (mine[kind].get(name) !== type) missing.push(`${op} ${kind} ${name}: ${type} vs ${mine[kind].get(name)}`);
        }
      }
    }
    assert.equal(theirs.size, 14);
    assert.deepEqual(missing, []);
    t.diagnostic(`reference comparison: ${total - missing.length} of ${total} items reproduced`);
  });

  it('exports an OpenAPI 3.1 document that validates against the official schema', async () => {
    const doc = JSON.parse(await readFile(join(GENERATED, 'openapi.json'), 'utf8'));
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.servers.map((s: { url: string }) => s.url), [
      'https://api.intercom.io',
      'https://api.intercom.io',
      'https://api.eu.intercom.io',
      'https://api.au.intercom.io',
    ]);
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item as object)) as { 'x-entity': string; 'x-action': string; operationId: string }[];
    assert.equal(ops.length, 23);
    assert.equal(doc.paths['/contacts/search'].post['x-action'], 'search');
    assert.equal(doc.paths['/internal_articles'].post.parameters.find((p: { name: string }) => p.name === 'Intercom-Version').schema.const, 'Unstable');
    // The search body carries the query, and the cursor inside pagination.
    const search = doc.paths['/contacts/search'].post.requestBody.content['application/json'].schema;
    assert.ok(search.properties.query && search.properties.pagination.properties.starting_after, JSON.stringify(search));
    const companies = doc.paths['/companies'].get;
    assert.ok(companies.parameters.some((p: { name: string }) => p.name === 'page'), 'companies page by number on the wire');
    assert.equal(doc.paths['/contacts/{id}'].get['x-action'], 'get');
  });

  it('follows a new entity into every file, and --check reports the drift', async (t) => {
    const text = `${await readFile(DEFAULT_MANIFEST, 'utf8')}${EXTRA_ENTITY}`;
    const files = await generateAll(parseManifest(text, 'extended.yaml'), text);
    assert.match(files.get('types.ts')!, /export interface HelpArticlesListRecord \{\n  headline\?: string \| null;\n\}/);
    assert.match(files.get('types.ts')!, /help_articles: \{\n    list: \{ params: HelpArticlesListParams; record: HelpArticlesListRecord; result: HelpArticlesListResult \};/);
    assert.match(files.get('client.ts')!, /help_articles: \{\n    \/\*\* Returns every help article \*\/\n    list\(params\?: T\.HelpArticlesListParams/);
    assert.match(files.get('reference.md')!, /\| Help Articles \| \[List\]\(#help-articles-list\) \|/);
    assert.match(files.get('reference.md')!, /#### Help Articles List[\s\S]*\| `headline` \| `string \\\| null` \|/);
    const openapi = JSON.parse(files.get('openapi.json')!);
    assert.equal(openapi.paths['/articles'].get.operationId, 'help_articles_list');

    const drift = await findDrift(files, GENERATED, OTHER_CONNECTORS);
    assert.deepEqual(drift.map((d) => d.replace(/^.*generated\//, '')).sort(), [
      'client.ts is stale',
      'manifest.ts is stale',
      'openapi.json is stale',
      'reference.md is stale',
      'types.ts is stale',
    ]);

    const dir = await mkdtemp(join(tmpdir(), 'codegen-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const extended = join(dir, 'connector.yaml');
    await writeFile(extended, text);
    const check = await run(process.execPath, ['--import', 'tsx', 'scripts/codegen.ts', '--check', '--manifest', extended], { cwd: ROOT }).then(
      () => assert.fail('--check passed on a stale generated/'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(check.code, 1);
    assert.match(check.stderr, /generated\/types\.ts is stale/);
    assert.match(check.stderr, /Run `npm run codegen`/);
    const clean = await run(process.execPath, ['--import', 'tsx', 'scripts/codegen.ts', '--check'], { cwd: ROOT });
    assert.match(clean.stdout, /up to date/);
  });

  it('every connector in connectors/ has its generated/<name>/, up to date, with a valid OpenAPI document', async () => {
    const names = (await readdir(join(ROOT, 'connectors'))).filter((f) => f.endsWith('.yaml'));
    assert.deepEqual(names.sort(), ['github.yaml', 'hubspot.yaml', 'stripe.yaml', 'zendesk.yaml']);
    for (const file of names) {
      const path = join(ROOT, 'connectors', file);
      const manifest = await loadManifest(path);
      const out = join(GENERATED, manifest.connector.name);
      const files = await generateAll(manifest, await readFile(path, 'utf8'), '../../src/index.js', `connectors/${file}`);
      assert.deepEqual(await findDrift(files, out), [], `${file}: run \`npm run codegen\` and commit generated/`);
      const doc = JSON.parse(files.get('openapi.json')!);
      const result = await new Validator().validate(doc);
      assert.equal(result.valid, true, `${file}: ${JSON.stringify(result.errors, null, 2)}`);
    }
    const hubspot = JSON.parse(await readFile(join(GENERATED, 'hubspot', 'openapi.json'), 'utf8'));
    const search = hubspot.paths['/crm/v3/objects/contacts/search'].post;
    assert.deepEqual(Object.keys(search.requestBody.content['application/json'].schema.properties), ['filterGroups', 'sorts', 'query', 'properties', 'limit', 'after']);
    const zendesk = JSON.parse(await readFile(join(GENERATED, 'zendesk', 'openapi.json'), 'utf8'));
    assert.equal(zendesk.servers[0].url, 'https://{subdomain}.zendesk.com/api/v2');
    assert.deepEqual(Object.keys(zendesk.components.securitySchemes), ['apiTokenAuth', 'oauthAuth']);
    assert.ok(zendesk.paths['/tickets'].get.parameters.some((p: { name: string }) => p.name === 'page[after]'), 'the cursor as Zendesk reads it');
  });

  it('a generated connector client defaults to its own manifest', async () => {
    const hs = await startHubSpot({ contacts: 30 });
    const hubspot = createHubSpotClient({ baseUrl: hs.url, credentials: { access_token: hs.accessToken } });
    try {
      const { data, meta } = await hubspot.contacts.search({ limit: 10 });
      assert.equal(data.length, 10);
      assert.equal(typeof meta.next_page, 'string');
      let n = 0;
      for await (const c of hubspot.contacts.paginate({ limit: 7 })) {
        assert.equal(c.id, hs.contacts[n]!.id);
        n++;
      }
      assert.equal(n, 30);
    } finally {
      await hubspot.close();
      await hs.close();
    }
  });

  it('the generated client runs every call through the runtime', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 120 } });
    const intercom = createClient({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    try {
      const page = await intercom.contacts.list({ per_page: 50 });
      assert.equal(page.data.length, 50);
      const contact = await intercom.contacts.get({ id: page.data[7]!.id });
      assert.equal(contact.data.id, sandbox.dataset.contactAt(7).id);
      let n = 0;
      for await (const c of intercom.contacts.paginate({ per_page: 50 })) {
        assert.equal(c.id, sandbox.dataset.contactAt(n).id);
        n++;
      }
      assert.equal(n, 120);
      const teams = await intercom.teams.list();
      assert.equal(teams.meta.next_page, null);
    } finally {
      await intercom.close();
      await sandbox.close();
    }
  });
});
