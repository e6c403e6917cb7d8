import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { createRuntime, isConnectorError, loadManifest, ManifestError, parseManifest, type Manifest, type Runtime } from '../src/index.js';

// Fixed seeds: a failure reproduces; change them to explore further.
const SEED = 20261125;

/** Either a value or a ConnectorError; anything else (a TypeError, a hang) fails the property. */
async function settles(fn: () => unknown): Promise<'ok' | string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    if (!isConnectorError(err)) throw err;
    return err.code;
  }
}

describe('fuzz: random parameters against every operation', () => {
  let sandbox: Sandbox;
  let runtime: Runtime;
  let manifest: Manifest;

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 300, conversations: 50, companies: 40 } });
    runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token }, timeoutMs: 2000, retry: { limit: 0 } });
    manifest = runtime.manifest;
  });
  after(async () => {
    await runtime.close();
    await sandbox.close();
  });

  it('every call succeeds or throws a connector error, nothing else', async () => {
    const ops = Object.entries(manifest.entities).flatMap(([entity, e]) => Object.entries(e.actions).map(([action, a]) => ({ entity, action, names: Object.keys(a.params) })));
    const value = fc.oneof(
      fc.anything(),
      fc.integer({ min: -5, max: 500 }),
      fc.constantFrom('', '.', '..', '../admins', '%2F', 'a/b', '?x=1', '#frag', '\u0000', 'true', '150'),
      fc.string(),
    );
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ops),
        fc.boolean(),
        fc.dictionary(fc.oneof(fc.constantFrom('per_page', 'starting_after', 'id', 'include_count'), fc.string({ maxLength: 8 })), value, { maxKeys: 3 }),
        fc.oneof(fc.constant(undefined), fc.string({ maxLength: 6 })),
        async (op, useIds, params, strangeEntity) => {
          // Real ids half of the time, so that valid calls reach the API too.
          if (useIds && op.names.includes('id')) params = { id: firstId(op.entity) };
          const entity = strangeEntity ?? op.entity;
          const outcome = await settles(() => runtime.execute({ entity, action: op.action, params: params as Record<string, unknown> }));
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        },
      ),
      { numRuns: 2000, seed: SEED },
    );
    assert.ok((outcomes.get('ok') ?? 0) > 100, `valid calls reached the API: ${JSON.stringify([...outcomes])}`);
    assert.ok((outcomes.get('INVALID_PARAMETERS') ?? 0) > 100);
  });

  function firstId(entity: string): string {
    const d = sandbox.dataset;
    const byEntity: Record<string, () => string> = {
      contacts: () => d.contactAt(0).id,
      conversations: () => d.conversationAt(0).id,
      companies: () => d.companies[0]!.id,
      teams: () => d.teams[0]!.id,
      admins: () => d.admins[0]!.id,
      tags: () => d.tags[0]!.id,
      segments: () => d.segments[0]!.id,
    };
    return byEntity[entity]!();
  }
});

describe('fuzz: random and mutated manifests against the loader', () => {
  let text: string;
  let lines: string[];
  let tree: unknown;

  before(async () => {
    text = await readFile(new URL('./fixtures/books.yaml', import.meta.url), 'utf8');
    lines = text.split('\n');
    tree = parse(text);
  });

  /** Loading must end in a manifest or a ManifestError; a loaded one must also compile into a runtime. */
  async function loads(source: string): Promise<void> {
    let manifest: Manifest;
    try {
      manifest = parseManifest(source, 'fuzz.yaml');
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      assert.ok(err.issues.length > 0 && err.issues.every((i) => Number.isInteger(i.line) && i.message.length > 0));
      return;
    }
    const credentials = Object.fromEntries(Object.keys(manifest.auth.credentials).map((k) => [k, 'x']));
    const outcome = await settles(async () => (await createRuntime({ manifest, credentials, baseUrl: 'http://127.0.0.1:9' })).close());
    assert.ok(outcome === 'ok' || outcome === 'INVALID_CONFIGURATION' || outcome === 'MANIFEST_INVALID', outcome);
  }

  it('line-level mutations of a valid manifest', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete'), at: fc.nat() }),
      fc.record({ kind: fc.constant('duplicate'), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap'), at: fc.nat(), with: fc.nat() }),
      fc.record({ kind: fc.constant('char'), at: fc.nat(), col: fc.nat(), ch: fc.constantFrom(' ', ':', '-', '{', '}', '[', '"', "'", '&a', '*a', '#', '\t', 'x', '0', '|', '!') }),
      fc.record({ kind: fc.constant('insert'), at: fc.nat(), line: fc.string({ maxLength: 30 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const out = [...lines];
        for (const m of mutations) {
          const i = m.at % out.length;
          if (m.kind === 'delete') out.splice(i, 1);
          else if (m.kind === 'duplicate') out.splice(i, 0, out[i]!);
          else if (m.kind === 'swap') [out[i], out[m.with % out.length]] = [out[m.with % out.length]!, out[i]!];
          else if (m.kind === 'char') out[i] = out[i]!.slice(0, m.col % (out[i]!.length + 1)) + m.ch + out[i]!.slice((m.col % (out[i]!.length + 1)) + 1);
          else out.splice(i, 0, m.line);
        }
        await loads(out.join('\n'));
      }),
      { numRuns: 1000, seed: SEED },
    );
  });

  it('value-level mutations: any node replaced by any value or removed', async () => {
    const paths: (string | number)[][] = [];
    const walk = (node: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, Array.isArray(node) ? Number(k) : k]);
    };
    walk(tree, []);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })), async (path, value) => {
        const copy = structuredClone(tree) as Record<string, unknown>;
        let node: Record<string | number, unknown> = copy;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
        const last = path.at(-1)!;
        if (value === undefined) delete node[last];
        else node[last] = value;
        await loads(stringify(copy));
      }),
      { numRuns: 1000, seed: SEED },
    );
  });

  it('generated parameter declarations: any mix of keywords', async () => {
    const paramSpec = fc.record(
      {
        type: fc.constantFrom('string', 'integer', 'number', 'boolean'),
        in: fc.constantFrom('query', 'header', 'path'),
        required: fc.boolean(),
        minimum: fc.oneof(fc.integer(), fc.double({ noNaN: true })),
        maximum: fc.integer(),
        minLength: fc.integer({ min: -1, max: 5 }),
        maxLength: fc.nat(5),
        pattern: fc.oneof(fc.constantFrom('^[a-z]+$', '(', '[', '\\d+', '*'), fc.string({ maxLength: 5 })),
        enum: fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean()), { maxLength: 3 }),
        default: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null)),
        wire_name: fc.oneof(fc.constant('q'), fc.string({ maxLength: 4 })),
      },
      { requiredKeys: ['type'] },
    );
    await fc.assert(
      fc.asyncProperty(paramSpec, async (spec) => {
        const copy = structuredClone(tree) as { entities: { books: { actions: { list: { params: Record<string, unknown> } } } } };
        copy.entities.books.actions.list.params.extra = spec;
        await loads(stringify(copy));
      }),
      { numRuns: 1000, seed: SEED },
    );
  });

  it('random YAML documents', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.jsonValue().map((v) => stringify(v))), async (source) => {
        await loads(source);
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it('the shipped manifest still loads (the fuzzing started from valid input)', async () => {
    await loadManifest(new URL('../connector.yaml', import.meta.url).pathname);
    parseManifest(text);
  });
});
