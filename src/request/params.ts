import { ParameterError } from '../errors.js';
import { resolveSchema } from '../manifest/resolve-schema.js';
import { refName } from '../manifest/render-type.js';
import type { JsonSchema, ParamSpec } from '../manifest/types.js';
import { compilePattern } from '../regex.js';
import { didYouMean } from '../suggest.js';

/** Validates a call's params and fills their defaults; throws a ParameterError naming the parameter and the fix. */
export type ParamValidator = (params: unknown) => Record<string, unknown>;

/** Returns what was expected when a value fails (with where, for nested values), else undefined. */
type Check = (value: unknown) => string | undefined;

/** The longest string a parameter takes when its manifest sets no maxLength. */
export const DEFAULT_MAX_STRING = 16_384;

/**
 * Compiles the validator of one operation's params, once per operation. Plain closures do
 * what a JSON Schema validator would (types, limits, enums, nested objects and arrays of
 * bodies), without loading and compiling one at start-up (see the README's benchmark).
 */
export function compileParamValidator(operation: string, params: Record<string, ParamSpec>, schemas: Record<string, JsonSchema> = {}, rules: JsonSchema[] = []): ParamValidator {
  const names = Object.keys(params);
  // A string parameter is bounded even when its manifest says nothing: no caller sends megabytes in a query.
  const bounded = (p: ParamSpec) => (p.type === 'string' && p.maxLength === undefined ? { ...p, maxLength: DEFAULT_MAX_STRING } : p);
  const checks = new Map<string, Check>(names.map((n) => [n, compileParam(bounded(params[n]!), schemas)]));
  const required = names.filter((n) => params[n]!.required);
  const defaults = names.filter((n) => params[n]!.default !== undefined).map((n) => [n, params[n]!.default] as const);
  const valid = names.length ? names.join(', ') : 'none';
  const ruleChecks = rules.map((r) => compileCheck(r, schemas));

  return (input) => {
    const value = input ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ParameterError(`${operation}: params must be an object such as { ${names[0] ?? 'name'}: ... }, got ${describe(value)}`);
    }
    const given = value as Record<string, unknown>;
    for (const name in given) {
      const check = Object.hasOwn(given, name) ? checks.get(name) : undefined;
      if (!check) {
        throw new ParameterError(`${operation}: unknown parameter "${name}".${didYouMean(name, names)} Valid parameters: ${valid}.`, name);
      }
      const v = given[name];
      if (v === undefined) continue;
      if (tooDeep(v)) throw new ParameterError(`${operation}: parameter "${name}" is nested more than ${MAX_VALUE_DEPTH} levels deep; no API takes that.`, name);
      const expected = check(v);
      if (expected !== undefined) {
        // A nested value is named by its path: parameter "filter_groups[0].operator" must be ...
        const [, inner = '', rest = expected] = /^([.[][^ ]*)( .*)$/.exec(expected) ?? [];
        throw new ParameterError(`${operation}: parameter "${name}${inner}"${rest}.`, name);
      }
    }
    for (const name of required) {
      if (given[name] === undefined) {
        const p = params[name]!;
        throw new ParameterError(`${operation}: missing required parameter "${name}" (${p.type}${p.description ? `, ${p.description}` : ''}).`, name);
      }
    }
    for (const rule of ruleChecks) {
      // Left-out values (undefined) do not count as given.
      const broken = rule(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
      if (broken !== undefined) throw new ParameterError(`${operation}: the parameters${broken}.`);
    }
    if (defaults.length === 0) return given;
    const filled = { ...given };
    for (const [name, v] of defaults) if (filled[name] === undefined) filled[name] = v;
    return filled;
  };
}

/** A parameter's own keywords, then the JSON Schema its `schema` adds (a query language, a union). */
function compileParam(p: ParamSpec, schemas: Record<string, JsonSchema>): Check {
  const own = compileCheck(p as unknown as JsonSchema, schemas, p.in === 'path');
  if (!p.schema) return own;
  const extra = compileCheck(p.schema, schemas);
  return (v) => own(v) ?? extra(v);
}

/**
 * A check for one value against a (small) JSON Schema: type, enum, const, numeric and
 * length limits, pattern, items, properties, required, additionalProperties, allOf,
 * if/then/else, not, anyOf/oneOf and `#/schemas/X` references. Messages read "<where> must
 * be <what>, got <value>"; a schema's `errorMessage` replaces the message of anything
 * failing inside it, with `{key}` filled from the value (the rule a caller broke, in words).
 */
function compileCheck(raw: JsonSchema, schemas: Record<string, JsonSchema>, pathSegment = false, depth = 0): Check {
  const ref = plainRef(raw, schemas);
  if (ref !== undefined) return refCheck(ref, schemas);
  const s = resolveSchema(raw, schemas);
  // Shared schemas are compiled once, by name (refCheck): only a schema written out this deep gets here.
  if (depth > 64) return () => ' is nested more deeply than this engine checks (64 levels)';
  const checks: Check[] = [];
  const types = (Array.isArray(s.type) ? s.type : typeof s.type === 'string' ? [s.type] : []) as string[];
  if (types.length) {
    const expected = types.map(article).join(' or ');
    checks.push((v) => (types.some((t) => isType(v, t)) ? undefined : ` must be ${expected}, got ${describe(v)}`));
  }
  if (Array.isArray(s.enum)) {
    const allowed = new Set<unknown>(s.enum);
    const list = s.enum.map((e) => JSON.stringify(e)).join(', ');
    checks.push((v) => (allowed.has(v) ? undefined : ` must be one of ${list}, got ${describe(v)}`));
  }
  if (s.const !== undefined) checks.push((v) => (v === s.const ? undefined : ` must be ${JSON.stringify(s.const)}, got ${describe(v)}`));
  const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const minimum = num('minimum');
  const maximum = num('maximum');
  if (minimum !== undefined) checks.push((v) => (typeof v !== 'number' || v >= minimum ? undefined : ` must be at least ${minimum}, got ${describe(v)}`));
  if (maximum !== undefined) checks.push((v) => (typeof v !== 'number' || v <= maximum ? undefined : ` must be at most ${maximum}, got ${describe(v)}`));
  // An empty path segment would address a different resource.
  const minLength = num('minLength') ?? (pathSegment && types.includes('string') ? 1 : undefined);
  const maxLength = num('maxLength');
  if (minLength !== undefined) {
    checks.push((v) => (typeof v !== 'string' || length(v) >= minLength ? undefined : `${minLength === 1 ? ' must be a non-empty string' : ` must be at least ${minLength} characters`}, got ${describe(v)}`));
  }
  if (maxLength !== undefined) checks.push((v) => (typeof v !== 'string' || length(v) <= maxLength ? undefined : ` must be at most ${maxLength} characters, got ${describe(v)}`));
  if (typeof s.pattern === 'string') {
    const source = s.pattern;
    // Compiled on the first value it checks: the loader has vetted it, and a call that never
    // reaches it (a bundle without the RE2 module, a known field before a pattern) never loads RE2.
    let re: ReturnType<typeof compilePattern> | undefined;
    checks.push((v) => (typeof v !== 'string' || (re ??= compilePattern(source)).test(v) ? undefined : ` must be a string matching /${source}/, got ${describe(v)}`));
  }
  const minItems = num('minItems');
  const maxItems = num('maxItems');
  if (minItems !== undefined) checks.push((v) => (!Array.isArray(v) || v.length >= minItems ? undefined : ` must have at least ${minItems} items`));
  if (maxItems !== undefined) checks.push((v) => (!Array.isArray(v) || v.length <= maxItems ? undefined : ` must have at most ${maxItems} items`));
  if (s.items && typeof s.items === 'object' && !Array.isArray(s.items)) {
    const item = compileCheck(s.items as JsonSchema, schemas, false, depth + 1);
    checks.push((v) => {
      if (!Array.isArray(v)) return undefined;
      for (let i = 0; i < v.length; i++) {
        const e = item(v[i]);
        if (e !== undefined) return `[${i}]${e}`;
      }
      return undefined;
    });
  }
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const propChecks = Object.entries(properties).map(([k, p]) => [k, compileCheck(p, schemas, false, depth + 1)] as const);
  const required = Array.isArray(s.required) ? (s.required as string[]) : [];
  const additional = s.additionalProperties;
  const extraCheck = additional && typeof additional === 'object' ? compileCheck(additional as JsonSchema, schemas, false, depth + 1) : undefined;
  if (propChecks.length || required.length || additional !== undefined) {
    checks.push((v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      const o = v as Record<string, unknown>;
      for (const k of required) if (o[k] === undefined) return `.${k} is required`;
      for (const [k, check] of propChecks) {
        if (o[k] === undefined) continue;
        const e = check(o[k]);
        if (e !== undefined) return `.${k}${e}`;
      }
      for (const k of Object.keys(o)) {
        if (Object.hasOwn(properties, k)) continue;
        if (additional === false) return `.${k} is not allowed (allowed: ${Object.keys(properties).join(', ') || 'none'})`;
        if (extraCheck) {
          const e = extraCheck(o[k]);
          if (e !== undefined) return `.${k}${e}`;
        }
      }
      return undefined;
    });
  }
  // Rules before alternatives: a rule's own message says more than "matches none of the forms".
  if (Array.isArray(s.allOf)) for (const part of s.allOf) checks.push(compileCheck(part as JsonSchema, schemas, false, depth + 1));
  if (isSchema(s.if) && (isSchema(s.then) || isSchema(s.else))) {
    const condition = compileCheck(s.if, schemas, false, depth + 1);
    const then = isSchema(s.then) ? compileCheck(s.then, schemas, false, depth + 1) : undefined;
    const otherwise = isSchema(s.else) ? compileCheck(s.else, schemas, false, depth + 1) : undefined;
    checks.push((v) => (condition(v) === undefined ? then?.(v) : otherwise?.(v)));
  }
  if (isSchema(s.not)) {
    const negated = compileCheck(s.not, schemas, false, depth + 1);
    checks.push((v) => (negated(v) === undefined ? ` must not be ${describe(v)}` : undefined));
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (!Array.isArray(options)) continue;
    const alternatives = options.map((o) => compileCheck(o as JsonSchema, schemas, false, depth + 1));
    checks.push((v) => {
      const failures: string[] = [];
      for (const a of alternatives) {
        const f = a(v);
        if (f === undefined) return undefined;
        failures.push(f);
      }
      return failures.find((f) => !f.startsWith(' must be ')) ?? ` matches none of the allowed forms (${failures.map((f) => f.trim()).join('; ')})`;
    });
  }
  const all: Check =
    checks.length === 1
      ? checks[0]!
      : (v) => {
          for (const check of checks) {
            const e = check(v);
            if (e !== undefined) return e;
          }
          return undefined;
        };
  const message = s.errorMessage;
  if (typeof message !== 'string') return all;
  return (v) => (all(v) === undefined ? undefined : ` ${fillMessage(message, v)}`);
}

/** The shared schema a node only points at (`{ $ref }`, maybe with a description), if any. */
function plainRef(raw: JsonSchema, schemas: Record<string, JsonSchema>): string | undefined {
  const name = refName(raw);
  return name !== undefined && Object.hasOwn(schemas, name) && Object.keys(raw).every((k) => k === '$ref' || k === 'description') ? name : undefined;
}

const refChecks = new WeakMap<Record<string, JsonSchema>, Map<string, Check>>();

/**
 * The check of a shared schema, compiled once per manifest and on first use: a recursive
 * schema (an expression of and/or/not over itself) costs one compile per name, not one per
 * level, and the operations that share a query language share its checks.
 */
function refCheck(name: string, schemas: Record<string, JsonSchema>): Check {
  let byName = refChecks.get(schemas);
  if (!byName) refChecks.set(schemas, (byName = new Map()));
  let check = byName.get(name);
  if (!check) {
    let compiled: Check | undefined;
    check = (v) => (compiled ??= compileCheck(schemas[name]!, schemas))(v);
    byName.set(name, check);
  }
  return check;
}

/** Input nested deeper than this is refused before any schema sees it: a recursive schema would follow it down the stack. */
const MAX_VALUE_DEPTH = 64;

function tooDeep(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_VALUE_DEPTH) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `{operator}` in an errorMessage becomes the value's own `operator`, as JSON and cut short. */
function fillMessage(message: string, v: unknown): string {
  return message.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, key: string) => {
    if (!isSchema(v) || !Object.hasOwn(v, key)) return whole;
    return shortJson(v[key]);
  });
}

/**
 * A value as JSON for a message, or only its length when long: as in describe(), a long value
 * is not quoted, not even in part (it may be a secret pasted in the wrong place).
 */
export function shortJson(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 42 ? `(a value of ${text.length} characters)` : text;
}

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return true;
  }
}

function article(t: string): string {
  return t === 'integer' || t === 'array' || t === 'object' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`;
}

/** Length in code points, as JSON Schema counts it. */
function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  // A long string is not quoted, not even in part: it may be a secret pasted in the wrong place,
  // and a prefix of one is something no redactor recognises.
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
