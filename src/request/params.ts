import { ParameterError } from '../errors.js';
import type { ParamSpec } from '../manifest/types.js';
import { didYouMean } from '../suggest.js';

/** Validates a call's params; throws a ParameterError naming the parameter and the fix. */
export type ParamValidator = (params: unknown) => Record<string, unknown>;

type Check = (value: unknown) => string | undefined;

/**
 * Compiles the validator of one operation's params, once per operation. Parameters are
 * flat scalars with a handful of limits, so plain closures do what a JSON Schema validator
 * would, without loading and compiling one at start-up (see the README's benchmark).
 */
export function compileParamValidator(operation: string, params: Record<string, ParamSpec>): ParamValidator {
  const names = Object.keys(params);
  const checks = new Map<string, Check>(names.map((n) => [n, compileCheck(params[n]!)]));
  const required = names.filter((n) => params[n]!.required);
  const valid = names.length ? names.join(', ') : 'none';

  return (input) => {
    const value = input ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ParameterError(`${operation}: params must be an object such as { ${names[0] ?? 'name'}: ... }, got ${describe(value)}`);
    }
    const given = value as Record<string, unknown>;
    for (const name in given) {
      const check = checks.get(name);
      if (!check) {
        throw new ParameterError(`${operation}: unknown parameter "${name}".${didYouMean(name, names)} Valid parameters: ${valid}.`, name);
      }
      const v = given[name];
      if (v === undefined) continue;
      const expected = check(v);
      if (expected !== undefined) throw new ParameterError(`${operation}: parameter "${name}" must be ${expected}, got ${describe(v)}.`, name);
    }
    for (const name of required) {
      if (given[name] === undefined) {
        const p = params[name]!;
        throw new ParameterError(`${operation}: missing required parameter "${name}" (${p.type}${p.description ? `, ${p.description}` : ''}).`, name);
      }
    }
    return given;
  };
}

/** Returns what was expected when a value fails, else undefined. */
function compileCheck(p: ParamSpec): Check {
  const checks: Check[] = [];
  if (p.type === 'string') checks.push((v) => (typeof v === 'string' ? undefined : `a string`));
  else if (p.type === 'integer') checks.push((v) => (Number.isInteger(v) ? undefined : `an integer`));
  else if (p.type === 'number') checks.push((v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `a number`));
  else checks.push((v) => (typeof v === 'boolean' ? undefined : `a boolean`));

  if (p.enum) {
    const allowed = new Set<unknown>(p.enum);
    checks.push((v) => (allowed.has(v) ? undefined : `one of ${p.enum!.map((e) => JSON.stringify(e)).join(', ')}`));
  }
  if (p.minimum !== undefined) checks.push((v) => ((v as number) >= p.minimum! ? undefined : `at least ${p.minimum}`));
  if (p.maximum !== undefined) checks.push((v) => ((v as number) <= p.maximum! ? undefined : `at most ${p.maximum}`));
  // An empty path segment would address a different resource.
  const minLength = p.minLength ?? (p.in === 'path' && p.type === 'string' ? 1 : undefined);
  if (minLength !== undefined) {
    checks.push((v) => (length(v as string) >= minLength ? undefined : minLength === 1 ? 'a non-empty string' : `at least ${minLength} characters`));
  }
  if (p.maxLength !== undefined) checks.push((v) => (length(v as string) <= p.maxLength! ? undefined : `at most ${p.maxLength} characters`));
  if (p.pattern !== undefined) {
    const re = new RegExp(p.pattern, 'u');
    checks.push((v) => (re.test(v as string) ? undefined : `a string matching /${p.pattern}/`));
  }
  if (checks.length === 1) return checks[0]!;
  return (v) => {
    for (const check of checks) {
      const expected = check(v);
      if (expected !== undefined) return expected;
    }
    return undefined;
  };
}

/** Length in code points, as JSON Schema counts it. */
function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
