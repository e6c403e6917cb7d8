import type { ParamSpec } from '../manifest/types.js';
import { ParameterError } from '../errors.js';
import { UsageError } from '../host/command.js';

/**
 * Turns `--param key=value` strings into the types the manifest declares, so that
 * `per_page=50` is the integer 50 and `include_count=true` the boolean true.
 * Unknown names pass through as strings: the runtime rejects them with the valid names.
 */
export function convertParams(pairs: string[], declared: Record<string, ParamSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects key=value, got ${JSON.stringify(pair)}.`);
    const key = pair.slice(0, eq);
    // defineProperty: a key such as __proto__ stays a key (the runtime then names it unknown).
    Object.defineProperty(out, key, { value: convertValue(key, pair.slice(eq + 1), Object.hasOwn(declared, key) ? declared[key] : undefined), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function convertValue(key: string, raw: string, spec: ParamSpec | undefined): unknown {
  switch (spec?.type) {
    case 'integer':
      if (!/^-?\d+$/.test(raw)) throw new ParameterError(`--param ${key}=${raw}: ${key} is an integer.`, key);
      return Number(raw);
    case 'number':
      if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw new ParameterError(`--param ${key}=${raw}: ${key} is a number.`, key);
      return Number(raw);
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new ParameterError(`--param ${key}=${raw}: ${key} is a boolean (true or false).`, key);
    case 'array': {
      // A JSON array, or a comma-separated list of strings (numbers when the items are numbers).
      if (raw.trimStart().startsWith('[')) return json(key, raw);
      const items = raw === '' ? [] : raw.split(',');
      const itemType = (spec.items as { type?: unknown } | undefined)?.type;
      return itemType === 'integer' || itemType === 'number' ? items.map((i) => convertValue(key, i, { ...spec, type: itemType })) : items;
    }
    case 'object':
      return json(key, raw);
    default:
      return raw;
  }
}

function json(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new ParameterError(`--param ${key}: not valid JSON (${(err as Error).message}); pass it as JSON, e.g. --params '{"${key}": ...}'.`, key);
  }
}

/** `--params '<json>'`: an object of parameters, typed already. */
export function parseParamsJson(json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--params is not valid JSON (${(err as Error).message}).`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--params must be a JSON object, e.g. \'{"per_page": 50}\'.');
  return value as Record<string, unknown>;
}

/**
 * `--fields id,email,custom_attributes.plan`: the field selection, as a list; undefined when
 * the flag is absent. The runtime checks the names against the record schema.
 */
export function parseFields(raw: unknown): string[] | undefined {
  if (typeof raw !== 'string') return undefined;
  const fields = raw.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (fields.length === 0) throw new UsageError('--fields expects field names separated by commas (e.g. id,email,custom_attributes.plan), or * for whole records.');
  return fields;
}
