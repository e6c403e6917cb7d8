// Fuzzing with hostile input: serve's API fed random auth_config, config and params (prototype
// member names, deep nesting, control characters, huge strings), and the loader fed hostile
// manifests. Only typed errors may come back, and the server stays up.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startSandbox } from '../sandbox/index.js';
import { DEFAULT_MANIFEST, ManifestError, parseManifest } from '../src/index.js';
import { api, closers, DEF, startServe } from './support/attack.js';

const SEED = 20261126;
const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'access_token', 'subdomain', ''), fc.string({ maxLength: 12 }));
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('a', 'x'.repeat(9000), 'sk_live\r\nX-Injected: 1', '\u0000', '../..', '%2e%2e', '{{7*7}}', '${env}', '<script>', 'tok"en\\'),
);
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 3 }),
  ),
})).value;

describe('fuzz: hostile input to serve', () => {
  it('instances and executes with random auth_config, config and params: typed 4xx answers, never a 500, always up', async () => {
    const sandbox = await startSandbox({ counts: { contacts: 20 } });
    closers.push(() => sandbox.close());
    const server = await startServe({ runtime: { baseUrl: sandbox.url, retry: { limit: 0 }, timeoutMs: 2000 } });
    const good = await api(server, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: { access_token: sandbox.token }, name: 'good' });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(hostileKey, hostileValue, { maxKeys: 4 }),
        fc.oneof(fc.constant(undefined), fc.dictionary(hostileKey, hostileValue, { maxKeys: 2 })),
        fc.constantFrom('contacts', 'tags', 'constructor', '__proto__', ''),
        fc.constantFrom('list', 'get', 'toString', ''),
        fc.dictionary(hostileKey, hostileValue, { maxKeys: 3 }),
        async (authConfig, config, entity, action, params) => {
          const created = await api(server, 'POST', '/api/v1/connectors/instances', { connector_definition_id: DEF, auth_config: authConfig, ...(config ? { config } : {}), name: 'fuzz' });
          const executed = await api(server, 'POST', `/api/v1/connectors/instances/${good.json.id}/execute`, { entity, action, params });
          for (const r of [created, executed]) {
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            assert.ok(r.status < 500 || r.status === 502 || r.status === 504, `${r.status}: ${r.text.slice(0, 300)}`);
            if (r.status >= 400) assert.equal(typeof r.json?.error?.code, 'string', r.text.slice(0, 300));
          }
        },
      ),
      { numRuns: 150, seed: SEED },
    );
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still up');
    assert.ok((statuses.get(400) ?? 0) > 0, 'the fuzz reached the checks');
  });
});

describe('fuzz: hostile manifests', () => {
  it('hostile fragments spliced into connector.yaml: a ManifestError or a manifest, nothing else', async () => {
    const base = await readFile(DEFAULT_MANIFEST, 'utf8');
    const lines = base.split('\n');
    const fragments = [
      'x: &a [*a]',
      '  __proto__: { type: string }',
      '      constructor: { $ref: "#/schemas/constructor" }',
      '  Loop: { $ref: "#/schemas/Loop" }',
      '          q: { type: string, pattern: "^(a+)+$" }',
      '          q: { type: string, pattern: "(?<=a)b" }',
      `  Deep: ${'{ properties: { a: '.repeat(200)}{}${' } }'.repeat(200)}`,
      '        path: "/contacts/{__proto__}"',
      '        records: "$..data"',
      '        pagination: { type: cursor, param: constructor, next: __proto__.x }',
      '    methods: { toString: { type: bearer, token: "{hasOwnProperty}" } }',
      '\u0000',
    ];
    await fc.assert(
      fc.property(fc.integer({ min: 0, max: lines.length }), fc.constantFrom(...fragments), fc.nat({ max: 3 }), (at, fragment, drop) => {
        const text = [...lines.slice(0, at), fragment, ...lines.slice(at + drop)].join('\n');
        try {
          parseManifest(text, 'hostile.yaml');
        } catch (err) {
          assert.ok(err instanceof ManifestError, `${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 300)}`);
        }
      }),
      { numRuns: 400, seed: SEED },
    );
  });
});
