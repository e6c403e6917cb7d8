import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { ConfigurationError, createRuntime, DEFAULT_MANIFEST, parseManifest, ResponseError, type Manifest, type SchemaDrift } from '../src/index.js';

describe('response validation modes', () => {
  let sandbox: Sandbox;
  let drifting: Manifest;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 300 } });
    // The manifest forgets that the API sends the avatar as an object: every contact drifts.
    const text = (await readFile(DEFAULT_MANIFEST, 'utf8')).replace('        x-from: avatar.image_url\n', '');
    drifting = parseManifest(text, 'drifting.yaml');
  });
  after(() => sandbox.close());

  it("'warn' reports each drifting field once per operation and keeps the records", async () => {
    const drifts: SchemaDrift[] = [];
    const rt = await createRuntime({ manifest: drifting, baseUrl: sandbox.url, credentials: { access_token: sandbox.token }, validateResponses: 'warn', onDrift: (d) => drifts.push(d) });
    try {
      let n = 0;
      for await (const _ of rt.paginate({ entity: 'contacts', action: 'list', params: { per_page: 100 } })) n++;
      await rt.execute({ entity: 'contacts', action: 'get', params: { id: sandbox.dataset.contactAt(0).id } });
      assert.equal(n, 300, 'records are still delivered');
      assert.deepEqual(
        drifts.map((d) => [d.operation, d.field]),
        [
          ['contacts.list', '/avatar'],
          ['contacts.get', '/avatar'],
        ],
      );
      assert.match(drifts[0]!.message, /\/avatar must be string,null/);
    } finally {
      await rt.close();
    }
  });

  it("'strict' refuses the first drifting record; 'off' does not look", async () => {
    const strict = await createRuntime({ manifest: drifting, baseUrl: sandbox.url, credentials: { access_token: sandbox.token }, validateResponses: 'strict' });
    const off = await createRuntime({ manifest: drifting, baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    try {
      await assert.rejects(strict.execute({ entity: 'contacts', action: 'list' }), (err: unknown) => err instanceof ResponseError && /record 0 .* \/avatar must be string,null/.test(err.message));
      const { data } = await off.execute({ entity: 'contacts', action: 'list' });
      assert.equal((data as unknown[]).length, 50);
    } finally {
      await strict.close();
      await off.close();
    }
    await assert.rejects(createRuntime({ credentials: { access_token: 'test-token-x' }, validateResponses: 'loud' as 'warn' }), ConfigurationError);
  });
});
