/** `list` and `describe`: what a manifest offers, as text for people or JSON for scripts. */
import { UsageError } from '../host/command.js';
import { pagedOf } from '../manifest/paging.js';
import { describeField, recordFields, refName, renderType } from '../manifest/render-type.js';
import { resolveSchema } from '../manifest/resolve-schema.js';
import type { JsonSchema, Manifest, ParamSpec } from '../manifest/types.js';
import { didYouMean } from '../suggest.js';

type InspectFormat = 'text' | 'json';

export function inspectFormat(raw: unknown): InspectFormat {
  if (raw === undefined) return 'text';
  if (raw === 'text' || raw === 'json') return raw;
  throw new UsageError(`--format must be text or json here, got ${JSON.stringify(raw)}.`);
}

/** `contacts.list` or `contacts list`, checked against the manifest with a suggestion for a near miss. */
export function parseOperation(positionals: string[], manifest: Manifest): { entity: string; action: string } {
  const [first, second] = positionals;
  if (!first) throw new UsageError('name an operation, e.g. contacts.list or "contacts list".');
  const [entity, action] = second ? [first, second] : (first.split('.') as [string, string | undefined]);
  const e = manifest.entities[entity];
  if (!action) throw new UsageError(`name the action too, e.g. ${e ? entity : Object.keys(manifest.entities)[0]}.${Object.keys(e?.actions ?? { list: 0 })[0]}.`);
  return { entity, action };
}

/** The same check the runtime makes, for commands that do not run one (describe). */
function knownOperation(manifest: Manifest, entity: string, action: string) {
  const e = manifest.entities[entity];
  if (!e) throw new UsageError(`unknown entity "${entity}".${didYouMean(entity, Object.keys(manifest.entities))} Entities: ${Object.keys(manifest.entities).join(', ')}.`);
  const a = e.actions[action];
  if (!a) throw new UsageError(`"${entity}" has no action "${action}".${didYouMean(action, Object.keys(e.actions))} Actions: ${Object.keys(e.actions).join(', ')}.`);
  return a;
}

export function listText(manifest: Manifest, format: InspectFormat): string {
  if (format === 'json') {
    const entities = Object.entries(manifest.entities).map(([name, e]) => ({
      entity: name,
      ...(e.title ? { title: e.title } : {}),
      actions: Object.entries(e.actions).map(([action, a]) => ({ action, method: a.method, path: a.path, list: a.records !== undefined, ...(a.description ? { description: a.description } : {}) })),
    }));
    return `${JSON.stringify({ connector: manifest.connector.name, entities }, null, 2)}\n`;
  }
  const width = Math.max(...Object.keys(manifest.entities).map((e) => e.length));
  return Object.entries(manifest.entities)
    .map(([entity, e]) => `${entity.padEnd(width)}  ${Object.keys(e.actions).join(', ')}\n`)
    .join('');
}

/** A parameter's type as a person reads it: `array<string>`, `"asc" | "desc"`. */
export function paramType(p: ParamSpec): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (p.type === 'array') return `array<${(p.items as { type?: unknown } | undefined)?.type ?? 'any'}>`;
  return p.type;
}

/** A parameter's limits in words: `1..150, default 50`. */
export function paramLimits(p: ParamSpec): string {
  const out: string[] = [];
  if (p.minimum !== undefined && p.maximum !== undefined) out.push(`${p.minimum}..${p.maximum}`);
  else if (p.minimum !== undefined) out.push(`>= ${p.minimum}`);
  else if (p.maximum !== undefined) out.push(`<= ${p.maximum}`);
  if (p.minLength !== undefined && p.maxLength !== undefined) out.push(`${p.minLength}..${p.maxLength} chars`);
  else if (p.maxLength !== undefined) out.push(`at most ${p.maxLength} chars`);
  else if (p.minLength !== undefined) out.push(`at least ${p.minLength} chars`);
  if (p.minItems !== undefined) out.push(`at least ${p.minItems} items`);
  if (p.maxItems !== undefined) out.push(`at most ${p.maxItems} items`);
  if (p.pattern !== undefined) out.push(`matches ${p.pattern}`);
  if (p.default !== undefined) out.push(`default ${JSON.stringify(p.default)}`);
  return out.join(', ');
}

export function describeText(manifest: Manifest, positionals: string[], format: InspectFormat): string {
  const { entity, action } = parseOperation(positionals, manifest);
  const a = knownOperation(manifest, entity, action);
  const fields = recordFields(a.record, manifest.schemas).map(([name, s]: [string, JsonSchema]) => ({ name, type: renderType(s, manifest.schemas), description: describeField(s, manifest.schemas) }));
  const paged = a.records ? pagedOf(manifest, a) : undefined;
  const meta = a.records
    ? [
        { name: 'next_page', type: 'string | null', description: paged ? `pass back as ${paged.param}; null on the last page` : 'always null: one answer holds every record' },
        ...(paged?.total ? [{ name: 'total_count', type: 'integer', description: 'records in the whole list' }] : []),
      ]
    : undefined;
  const params = Object.entries(a.params).map(([name, p]) => ({ name, type: paramType(p), required: p.required, limits: paramLimits(p), description: p.description ?? '' }));
  const shapes = Object.entries(a.params)
    .filter(([, p]) => p.schema)
    .map(([param, p]) => ({ param, objects: shapesOf(p.schema!, manifest.schemas) }))
    .filter((s) => s.objects.length > 0);

  if (format === 'json') {
    return `${JSON.stringify(
      {
        operation: `${entity}.${action}`,
        method: a.method,
        path: a.path,
        ...(a.description ? { description: a.description } : {}),
        params: Object.entries(a.params).map(([name, p]) => ({ name, type: paramType(p), required: p.required, ...limitsOf(p), ...(p.description ? { description: p.description } : {}) })),
        ...(shapes.length ? { shapes: Object.fromEntries(shapes.map((s) => [s.param, s.objects])) } : {}),
        record_fields: fields,
        ...(meta ? { meta } : {}),
      },
      null,
      2,
    )}\n`;
  }
  const out: string[] = [`${entity}.${action}: ${a.method} ${a.path}`];
  if (a.description) out.push(a.description);
  out.push('', 'Parameters:');
  if (params.length === 0) out.push('  (none)');
  const col = (k: 'name' | 'type' | 'limits') => Math.max(4, ...params.map((p) => p[k].length));
  for (const p of params) {
    out.push(`  ${p.name.padEnd(col('name'))}  ${p.type.padEnd(col('type'))}  ${(p.required ? 'required' : 'optional').padEnd(8)}  ${p.limits.padEnd(col('limits'))}  ${p.description}`.trimEnd());
  }
  for (const { param, objects } of shapes) {
    out.push('', `Shape of ${param}:`);
    for (const o of objects) {
      out.push(`  ${o.name}`);
      const w = Math.max(4, ...o.fields.map((f) => f.name.length));
      for (const f of o.fields) out.push(`    ${f.name.padEnd(w)}  ${f.type}${f.description ? `  (${f.description})` : ''}`);
    }
  }
  out.push('', 'Record fields:');
  const fw = Math.max(4, ...fields.map((f) => f.name.length));
  const tw = Math.max(4, ...fields.map((f) => f.type.length));
  for (const f of fields) out.push(`  ${f.name.padEnd(fw)}  ${f.type.padEnd(tw)}  ${f.description}`.trimEnd());
  if (meta) {
    out.push('', 'Meta:');
    for (const m of meta) out.push(`  ${m.name.padEnd(11)}  ${m.type.padEnd(13)}  ${m.description}`);
  }
  return `${out.join('\n')}\n`;
}

interface ShapeField {
  name: string;
  type: string;
  description: string;
}

/**
 * The objects a parameter's `schema` is made of (a filter, a group of filters), each with its
 * fields: what a caller may write, with every allowed value. Follows references through
 * anyOf/oneOf/allOf/then/else and array items; rules (errorMessage) are the runtime's to say.
 */
function shapesOf(schema: JsonSchema, schemas: Record<string, JsonSchema>): { name: string; fields: ShapeField[] }[] {
  const out: { name: string; fields: ShapeField[] }[] = [];
  const seen = new Set<string>();
  const queue: [string, JsonSchema][] = [];
  const visit = (node: unknown, name: string | undefined): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as JsonSchema;
    const ref = refName(s);
    if (ref) {
      if (!seen.has(ref)) {
        seen.add(ref);
        queue.push([ref, resolveSchema(s, schemas)]);
      }
      return;
    }
    if (s.properties && name !== undefined) {
      queue.push([name, s]);
      return;
    }
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(s[k])) for (const sub of s[k] as unknown[]) visit(sub, undefined);
    for (const k of ['then', 'else', 'items'] as const) visit(s[k], undefined);
  };
  visit(schema, 'value');
  while (queue.length) {
    const [name, s] = queue.shift()!;
    if (!s.properties) {
      visit({ ...s, $ref: undefined }, undefined);
      continue;
    }
    const fields = Object.entries(s.properties as Record<string, JsonSchema>).map(([field, f]) => {
      const values = allowedValues(f, schemas);
      visit(f, undefined);
      return { name: field, type: values ?? shapeType(f, schemas), description: describeField(f, schemas) };
    });
    out.push({ name, fields });
  }
  return out;
}

/** A field's type with the shapes it holds named (`array<ContactSearchFilter | ContactSearchInnerGroup>`). */
function shapeType(f: JsonSchema, schemas: Record<string, JsonSchema>, depth = 0): string {
  const name = refName(f);
  const s = resolveSchema(f, schemas);
  if (name && (s.properties || Array.isArray(s.anyOf))) return s.properties ? name : shapeType(s, schemas, depth + 1);
  if (depth < 4 && Array.isArray(s.anyOf) && (s.anyOf as JsonSchema[]).every((a) => refName(a))) return (s.anyOf as JsonSchema[]).map((a) => shapeType(a, schemas, depth + 1)).join(' | ');
  if (depth < 4 && s.type === 'array' && s.items && typeof s.items === 'object') return `array<${shapeType(s.items as JsonSchema, schemas, depth + 1)}>`;
  return renderType(f, schemas);
}

/** An enum (or enums and patterns in an anyOf) spelled out: `"AND" | "OR"`, `id | email | /^custom_attributes\..+$/`. */
function allowedValues(f: JsonSchema, schemas: Record<string, JsonSchema>): string | undefined {
  const s = resolveSchema(f, schemas);
  const parts = [s, ...(Array.isArray(s.anyOf) ? (s.anyOf as JsonSchema[]) : [])].flatMap((p) => [
    ...(Array.isArray(p.enum) ? p.enum.map((v) => JSON.stringify(v)) : []),
    ...(typeof p.const === 'string' ? [JSON.stringify(p.const)] : []),
    ...(typeof p.pattern === 'string' ? [`/${p.pattern}/`] : []),
  ]);
  return parts.length ? parts.join(' | ') : undefined;
}

/** The declared limits of a parameter, as they are in the manifest. */
function limitsOf(p: ParamSpec): Partial<ParamSpec> {
  const keys = ['default', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'items'] as const;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (p[k] !== undefined) out[k] = p[k];
  return out as Partial<ParamSpec>;
}
