import { Ajv, type ErrorObject } from 'ajv';
import { ParameterError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import type { ParamSpec } from '../manifest/types.js';

/** Validates a call's params; throws a ParameterError naming the parameter and the fix. */
export type ParamValidator = (params: unknown) => Record<string, unknown>;

// One Ajv per process: operations from every runtime share its compiled-schema cache.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

const KEYWORDS = ['enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern'] as const;

/** Compiles the validator of one operation's params; called once per operation at load. */
export function compileParamValidator(operation: string, params: Record<string, ParamSpec>): ParamValidator {
  const names = Object.keys(params);
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [name, p] of Object.entries(params)) {
    const schema: Record<string, unknown> = { type: p.type };
    for (const k of KEYWORDS) if (p[k] !== undefined) schema[k] = p[k];
    // An empty path segment would address a different resource.
    if (p.in === 'path' && p.type === 'string' && p.minLength === undefined) schema.minLength = 1;
    properties[name] = schema;
  }
  const required = names.filter((n) => params[n]!.required);
  const validate = ajv.compile({ type: 'object', properties, required, additionalProperties: false });
  const valid = names.length ? names.join(', ') : 'none';

  return (input) => {
    const value = input ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ParameterError(`${operation}: params must be an object such as { ${names[0] ?? 'name'}: ... }, got ${describe(value)}`);
    }
    if (validate(value)) return value as Record<string, unknown>;
    throw toParameterError(operation, validate.errors![0]!, params, valid, value as Record<string, unknown>);
  };
}

function toParameterError(
  operation: string,
  e: ErrorObject,
  params: Record<string, ParamSpec>,
  valid: string,
  value: Record<string, unknown>,
): ParameterError {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    const name = String(p.additionalProperty);
    return new ParameterError(`${operation}: unknown parameter "${name}".${didYouMean(name, Object.keys(params))} Valid parameters: ${valid}.`, name);
  }
  if (e.keyword === 'required') {
    const name = String(p.missingProperty);
    return new ParameterError(
      `${operation}: missing required parameter "${name}" (${params[name]!.type}${params[name]!.description ? `, ${params[name]!.description}` : ''}).`,
      name,
    );
  }
  const name = e.instancePath.slice(1);
  const got = describe(value[name]);
  const spec = params[name]!;
  let expected: string;
  switch (e.keyword) {
    case 'type':
      expected = `${spec.type === 'integer' ? 'an' : 'a'} ${spec.type}`;
      break;
    case 'enum':
      expected = `one of ${spec.enum!.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'minimum':
      expected = `at least ${spec.minimum}`;
      break;
    case 'maximum':
      expected = `at most ${spec.maximum}`;
      break;
    case 'maxLength':
      expected = `at most ${spec.maxLength} characters`;
      break;
    case 'pattern':
      expected = `a string matching /${spec.pattern}/`;
      break;
    case 'minLength':
      expected = spec.minLength ? `at least ${spec.minLength} characters` : 'a non-empty string';
      break;
    default:
      expected = `a value that ${e.message ?? 'is valid'}`;
  }
  return new ParameterError(`${operation}: parameter "${name}" must be ${expected}, got ${got}.`, name);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
