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
  const { view, ruleOnly } = typeView(manifest.schemas);
  for (const [name, schema] of Object.entries(manifest.schemas)) if (!ruleOnly.has(name)) definitions[name] = toTsSchema(schema, name, view);

  const operations: string[] = [];
  const aliases: string[] = [];
  for (const [entity, e] of Object.entries(manifest.entities)) {
    const lines: string[] = [];
    for (const [action, a] of Object.entries(e.actions)) {
      const names = operationNames(entity, action);
      if (Object.keys(a.params).length > 0) {
        definitions[names.params] = paramsSchema(names.params, `Parameters of ${entity}.${action}.`, a.params, view);
      } else {
        // An empty interface would accept any object; this rejects every parameter.
        aliases.push(`/** \`${entity}.${action}\` takes no parameters. */\nexport type ${names.params} = Record<string, never>;`);
      }
      let record = refName(a.record);
      if (!record) {
        record = names.record;
        definitions[record] = toTsSchema(a.record ?? {}, record, view);
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
    // A bounded array is an array, not a union of tuples of every length, and a non-empty one is
    // still an array: callers build filter lists with map and filter (the runtime checks the bounds).
    maxItems: -1,
    ignoreMinAndMaxItems: true,
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

/**
 * Keywords that only check values (`if`/`then` rules and their messages): a type cannot say
 * them, and json-schema-to-typescript would turn each into an index signature.
 */
const RULE_KEYWORDS = ['if', 'then', 'else', 'not', 'errorMessage'];
type TypeView = (node: unknown) => unknown;

/**
 * The schemas as types see them: rules dropped. A rule is an `allOf` entry that carries an
 * errorMessage or an if/then, or a reference to a shared schema made of rules only.
 */
function typeView(schemas: Record<string, JsonSchema>): { view: TypeView; ruleOnly: Set<string> } {
  const ruleOnly = new Set<string>();
  const isRule = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
    const s = e as JsonSchema;
    const name = refName(s);
    if (name) return ruleOnly.has(name);
    return RULE_KEYWORDS.some((k) => s[k] !== undefined);
  };
  // A schema of rules may name another: repeat until nothing new is found.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, s] of Object.entries(schemas)) {
      if (ruleOnly.has(name) || !Array.isArray(s.allOf)) continue;
      if (Object.keys(s).every((k) => k === 'allOf' || k === 'description' || k === '$comment') && s.allOf.every(isRule)) {
        ruleOnly.add(name);
        grew = true;
      }
    }
  }
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (RULE_KEYWORDS.includes(k) || k.startsWith('x-')) continue;
      if (k === 'allOf' && Array.isArray(v)) {
        const kept = v.filter((e) => !isRule(e)).map(strip);
        if (kept.length) out[k] = kept;
      } else out[k] = strip(v);
    }
    return out;
  };
  return { view: (node) => retarget(strip(node), (n) => `#/definitions/${n}`), ruleOnly };
}

function toTsSchema(schema: JsonSchema, name: string, forTypes: TypeView): unknown {
  const converted = forTypes(schema) as Record<string, unknown>;
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

function paramsSchema(title: string, description: string, params: Record<string, ParamSpec>, forTypes: TypeView): unknown {
  const properties: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    const prop: Record<string, unknown> = { type: p.type };
    for (const k of PARAM_KEYWORDS) if (p[k] !== undefined) prop[k] = p[k];
    for (const k of NESTED_KEYWORDS) if (p[k] !== undefined) prop[k] = markPermissive(forTypes(p[k]));
    // The value's own schema (a union, a query language) is its type: a `$ref` wins over `type`.
    if (p.schema) Object.assign(prop, markPermissive(forTypes(p.schema)));
    const bounds = [p.minimum !== undefined && `at least ${p.minimum}`, p.maximum !== undefined && `at most ${p.maximum}`].filter(Boolean);
    if (bounds.length) prop.description = `${p.description ?? ''}${p.description ? ' ' : ''}(${bounds.join(', ')})`;
    properties[name] = prop;
  }
  const required = Object.entries(params).filter(([, p]) => p.required).map(([n]) => n);
  return { title, description, type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}
