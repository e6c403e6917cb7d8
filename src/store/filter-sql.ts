/**
 * The native search's filter language (`{ field, operator, value }`, AND/OR groups) as SQL
 * over stored JSON, for SQLite and PostgreSQL alike, with the native search's meaning:
 * strings match ignoring case, a negated operator is the complement of its positive one (a
 * record without the field matches `!=`), and comparisons only hold between like types.
 * Values always travel as bound parameters; a field path only as a quoted JSON path.
 */
import { ParameterError } from '../errors.js';
import type { StoreFilter } from './types.js';

export type Dialect = 'sqlite' | 'postgres';

/** How deep groups may nest and how many filters one may hold: the native search's limits, and a bound on the SQL. */
const MAX_DEPTH = 4;
const MAX_FILTERS = 100;
const FIELD = /^[A-Za-z0-9_$][A-Za-z0-9_$ -]*(\.[A-Za-z0-9_$][A-Za-z0-9_$ -]*){0,7}$/;

/** Bound values one search may carry: within SQLite's and PostgreSQL's limits, with room to spare. */
export const MAX_VALUES = 2000;

/** Collects bound values and names them as each dialect does (`?` or `$n`). */
export class Params {
  readonly values: unknown[] = [];
  /**
   * @param columns SQLite only: fields whose value a column beside the record holds (the store
   * keeps it equal to the record's), by field path; filters and sorts on them read the column.
   */
  constructor(
    readonly dialect: Dialect,
    readonly columns: ReadonlyMap<string, string> = new Map(),
  ) {}
  add(v: unknown): string {
    if (this.values.length >= MAX_VALUES) throw bad(`a search carries at most ${MAX_VALUES} values in all (IN lists included); split it into several`);
    this.values.push(v);
    return this.dialect === 'sqlite' ? '?' : `$${this.values.length}`;
  }
}

/** A dotted field path, checked: it becomes part of the SQL text, quoted. */
export function fieldSteps(field: unknown): string[] {
  if (typeof field !== 'string' || !FIELD.test(field)) {
    throw new ParameterError(`store search: field ${JSON.stringify(field)} is not a dotted path of record fields such as "email" or "custom_attributes.plan".`, 'where');
  }
  return field.split('.');
}

/**
 * The JSON value at a path (SQLite: its SQL value; PostgreSQL: jsonb). PostgreSQL steps with
 * `->` and a text key, not `#>`: a path step such as "0" then names an object key only, as
 * SQLite's quoted path does, instead of also indexing into an array.
 */
export function jsonAt(steps: string[], dialect: Dialect): string {
  if (dialect === 'sqlite') return `json_extract(record, ${sqlitePath(steps)})`;
  return `(record${steps.map((s) => ` -> '${s}'`).join('')})`;
}

/** SQLite: a path as a quoted JSON path literal, each step a key (never an array index). */
function sqlitePath(steps: string[]): string {
  return `'$${steps.map((s) => `."${s}"`).join('')}'`;
}

/** A field's SQL value as a filter reads it: its column where the store keeps one, else from the JSON. */
function valueAt(steps: string[], params: Params): string {
  return params.columns.get(steps.join('.')) ?? jsonAt(steps, params.dialect);
}

/** The text at a path (for string matching). */
function textAt(steps: string[], dialect: Dialect): string {
  if (dialect === 'sqlite') return jsonAt(steps, dialect);
  return `(record${steps.slice(0, -1).map((s) => ` -> '${s}'`).join('')} ->> '${steps[steps.length - 1]}')`;
}

/**
 * PostgreSQL: the string at a path, or NULL when the value there is not a string. Ordering
 * comparisons of strings go through it, so that they hold between strings only.
 */
function stringAt(steps: string[]): string {
  return `(CASE WHEN jsonb_typeof(${jsonAt(steps, 'postgres')}) = 'string' THEN ${textAt(steps, 'postgres')} END)`;
}

/** The number at a path, or NULL when the value there is not a number. */
export function numberAt(steps: string[], dialect: Dialect, params?: Params): string {
  const v = params ? valueAt(steps, params) : jsonAt(steps, dialect);
  if (dialect === 'sqlite') return `(CASE WHEN json_type(record, ${sqlitePath(steps)}) IN ('integer', 'real') THEN ${v} END)`;
  return `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v})::numeric END)`;
}

/**
 * The SQL condition of a filter; its values are added to `params`. Throws a ParameterError
 * naming what is wrong (a field that is not a path, an operator, a value of no use).
 *
 * @example
 * const p = new Params('sqlite');
 * compileFilter({ field: 'email', operator: '~', value: 'example.com' }, p); // "json_extract(record, '$.\"email\"') LIKE ? ESCAPE '\\'"
 */
export function compileFilter(filter: StoreFilter, params: Params, depth = 0): string {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw bad('each filter must be { field, operator, value } or { operator: AND | OR, value: [...] }');
  if (!('field' in filter)) {
    const { operator, value } = filter as { operator: unknown; value: unknown };
    if (operator !== 'AND' && operator !== 'OR') throw bad(`a group's operator must be AND or OR, got ${JSON.stringify(operator)}`);
    if (!Array.isArray(value) || value.length === 0) throw bad('a group needs a non-empty list of filters in value');
    if (depth >= MAX_DEPTH) throw bad(`groups nest at most ${MAX_DEPTH} levels deep`);
    if (value.length > MAX_FILTERS) throw bad(`a group holds at most ${MAX_FILTERS} filters`);
    return `(${value.map((f) => compileFilter(f as StoreFilter, params, depth + 1)).join(` ${operator} `)})`;
  }
  const { field, operator, value } = filter as { field: unknown; operator: unknown; value: unknown };
  const steps = fieldSteps(field);
  const d = params.dialect;
  const not = (positive: string) => (d === 'sqlite' ? `NOT COALESCE(${positive}, 0)` : `NOT COALESCE(${positive}, false)`);
  switch (operator) {
    case '=':
      return equals(steps, value, params);
    case '!=':
      return not(equals(steps, value, params));
    case 'IN':
    case 'NIN': {
      if (!Array.isArray(value) || value.length === 0) throw bad(`${operator} takes a non-empty list of values`);
      if (value.length > 1000) throw bad(`${operator} takes at most 1,000 values`);
      // Strings (and numbers) as one IN list each: an OR per value would nest past SQLite's
      // expression depth (1,000) long before the list limit; the rest, one test each.
      const strings = value.filter((v): v is string => typeof v === 'string');
      const numbers = value.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const others = value.filter((v) => typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)));
      const tests: string[] = [];
      if (strings.length) {
        tests.push(
          d === 'sqlite'
            ? `${valueAt(steps, params)} COLLATE NOCASE IN (${strings.map((v) => params.add(v)).join(', ')})`
            : `(jsonb_typeof(${jsonAt(steps, d)}) = 'string' AND lower(${textAt(steps, d)}) IN (${strings.map((v) => `lower(${params.add(v)})`).join(', ')}))`,
        );
      }
      if (numbers.length) tests.push(`${d === 'sqlite' ? valueAt(steps, params) : numberAt(steps, d)} IN (${numbers.map((v) => params.add(v)).join(', ')})`);
      for (const v of others) tests.push(equals(steps, v, params));
      const any = `(${tests.join(' OR ')})`;
      return operator === 'IN' ? any : not(any);
    }
    case '~':
    case '!~':
    case '^':
    case '$': {
      if (typeof value !== 'string') throw bad(`${operator} works on strings: the value must be a string`);
      const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
      const pattern = operator === '^' ? `${escaped}%` : operator === '$' ? `%${escaped}` : `%${escaped}%`;
      // LIKE ignores ASCII case in SQLite; ILIKE ignores case in PostgreSQL.
      const positive = `${d === 'sqlite' ? valueAt(steps, params) : textAt(steps, d)} ${d === 'sqlite' ? 'LIKE' : 'ILIKE'} ${params.add(pattern)} ESCAPE '\\'`;
      return operator === '!~' ? not(positive) : positive;
    }
    case '>':
    case '<':
    case '>=':
    case '<=': {
      if (typeof value === 'number' && Number.isFinite(value)) return `${numberAt(steps, d, params)} ${operator} ${params.add(value)}`;
      if (typeof value === 'string') {
        // Bytewise, as SQLite's BINARY collation compares: the database's own collation (often
        // linguistic) would order, and so match, differently on each server.
        return d === 'sqlite' ? `${valueAt(steps, params)} ${operator} ${params.add(value)}` : `${stringAt(steps)} COLLATE "C" ${operator} ${params.add(value)}`;
      }
      throw bad(`${operator} compares numbers (or strings): got ${JSON.stringify(value)}`);
    }
    default:
      throw bad(`operator ${JSON.stringify(operator)} is not one of =, !=, IN, NIN, >, <, >=, <=, ~, !~, ^, $`);
  }
}

/** Equality with the native search's meaning: strings ignore case; null matches a missing or null field. */
function equals(steps: string[], value: unknown, params: Params): string {
  const d = params.dialect;
  if (value === null) return d === 'sqlite' ? `${valueAt(steps, params)} IS NULL` : `(${jsonAt(steps, d)} IS NULL OR ${jsonAt(steps, d)} = 'null'::jsonb)`;
  if (typeof value === 'string') {
    // COLLATE NOCASE lets SQLite use an index on the field (see indexSql).
    if (d === 'sqlite') return `${valueAt(steps, params)} = ${params.add(value)} COLLATE NOCASE`;
    // A string equals strings only (the text of the number 5 or of true is not "5" or "true"),
    // as in SQLite, where a JSON number or boolean is not text; lower(...) is what the index holds.
    return `(jsonb_typeof(${jsonAt(steps, d)}) = 'string' AND lower(${textAt(steps, d)}) = lower(${params.add(value)}))`;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return d === 'sqlite' ? `${valueAt(steps, params)} = ${params.add(value)}` : `${numberAt(steps, d)} = ${params.add(value)}`;
  if (typeof value === 'boolean') {
    return d === 'sqlite'
      ? `json_type(record, ${sqlitePath(steps)}) = ${params.add(value ? 'true' : 'false')}`
      : `${jsonAt(steps, d)} = ${params.add(JSON.stringify(value))}::jsonb`;
  }
  throw bad(`a value must be a string, number, boolean or null (or a list of them for IN and NIN), got ${JSON.stringify(value)?.slice(0, 40)}`);
}

/** The ORDER BY of a sort: by the field (numbers before strings, nulls last), then by id, so pages are stable. */
export function orderBy(sort: { field: string; order?: 'ascending' | 'descending' } | undefined, dialect: Dialect, columns: ReadonlyMap<string, string> = new Map()): string {
  if (!sort) return 'ORDER BY id';
  const steps = fieldSteps(sort.field);
  if (sort.order !== undefined && sort.order !== 'ascending' && sort.order !== 'descending') throw bad('sort.order must be ascending or descending');
  const dir = sort.order === 'descending' ? 'DESC' : 'ASC';
  const value = columns.get(steps.join('.')) ?? jsonAt(steps, dialect);
  if (dialect === 'sqlite') return `ORDER BY ${value} IS NULL, ${value} ${dir}, id`;
  // jsonb's own order (strings before numbers, JSON null first, the database's collation)
  // is not SQLite's: these keys spell SQLite's out, so both engines page alike. A missing
  // field or JSON null last; then numbers, with a boolean as SQLite sees it (0 or 1); then
  // strings (and arrays and objects, as JSON text), bytewise; then the id.
  const type = `jsonb_typeof(${value})`;
  return [
    `ORDER BY COALESCE(${type}, 'null') = 'null'`,
    `(CASE WHEN ${type} IN ('number', 'boolean') THEN 0 ELSE 1 END) ${dir}`,
    `(CASE ${type} WHEN 'number' THEN (${value})::numeric WHEN 'boolean' THEN (CASE WHEN ${value} = 'true'::jsonb THEN 1 ELSE 0 END) END) ${dir}`,
    `(CASE WHEN ${type} NOT IN ('number', 'boolean', 'null') THEN ${textAt(steps, dialect)} END) COLLATE "C" ${dir}`,
    'id',
  ].join(', ');
}

/**
 * The index expression of a field, matching what compileFilter writes for equality with a
 * string (ignoring case), the lookup hosts and agents make most. One per field. SQLite indexes
 * the field's column (see fieldColumn): an expression over the JSON would parse every record
 * once per index as it is written. PostgreSQL indexes an expression over its parsed jsonb.
 */
export function indexExpressions(field: string, dialect: Dialect): string[] {
  const steps = fieldSteps(field);
  if (dialect === 'sqlite') return [`${fieldColumn(field)} COLLATE NOCASE`];
  return [`lower(${textAt(steps, dialect)})`];
}

/** SQLite: the quoted name of the column that holds an indexed field's value beside the record. */
export function fieldColumn(field: string): string {
  return `"${columnName(field)}"`;
}

/** The column's name, unquoted. */
export function columnName(field: string): string {
  return FIELD_COLUMN + caseSafe(field);
}

/**
 * A field as SQLite names may hold it. They ignore case and JSON keys do not: a capital is
 * written "^" and its small letter ("^" is no character of a field), so that "Plan" and "plan"
 * get a column (and an index) each.
 */
export function caseSafe(field: string): string {
  fieldSteps(field);
  return field.replace(/[A-Z]/g, (c) => `^${c.toLowerCase()}`);
}

/** The field whose value a column holds, or undefined for a column that holds none. */
export function columnField(name: string): string | undefined {
  if (!name.startsWith(FIELD_COLUMN)) return undefined;
  return name.slice(FIELD_COLUMN.length).replace(/\^([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Column names that start with this hold a field's value (the rest of the name is its path). */
const FIELD_COLUMN = 'field:';

/**
 * A field's value as SQLite's json_extract gives it from the stored JSON text (null when
 * missing, 1 or 0 for a boolean, JSON text for an object or array), taken from the record
 * itself: a column that holds it then answers exactly as the expression it stands for.
 */
export function sqliteValueAt(record: unknown, steps: readonly string[]): string | number | bigint | null {
  let v = record;
  for (const s of steps) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, s)) return null;
    v = (v as Record<string, unknown>)[s];
  }
  if (typeof v === 'string') return v;
  // An integer is an INTEGER to SQLite (a JS number would be bound as REAL, and match LIKE as "10.0").
  if (typeof v === 'number') return !Number.isFinite(v) ? null : Number.isSafeInteger(v) ? BigInt(v) : Number.isInteger(v) ? bigOrReal(v) : v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v === null || v === undefined || typeof v !== 'object') return null;
  return JSON.stringify(v);
}

/** An integer past 2^53 as json_extract reads its JSON text: an INTEGER while it fits 64 bits, else a REAL. */
function bigOrReal(v: number): bigint | number {
  const text = JSON.stringify(v);
  if (!/^-?\d+$/.test(text)) return v;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : v;
}

function bad(why: string): ParameterError {
  return new ParameterError(`store search: ${why}.`, 'where');
}
