import { compile, type JSONSchema } from 'json-schema-to-typescript';
import type { JsonSchema, Manifest, ParamSpec } from '../../src/manifest/types.js';
import { GENERATED_BANNER, operationNames } from './names.js';
import { refName, retarget } from '../../src/manifest/render-type.js';

const PARAM_KEYWORDS = ['description', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'default', 'minItems', 'maxItems'] as const;
/** Keywords of object and array parameters that hold schemas (their references point at the shared types). */
const NESTED_KEYWORDS = ['items', 'properties', 'additionalProperties'] as const;

/**
 * `types.ts`: one named type per shared schema, one params type per operation, and the
 * `Operations` map that types `runtime.execute` and `runtime.paginate`.
 */
export async function generateTypes(manifest: Manifest, engineImport: string): Promise<string> {
  const definitions: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(manifest.schemas)) definitions[name] = toTsSchema(schema, name);

  const operations: string[] = [];
  const aliases: string[] = [];
  for (const [entity, e] of Object.entries(manifest.entities)) {
    const lines: string[] = [];
    for (const [action, a] of Object.entries(e.actions)) {
      const names = operationNames(entity, action);
      if (Object.keys(a.params).length > 0) {
        definitions[names.params] = paramsSchema(names.params, `Parameters of ${entity}.${action}.`, a.params);
      } else {
        // An empty interface would accept any object; this rejects every parameter.
        aliases.push(`/** \`${entity}.${action}\` takes no parameters. */\nexport type ${names.params} = Record<string, never>;`);
      }
      let record = refName(a.record);
      if (!record) {
        record = names.record;
        definitions[record] = toTsSchema(a.record ?? {}, record);
      }
      const result = a.records ? `ListResult<${record}>` : `GetResult<${record}>`;
      aliases.push(`/** What \`${entity}.${action}\` returns. */\nexport type ${names.result} = ${result};`);
      lines.push(`    ${action}: { params: ${names.params}; record: ${record}; result: ${names.result} };`);
    }
    operations.push(`  ${entity}: {\n${lines.join('\n')}\n  };`);
  }

  const root = { title: 'ManifestTypes', type: 'object', additionalProperties: false, properties: {}, definitions };
  let body = await compile(root as JSONSchema, 'ManifestTypes', {
    bannerComment: '',
    unreachableDefinitions: true,
    additionalProperties: false,
    unknownAny: true,
    strictIndexSignatures: true,
    // A bounded array is an array, not a union of tuples of every length.
    maxItems: -1,
    format: true,
    style: { singleQuote: true, printWidth: 120 },
  });
  // json-schema-to-typescript notes where each type came from and emits the empty root; neither helps a reader.
  body = body
    .replace(/^ \*\n \* This interface was referenced by `ManifestTypes`'s JSON-Schema\n \* via the `definition` "[^"]+"\.\n/gm, '')
    .replace(/^\/\*\*\n \* This interface was referenced by `ManifestTypes`'s JSON-Schema\n \* via the `definition` "[^"]+"\.\n \*\/\n/gm, '')
    .replace(/^export interface ManifestTypes \{\}\n/m, '')
    .trim();

  return [
    `// ${GENERATED_BANNER}`,
    `import type { GetResult, ListResult } from '${engineImport}';`,
    '',
    body,
    '',
    aliases.join('\n'),
    '',
    `/** Every operation of the ${manifest.connector.name} connector, keyed by entity and action. */`,
    // An alias, not an interface: only aliases fit the engine's index-signature constraint.
    'export type Operations = {',
    ...operations,
    '};',
    '',
  ].join('\n');
}

function toTsSchema(schema: JsonSchema, name: string): unknown {
  const converted = retarget(schema, (n) => `#/definitions/${n}`, (k) => k.startsWith('x-')) as Record<string, unknown>;
  return { ...markPermissive(converted), title: name };
}

/** `anyOf: [..., {}]` accepts anything: say `unknown` rather than a union that collapses to it. */
function markPermissive(node: unknown): any {
  if (Array.isArray(node)) return node.map(markPermissive);
  if (node === null || typeof node !== 'object') return node;
  const s = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = markPermissive(v);
  if (Array.isArray(s.anyOf) && s.anyOf.some((a) => a && typeof a === 'object' && Object.keys(a).length === 0)) out.tsType = 'unknown';
  // An object with no declared fields is a free-form map, not an empty object.
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('object') && s.properties === undefined && s.additionalProperties === undefined) out.additionalProperties = true;
  return out;
}

function paramsSchema(title: string, description: string, params: Record<string, ParamSpec>): unknown {
  const properties: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    const prop: Record<string, unknown> = { type: p.type };
    for (const k of PARAM_KEYWORDS) if (p[k] !== undefined) prop[k] = p[k];
    for (const k of NESTED_KEYWORDS) if (p[k] !== undefined) prop[k] = markPermissive(retarget(p[k], (n) => `#/definitions/${n}`, (key) => key.startsWith('x-')));
    const bounds = [p.minimum !== undefined && `at least ${p.minimum}`, p.maximum !== undefined && `at most ${p.maximum}`].filter(Boolean);
    if (bounds.length) prop.description = `${p.description ?? ''}${p.description ? ' ' : ''}(${bounds.join(', ')})`;
    properties[name] = prop;
  }
  const required = Object.entries(params).filter(([, p]) => p.required).map(([n]) => n);
  return { title, description, type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}
