import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_MANIFEST, loadManifest, ManifestError, parseManifest } from '../src/index.js';

// A small valid manifest; each broken case below edits one line of it.
const BASE = `manifest_version: 1
connector:
  name: shop
  version: 1.0.0
server:
  base_url: https://api.shop.test
auth:
  type: bearer
  credential: token
  credentials:
    token: { type: string }
pagination:
  cursor: { type: cursor, param: after, next: next }
schemas:
  Item: { type: object, properties: { id: { type: string } } }
entities:
  items:
    actions:
      list:
        method: GET
        path: /items
        params:
          after: { type: string }
        records: data
        record: { $ref: "#/schemas/Item" }
        pagination: cursor
      get:
        method: GET
        path: /items/{id}
        params:
          id: { type: string, in: path, required: true }
        record: { $ref: "#/schemas/Item" }
`;

/** Replaces line `n` (1-based) of BASE; `null` deletes it; an array inserts several. */
function edit(n: number, replacement: string | string[] | null): string {
  const lines = BASE.split('\n');
  lines.splice(n - 1, 1, ...(replacement === null ? [] : Array.isArray(replacement) ? replacement : [replacement]));
  return lines.join('\n');
}

function rejects(text: string, line: number, message: RegExp): ManifestError {
  try {
    parseManifest(text, 'shop.yaml');
  } catch (err) {
    assert.ok(err instanceof ManifestError, `expected a ManifestError, got ${String(err)}`);
    assert.equal(err.code, 'MANIFEST_INVALID');
    const hit = err.issues.find((i) => message.test(i.message));
    assert.ok(hit, `no issue matches ${message}; got:\n${err.message}`);
    assert.equal(hit.line, line, `wrong line for ${message}: ${err.message}`);
    assert.match(err.message, new RegExp(`shop\\.yaml:${line}:\\d+`));
    return err;
  }
  assert.fail('the manifest was accepted');
}

describe('manifest loader', () => {
  it('accepts the base manifest and the shipped connector.yaml', async () => {
    const m = parseManifest(BASE, 'shop.yaml');
    assert.deepEqual(Object.keys(m.entities.items!.actions), ['list', 'get']);
    assert.equal(m.entities.items!.actions.list!.params.after!.in, 'query');
    const shipped = await loadManifest(DEFAULT_MANIFEST);
    // The reference's 14 reads, plus 2 searches and 7 writes beyond it.
    assert.equal(Object.values(shipped.entities).reduce((n, e) => n + Object.keys(e.actions).length, 0), 23);
    assert.equal(shipped.connector.definition_id, 'd8313939-3782-41b0-be29-b3ca20d8dd3a');
  });

  it('resolves shared parameters and keeps local overrides', async () => {
    const m = await loadManifest(DEFAULT_MANIFEST);
    const id = m.entities.teams!.actions.get!.params.id!;
    assert.deepEqual(id, { type: 'string', in: 'path', required: true, description: 'Team ID' });
  });

  const cases: [string, string, number, RegExp][] = [
    ['YAML syntax error', edit(21, '        path: [/items'), 22, /YAML syntax/],
    ['duplicate key', edit(21, ['        path: /items', '        method: POST']), 22, /unique/i],
    ['misspelt key', edit(25, '        recrod: { $ref: "#/schemas/Item" }'), 25, /unknown key "recrod"\. Did you mean "record"\?/],
    ['placeholder without a parameter', edit(29, '        path: /items/{item_id}'), 29, /placeholder "\{item_id\}" has no parameter: add params\.item_id/],
    ['unresolved schema reference', edit(25, '        record: { $ref: "#/schemas/Itme" }'), 25, /"#\/schemas\/Itme" does not resolve.*declared: Item/],
    ['unknown pagination strategy', edit(26, '        pagination: cursr'), 26, /unknown pagination strategy "cursr".*declared: cursor/],
    ['list without a pagination strategy', edit(26, null), 20, /must name its pagination strategy/],
    ['paginated action without records', edit(24, null), 25, /must say where its records are/],
    ['unknown HTTP method', edit(20, '        method: FETCH'), 20, /must be one of "GET", "POST"/],
    ['unsupported manifest version', edit(1, 'manifest_version: 2'), 1, /must be 1/],
    ['base URL without a scheme', edit(6, '  base_url: api.shop.test'), 6, /not valid: an http\(s\) URL/],
    ['undeclared bearer credential', edit(9, '  credential: tokn'), 9, /credential "tokn" is not declared under auth\.credentials/],
    ['optional path parameter', edit(31, '          id: { type: string, in: path }'), 31, /must have `required: true`/],
    ['path parameter missing from the path', edit(29, '        path: /items'), 31, /does not appear in the path/],
    ['invalid record type', edit(15, '  Item: { type: obect }'), 15, /not a valid JSON Schema/],
    ['misspelt schema keyword', edit(15, '  Item: { type: object, propertes: { id: { type: string } } }'), 15, /unknown JSON Schema keyword "propertes"; did you mean "properties"/],
    ['cursor parameter not declared', edit(23, '          limit: { type: integer }'), 23, /takes its cursor in "after": declare params\.after/],
    ['unresolved parameter reference', edit(23, '          after: { $ref: "#/parameters/after" }'), 23, /no parameter named "after" under parameters/],
    ['entity name not snake_case', edit(17, '  Items:'), 17, /invalid name "Items": use lower snake_case/],
    ['invalid parameter pattern', edit(23, '          after: { type: string, pattern: "([a-z" }'), 23, /"\(\[a-z" is not a pattern this engine runs/],
    ['invalid record pattern', edit(15, '  Item: { type: object, properties: { id: { type: string, pattern: "*" } } }'), 15, /"\*" is not a pattern this engine runs/],
    ['limit that does not fit the type', edit(23, '          after: { type: string, minimum: 1 }'), 23, /minimum applies to integer and number parameters, not string/],
    ['parameter without a type', edit(23, '          after: { description: the cursor }'), 23, /give the parameter a `type`/],
    ['missing required section', edit(5, ['serve:']).replace('  base_url: https://api.shop.test\n', ''), 5, /unknown key "serve"\. Did you mean "server"\?/],
  ];
  for (const [name, text, line, message] of cases) {
    it(`rejects: ${name}`, () => {
      rejects(text, line, message);
    });
  }

  // The components of manifest language 2, each broken once, each reported at its line.
  const componentCases: [string, string, number, RegExp][] = [
    ['unknown pagination type', edit(13, '  cursor: { type: cursr, param: after, next: next }'), 13, /must be one of "cursor", "next_url", "offset", "page_number", "none", found string "cursr"/],
    ['unknown auth method type', edit(8, ['  methods:', '    key: { type: apikey, in: header, name: X-Key, value: "{token}" }']).replace('  credential: token\n', ''), 9, /must be one of "bearer", "basic", "api_key", "oauth2", "none"/],
    ['a key of another pagination type', edit(13, '  cursor: { type: cursor, param: after, next: next, page_param: p }'), 13, /unknown key "page_param".*Allowed keys here: type, param, page_size_param/],
    ['a cursor with two sources', edit(13, '  cursor: { type: cursor, param: after, next: next, last_record: id }'), 13, /exactly one of `next`.*`next_header` or `last_record`/],
    ['an inline strategy of an unknown type', edit(26, '        pagination: { type: pages, param: after }'), 26, /must be one of "cursor", "next_url"/],
    ['a template naming no credential', edit(9, '  token: "{tokn}"'), 9, /"\{tokn\}" is not a declared credential or server variable \(declared: token\)/],
    ['a body parameter on a GET', edit(23, '          after: { type: string, in: body }'), 23, /a GET request has no body/],
    ['records with an unknown option', edit(24, '        records: { path: data, missing: skip }'), 24, /must be one of "error", "empty"/],
    ['a base URL placeholder that is no variable', edit(6, '  base_url: https://{tenant}.shop.test'), 6, /"\{tenant\}" in the URL is not a server variable: declare server\.variables\.tenant/],
    ['an error rule with an unknown class', `${BASE}errors:\n  rules:\n    - { status: 403, as: ratelimit }\n`, 35, /must be one of "authentication", "permission", "not_found", "conflict", "unprocessable", "rate_limit"/],
    ['an unknown reset format', `${BASE}errors:\n  rate_limit: { reset: X-Reset, reset_format: seconds }\n`, 34, /must be one of "epoch_seconds", "epoch_ms", "delta_seconds", "http_date", "iso8601"/],
    ['style on a scalar', edit(23, '          after: { type: string, style: comma }'), 23, /`style` says how an array goes into the query/],
    ['a page size parameter that is not declared', edit(13, '  cursor: { type: cursor, param: after, next: next, page_size_param: limit }'), 23, /sets the page size with "limit": declare params\.limit/],
    ['a pattern with a backreference', edit(23, '          after: { type: string, pattern: "^(a)\\\\1$" }'), 23, /no lookaround \(\?=, \?!\) and no backreferences/],
    ['a lookahead in a record pattern', edit(15, '  Item: { type: object, properties: { id: { type: string, pattern: "^(?=a)a+$" } } }'), 15, /not a pattern this engine runs/],
    ['a schema that is a reference to itself', edit(15, '  Item: { $ref: "#/schemas/Item" }'), 15, /a \$ref cycle that never reaches data \(Item → Item\)/],
    ['two schemas that refer to each other', edit(15, ['  Item: { allOf: [{ $ref: "#/schemas/Other" }] }', '  Other: { anyOf: [{ $ref: "#/schemas/Item" }, { type: string }] }']), 16, /a \$ref cycle that never reaches data \(Item → Other → Item\)/],
    ['a reference to a prototype member', edit(25, '        record: { $ref: "#/schemas/constructor" }'), 25, /"#\/schemas\/constructor" does not resolve/],
    ['unwrap on a list', edit(24, ['        records: data', '        unwrap: item']), 25, /`unwrap` is for actions that return one record/],
  ];
  for (const [name, text, line, message] of componentCases) {
    it(`rejects: ${name}`, () => {
      rejects(text, line, message);
    });
  }

  it('keeps recursive structures: a cycle through properties or items reaches data', () => {
    const m = parseManifest(edit(15, '  Item: { type: object, properties: { id: { type: string }, children: { type: array, items: { $ref: "#/schemas/Item" } }, parent: { $ref: "#/schemas/Item" } } }'), 'shop.yaml');
    assert.ok(m.schemas.Item);
  });

  it('expands shorthands into one form: an inline auth method, errors.list, records as a path', () => {
    const m = parseManifest(`${BASE}errors: { list: problems, code: kind, message: detail, request_id: [trace, { header: X-Trace }] }\n`, 'shop.yaml');
    assert.deepEqual(m.auth.methods, [{ type: 'bearer', id: 'bearer', token: '{token}' }]);
    assert.deepEqual(m.errors.details, [{ path: 'problems', code: 'kind', message: 'detail' }]);
    assert.deepEqual(m.errors.request_id, [{ path: 'trace' }, { header: 'X-Trace' }]);
    assert.deepEqual(m.entities.items!.actions.list!.records, { path: 'data' });
  });

  it('reports every problem at once, each with its own line', () => {
    const text = edit(25, '        recrod: { $ref: "#/schemas/Item" }').replace('        method: GET\n        path: /items/{id}', '        method: FETCH\n        path: /items/{id}');
    const err = rejects(text, 25, /unknown key "recrod"/);
    assert.ok(err.issues.some((i) => i.line === 28 && /must be one of/.test(i.message)), err.message);
  });

  it('caps YAML alias expansion', () => {
    const bomb = `${BASE}x-bomb:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n${Array.from({ length: 12 }, (_, i) => `  b${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`).join('\n')}\n`;
    assert.throws(() => parseManifest(bomb, 'bomb.yaml'), (err: unknown) => err instanceof ManifestError && /alias/i.test(err.message));
  });

  it('caps the file size and names an unreadable file', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const big = join(dir, 'big.yaml');
    await writeFile(big, `${BASE}#${'x'.repeat(2048)}\n`);
    await assert.rejects(loadManifest(big, { maxBytes: 1024 }), /over the 1024-byte limit/);
    await assert.rejects(loadManifest(join(dir, 'missing.yaml')), (err: unknown) => err instanceof ManifestError && /ENOENT/.test(err.message) && /missing\.yaml/.test(err.message));
  });
});

describe('embedded manifest', () => {
  it('is the same manifest as the YAML, and gives way to an edited YAML when run from the sources', async (t) => {
    const { fromEmbedded } = await import('../src/manifest/embedded.js');
    const { MANIFEST, SOURCE_SHA256 } = await import('../generated/manifest.js');
    const { readFile } = await import('node:fs/promises');
    const full = await loadManifest(DEFAULT_MANIFEST);
    assert.deepEqual(await fromEmbedded(MANIFEST, SOURCE_SHA256, DEFAULT_MANIFEST), full);

    const dir = await mkdtemp(join(tmpdir(), 'embedded-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const yaml = join(dir, 'connector.yaml');
    // Same embedded manifest, edited YAML: the edit must win.
    await writeFile(yaml, (await readFile(DEFAULT_MANIFEST, 'utf8')).replace('title: Contacts', 'title: People'));
    assert.equal((await fromEmbedded(MANIFEST, SOURCE_SHA256, yaml)).entities.contacts!.title, 'People');
    // A broken YAML fails with its line, whatever is embedded.
    await writeFile(yaml, 'manifest_version: 1\nconnector: [\n');
    await assert.rejects(fromEmbedded(MANIFEST, SOURCE_SHA256, yaml), ManifestError);
    // No YAML at all (a bundle, a serverless host): the embedded manifest.
    assert.equal((await fromEmbedded(MANIFEST, SOURCE_SHA256, join(dir, 'gone.yaml'))).entities.contacts!.title, full.entities.contacts!.title);
  });
});
