import type * as AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { lazy } from '../lazy.js';
import { didYouMean } from '../suggest.js';
import { fromPointer, type DocPath } from './locate.js';
import { manifestMetaSchema } from './meta-schema.js';

/** A problem found in a manifest, before it is given a line number. */
export interface RawIssue {
  path: DocPath;
  /** Point at the key itself (an unknown or misspelt key) rather than its value. */
  atKey?: boolean;
  message: string;
}

const ajv = lazy<typeof AjvModule>('ajv');
// Compiled once per process, on first use: loading many manifests costs one compile.
let compiled: ValidateFunction | undefined;
function structureValidator(): ValidateFunction {
  return (compiled ??= new (ajv().Ajv)({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(
    manifestMetaSchema,
  ));
}

/** Checks a parsed manifest against the meta-schema; returns one readable issue per problem. */
export function checkStructure(value: unknown): RawIssue[] {
  const validateStructure = structureValidator();
  if (validateStructure(value)) return [];
  const errors = validateStructure.errors ?? [];
  // Wrapper errors (anyOf, if/then, propertyNames) repeat what their children say; keep
  // the one that speaks to the author and drop the rest. An anyOf whose value took one of
  // its shapes (a mapping that has the wrong key, say) is better told by that shape's errors.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const substantive = (a: ErrorObject) =>
    errors.filter(
      (c) => c.schemaPath.startsWith(`${a.schemaPath}/`) && c.keyword !== 'if' && (c.instancePath !== a.instancePath || (c.keyword !== 'type' && c.keyword !== 'required' && c.keyword !== 'anyOf')),
    );
  const told = new Set(anyOfs.filter((a) => substantive(a).length > 0));
  const issues: RawIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (e.propertyName !== undefined) continue;
    if (told.has(e)) continue;
    const inside = anyOfs.filter((a) => e.schemaPath.startsWith(`${a.schemaPath}/`));
    if (e.keyword !== 'anyOf' && inside.some((a) => !told.has(a) || !substantive(a).includes(e))) continue;
    const issue = describe(e);
    const key = `${issue.path.join('\u0000')}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function hint(e: ErrorObject): string {
  const d = (e.parentSchema as { description?: string } | undefined)?.description;
  return d ? `: ${d}` : '';
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function describe(e: ErrorObject): RawIssue {
  const path = fromPointer(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path, message: `missing required key "${String(p.missingProperty)}"; add it here` };
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        path: [...path, key],
        atKey: true,
        message: `unknown key "${key}".${didYouMean(key, allowed)}${allowed.length ? ` Allowed keys here: ${allowed.join(', ')}.` : ''} Fix its spelling or remove it`,
      };
    }
    case 'propertyNames':
      return {
        path: [...path, String(p.propertyName)],
        atKey: true,
        message: `invalid name "${String(p.propertyName)}"${nestedHint(e)}`,
      };
    case 'type':
      return { path, message: `must be ${String(p.type).replace(',', ' or ')}, found ${shown(e.data)}${hint(e)}` };
    case 'enum':
      return {
        path,
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, found ${shown(e.data)}`,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}, found ${shown(e.data)}${hint(e)}` };
    case 'pattern':
      return { path, message: `${shown(e.data)} is not valid${hint(e) || `: must match ${String(p.pattern)}`}` };
    case 'anyOf':
      return { path, message: `not valid${hint(e)}` };
    case 'minProperties':
      return { path, message: `must have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}` };
    default:
      return { path, message: `${e.message ?? 'is not valid'}${hint(e)}` };
  }
}

function nestedHint(e: ErrorObject): string {
  const d = (e.schema as { description?: string } | undefined)?.description;
  return d ? `: ${d}` : '';
}
