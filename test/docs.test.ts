// docs/manifest.md stays true: every example loads, and every component type the loader
// accepts is documented.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { parseManifest } from '../src/index.js';
import { authMethodComponent, manifestMetaSchema, paginationComponent } from '../src/manifest/meta-schema.js';

const DOC = new URL('../docs/manifest.md', import.meta.url);
const BASE = {
  manifest_version: 1,
  connector: { name: 'example', version: '1.0.0' },
  server: { base_url: 'https://api.example.com' },
  entities: { things: { actions: { get: { method: 'GET', path: '/things', record: { type: 'object' } } } } },
};

function merge(base: unknown, extra: unknown): unknown {
  if (base === null || typeof base !== 'object' || Array.isArray(base) || extra === null || typeof extra !== 'object' || Array.isArray(extra)) return extra;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

describe('docs/manifest.md', () => {
  it('every yaml example, merged into a minimal manifest, loads', async () => {
    const text = await readFile(DOC, 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 15, `only ${blocks.length} examples`);
    for (const block of blocks) {
      const merged = merge(BASE, parse(block));
      assert.doesNotThrow(() => parseManifest(stringify(merged), 'docs example'), `this example does not load:\n${block}`);
    }
  });

  it('names every component type and option the loader accepts', async () => {
    const text = await readFile(DOC, 'utf8');
    const enumOf = (schema: unknown) => (schema as { properties: { type: { enum: string[] } } }).properties.type.enum;
    const s = manifestMetaSchema.properties;
    const action = s.entities.additionalProperties.properties.actions.additionalProperties.properties;
    const param = s.entities.additionalProperties.properties.actions.additionalProperties.properties.params.additionalProperties.properties;
    const errors = s.errors.properties;
    const lists: [string, readonly string[]][] = [
      ['pagination types', enumOf(paginationComponent)],
      ['auth method types', enumOf(authMethodComponent)],
      ['parameter types', param.type.enum],
      ['parameter locations', param.in.enum],
      ['array styles', param.style.enum],
      ['body formats', action.body_format.enum],
      ['error classes', errors.rules.items.properties.as.enum],
      ['reset formats', errors.rate_limit.properties.reset_format.enum],
      ['action keys', Object.keys(action)],
      ['entity keys', Object.keys(s.entities.additionalProperties.properties)],
      ['parameter keys', Object.keys(param).filter((k) => k !== '$ref')],
      ['top-level keys', Object.keys(s)],
    ];
    for (const [what, values] of lists) {
      for (const v of values) assert.ok(text.includes(`\`${v}\``) || text.includes(`### ${v}`), `${what}: "${v}" is not documented in docs/manifest.md`);
    }
  });
});
