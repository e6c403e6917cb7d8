/** `list` and `describe`: what a manifest offers, as text for people or JSON for scripts. */
import { UsageError } from '../host/command.js';
import { pagedOf } from '../manifest/paging.js';
import { describeField, recordFields, renderType } from '../manifest/render-type.js';
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

  if (format === 'json') {
    return `${JSON.stringify(
      {
        operation: `${entity}.${action}`,
        method: a.method,
        path: a.path,
        ...(a.description ? { description: a.description } : {}),
        params: Object.entries(a.params).map(([name, p]) => ({ name, type: paramType(p), required: p.required, ...limitsOf(p), ...(p.description ? { description: p.description } : {}) })),
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

/** The declared limits of a parameter, as they are in the manifest. */
function limitsOf(p: ParamSpec): Partial<ParamSpec> {
  const keys = ['default', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'items'] as const;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (p[k] !== undefined) out[k] = p[k];
  return out as Partial<ParamSpec>;
}
