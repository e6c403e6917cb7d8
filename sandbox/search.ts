// Intercom's search query language (POST /contacts/search, POST /conversations/search) over
// the sandbox's records: a body { query, pagination, sort } with filters { field, operator,
// value } combined in AND/OR groups. The rules come from the spec's endpoint descriptions
// (OpenAPI 2.16): which operators each field type takes, the nesting limits, dates matched by
// calendar day on contacts. Which fields exist, and how they read a record, is the caller's
// (search-fields.ts); this module only validates, evaluates, sorts and pages.

import { decodeTriple, encodeTriple } from './cursor.js';
import { ApiError, invalid, isObject } from './errors.js';
import type { AttributeType } from './data.js';

/**
 * The sandbox workspace's timezone. Intercom truncates a contact date filter to a calendar day
 * in the workspace's timezone; the sandbox's workspace is set to UTC, the only one implemented.
 */
export const WORKSPACE_TIMEZONE = 'UTC';

/** "max 2 nested filters" and "max 15 filters for each AND or OR group" (both search endpoints). */
export const MAX_GROUP_DEPTH = 2;
export const MAX_FILTERS_PER_GROUP = 15;

const DAY = 86_400;

export type Scalar = string | number | boolean | null;

/** tag_id is a string field that only takes = and != on contacts. */
export type FieldType = AttributeType | 'tag_id';

export interface Field<T> {
  type: FieldType;
  /** The value, or the values of a multi-valued field (tags, contact ids): a filter matches if one does. */
  get(record: T, index: number): Scalar | readonly Scalar[];
  /**
   * source.body: =, !=, IN and NIN compare each word, not the whole value (the spec's example:
   * "support" matches "I need support"). The getter gives the text with its HTML tags stripped.
   */
  words?: boolean;
}

/** How one endpoint reads operators: the two spec tables differ. */
export interface Dialect {
  operators: Readonly<Record<FieldType, readonly string[]>>;
  /** Contacts match dates by calendar day (=, >, <); conversations compare the instant. */
  datesByDay: boolean;
  /** The conversations table documents > and < as "greater (or equal)" and "lower (or equal)". */
  inclusiveRanges: boolean;
}

const EQUALITY_OPS = ['=', '!=', 'IN', 'NIN'];
const STRING_OPS = [...EQUALITY_OPS, '~', '!~', '^', '$'];
const NUMBER_OPS = [...EQUALITY_OPS, '<', '>', '<=', '>='];
const ALL_OPS = new Set([...STRING_OPS, ...NUMBER_OPS]);

export const CONTACT_DIALECT: Dialect = {
  operators: { string: STRING_OPS, tag_id: ['=', '!='], boolean: EQUALITY_OPS, integer: NUMBER_OPS, date: ['=', '<', '>'] },
  datesByDay: true,
  inclusiveRanges: false,
};

export const CONVERSATION_DIALECT: Dialect = {
  operators: { string: STRING_OPS, tag_id: STRING_OPS, boolean: EQUALITY_OPS, integer: NUMBER_OPS, date: NUMBER_OPS },
  datesByDay: false,
  inclusiveRanges: true,
};

export interface Searchable<T extends { id: string }> {
  /** Positions to walk; with `live`, some are tombstones. */
  count: number;
  at(index: number): T;
  /** The position of a record a cursor names, deleted or not. */
  indexOf(id: string): number;
  /** Absent when every position holds a record; otherwise false for a deleted one, which no query finds. */
  live?: (index: number) => boolean;
  field(name: string): Field<T> | undefined;
  dialect: Dialect;
  perPage: { perPage: number; maxPerPage: number };
}

export interface SearchPages {
  type: 'pages';
  page: number;
  per_page: number;
  total_pages: number;
  /** The spec's starting_after_paging ({per_page, starting_after}) plus the page number the list cursors carry. */
  next?: { page: number; per_page: number; starting_after: string };
}

export interface SearchResult<T> {
  items: T[];
  total: number;
  pages: SearchPages;
}

type Predicate<T> = (record: T, index: number) => boolean;
type Key = Scalar;

interface Hit<T> {
  record: T;
  index: number;
  key: Key;
}

export function search<T extends { id: string }>(src: Searchable<T>, body: Record<string, unknown>): SearchResult<T> {
  if (body.query === undefined || body.query === null) throw invalid('query is required');
  const matches = compileNode<T>(body.query, src, 1, 'query');
  const { perPage, after } = readPagination(body.pagination, src.perPage);
  const order = readSort(body.sort, src);
  const compare = (a: Omit<Hit<T>, 'record'>, b: Omit<Hit<T>, 'record'>) => order.direction * compareKeys(a.key, b.key) || a.index - b.index;

  const hits: Hit<T>[] = [];
  const live = src.live;
  for (let i = 0; i < src.count; i++) {
    if (live !== undefined && !live(i)) continue;
    const record = src.at(i);
    if (matches(record, i)) hits.push({ record, index: i, key: order.key(record, i) });
  }
  hits.sort(compare);

  const { start, page } = after === undefined ? { start: 0, page: 1 } : resume(after, hits, compare, src);
  const slice = hits.slice(start, start + perPage);
  const pages: SearchPages = { type: 'pages', page, per_page: perPage, total_pages: Math.ceil(hits.length / perPage) };
  const last = slice[slice.length - 1];
  if (last && start + perPage < hits.length) {
    pages.next = { page: page + 1, per_page: perPage, starting_after: encodeTriple(last.key, last.record.id, page + 1) };
  }
  return { items: slice.map((h) => h.record), total: hits.length, pages };
}

/**
 * Where the page after the cursor starts. It resumes after the cursor's position in the order
 * rather than at an offset, so a record that starts or stops matching between two pages cannot
 * shift the rest: each match is served once.
 */
function resume<T extends { id: string }>(
  after: string,
  hits: Hit<T>[],
  compare: (a: Omit<Hit<T>, 'record'>, b: Omit<Hit<T>, 'record'>) => number,
  src: Searchable<T>,
): { start: number; page: number } {
  const cursor = decodeCursor(after);
  const index = cursor ? src.indexOf(cursor.id) : -1;
  if (!cursor || index < 0) throw invalid('starting_after is not a valid cursor');
  const start = hits.findIndex((h) => compare(h, { key: cursor.key, index }) > 0);
  return { start: start < 0 ? hits.length : start, page: cursor.page };
}

// ---------- query ----------

function compileNode<T extends { id: string }>(node: unknown, src: Searchable<T>, depth: number, at: string): Predicate<T> {
  if (!isObject(node)) throw invalid(`${at} must be a filter {field, operator, value} or a group {operator, value}`);
  if ('field' in node) return compileFilter(node, src, at);
  if (node.operator !== 'AND' && node.operator !== 'OR') {
    throw invalid(`${at}.operator must be AND or OR for a group, got ${JSON.stringify(node.operator)}`);
  }
  if (depth > MAX_GROUP_DEPTH) throw invalid(`Search queries can be nested at most ${MAX_GROUP_DEPTH} levels deep (${at})`);
  const members = node.value;
  if (!Array.isArray(members) || members.length === 0) throw invalid(`${at}.value must be a non-empty array of filters`);
  if (members.length > MAX_FILTERS_PER_GROUP) {
    throw invalid(`An ${node.operator} group can have at most ${MAX_FILTERS_PER_GROUP} filters, got ${members.length} (${at})`);
  }
  const parts = members.map((m, i) => compileNode(m, src, depth + 1, `${at}.value[${i}]`));
  return node.operator === 'AND' ? (r, i) => parts.every((p) => p(r, i)) : (r, i) => parts.some((p) => p(r, i));
}

function compileFilter<T extends { id: string }>(node: Record<string, unknown>, src: Searchable<T>, at: string): Predicate<T> {
  const name = node.field;
  const field = typeof name === 'string' ? src.field(name) : undefined;
  if (typeof name !== 'string' || field === undefined) throw invalid(`${JSON.stringify(name)} is not a searchable field (${at}.field)`);
  const op = node.operator;
  if (typeof op !== 'string' || !ALL_OPS.has(op)) throw invalid(`${JSON.stringify(op)} is not a valid operator (${at}.operator)`);
  if (!src.dialect.operators[field.type].includes(op)) {
    throw invalid(`The ${op} operator is not supported on ${name}, a ${field.type} field`);
  }
  const test = matcher(field, op, node.value, src.dialect, name);
  const perWord = field.words === true && EQUALITY_OPS.includes(op);
  return (record, index) => {
    const got = field.get(record, index);
    const values = (Array.isArray(got) ? got : [got]).filter((v): v is string | number | boolean => v !== null && v !== undefined);
    return test(perWord ? values.flatMap((v) => words(String(v))) : values);
  };
}

/** A test over a record's non-null values; negated operators are the complement of their positive one. */
function matcher(field: Field<unknown>, op: string, raw: unknown, dialect: Dialect, name: string): (values: (string | number | boolean)[]) => boolean {
  const negate = (f: (v: (string | number | boolean)[]) => boolean) => (v: (string | number | boolean)[]) => !f(v);
  switch (op) {
    case '!=':
      return negate(matcher(field, '=', raw, dialect, name));
    case 'NIN':
      return negate(matcher(field, 'IN', raw, dialect, name));
    case '!~':
      return negate(matcher(field, '~', raw, dialect, name));
    case '=': {
      if (raw === null) return (values) => values.length === 0;
      const want = coerce(field.type, raw, name);
      return (values) => values.some((v) => equal(field.type, v, want, dialect));
    }
    case 'IN': {
      if (!Array.isArray(raw) || raw.length === 0) throw invalid(`The ${op} operator on ${name} needs a non-empty array value`);
      const wants = raw.map((r) => coerce(field.type, r, name));
      return (values) => values.some((v) => wants.some((w) => equal(field.type, v, w, dialect)));
    }
    case '~':
    case '^':
    case '$': {
      const want = String(coerce(field.type, raw, name));
      const hit = op === '~' ? (s: string) => s.includes(want) : op === '^' ? (s: string) => s.startsWith(want) : (s: string) => s.endsWith(want);
      return (values) => values.some((v) => hit(String(v).toLowerCase()));
    }
    default:
      return range(field.type, op, coerce(field.type, raw, name) as number, dialect);
  }
}

function range(type: FieldType, op: string, bound: number, dialect: Dialect): (values: (string | number | boolean)[]) => boolean {
  let test: (v: number) => boolean;
  if (type === 'date' && dialect.datesByDay) {
    // Truncated to the day: > starts at the next midnight, < ends at this one.
    const midnight = Math.floor(bound / DAY) * DAY;
    test = op === '>' ? (v) => v >= midnight + DAY : (v) => v < midnight;
  } else if (dialect.inclusiveRanges || op === '>=' || op === '<=') {
    test = op.startsWith('>') ? (v) => v >= bound : (v) => v <= bound;
  } else {
    test = op === '>' ? (v) => v > bound : (v) => v < bound;
  }
  return (values) => values.some((v) => typeof v === 'number' && test(v));
}

function equal(type: FieldType, value: string | number | boolean, want: string | number | boolean, dialect: Dialect): boolean {
  switch (type) {
    case 'string':
    case 'tag_id':
      return String(value).toLowerCase() === want;
    case 'date':
      if (dialect.datesByDay && typeof value === 'number') return Math.floor(value / DAY) === Math.floor((want as number) / DAY);
      return value === want;
    default:
      return value === want;
  }
}

/** The query value as the field's type; strings lower-cased, since Intercom's string matching ignores case. */
function coerce(type: FieldType, raw: unknown, name: string): string | number | boolean {
  switch (type) {
    case 'string':
    case 'tag_id':
      if (typeof raw === 'string') return raw.toLowerCase();
      if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
      break;
    case 'integer':
    case 'date':
      // The spec's own example sends a timestamp as a string ("1306054154").
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (typeof raw === 'string' && /^-?[0-9]{1,15}$/.test(raw)) return Number(raw);
      break;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      break;
  }
  const expected = type === 'date' ? 'a date (a Unix timestamp)' : type === 'integer' ? 'an integer' : type === 'boolean' ? 'a boolean' : 'a string';
  throw invalid(`${name} expects ${expected}, got ${JSON.stringify(raw)}`);
}

function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
}

// ---------- pagination and sort ----------

function readPagination(raw: unknown, limits: { perPage: number; maxPerPage: number }): { perPage: number; after: string | undefined } {
  if (raw === undefined || raw === null) return { perPage: limits.perPage, after: undefined };
  if (!isObject(raw)) throw invalid('pagination must be an object {per_page, starting_after}');
  let perPage = limits.perPage;
  if (raw.per_page !== undefined && raw.per_page !== null) {
    const n = raw.per_page;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > limits.maxPerPage) {
      throw invalid(`per_page must be between 1 and ${limits.maxPerPage}, got ${JSON.stringify(n)}`);
    }
    perPage = n;
  }
  const after = raw.starting_after;
  if (after === undefined || after === null || after === '') return { perPage, after: undefined };
  if (typeof after !== 'string') throw invalid('starting_after is not a valid cursor');
  return { perPage, after };
}

interface Order<T> {
  key(record: T, index: number): Key;
  direction: 1 | -1;
}

function readSort<T extends { id: string }>(raw: unknown, src: Searchable<T>): Order<T> {
  // Without a sort, the list's own order (oldest first), which also keeps the cursor cheap.
  if (raw === undefined || raw === null) return { key: (_r, i) => i, direction: 1 };
  if (!isObject(raw)) throw invalid('sort must be an object {field, order}');
  const order = raw.order ?? 'descending';
  if (order !== 'ascending' && order !== 'descending') {
    throw new ApiError(400, 'invalid_sort_order', `Invalid sort order '${String(order)}'. Must be one of: ascending, descending`);
  }
  const name = raw.field;
  const field = typeof name === 'string' ? src.field(name) : undefined;
  if (typeof name !== 'string' || field === undefined) throw invalid(`${JSON.stringify(name)} is not a sortable field (sort.field)`);
  return {
    key: (record, index) => {
      const v = field.get(record, index);
      if (Array.isArray(v)) return v.length > 0 ? (v[0] as Scalar) : null;
      return v as Scalar;
    },
    direction: order === 'ascending' ? 1 : -1,
  };
}

/** Nulls after everything (so they come last ascending), then numbers, booleans, strings by value. */
function compareKeys(a: Key, b: Key): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  if (typeof a === 'string') {
    const x = a.toLowerCase();
    const y = (b as string).toLowerCase();
    return x < y ? -1 : x > y ? 1 : a < (b as string) ? -1 : 1;
  }
  return (a as number) < (b as number) ? -1 : 1;
}

function decodeCursor(raw: string): { key: Key; id: string; page: number } | null {
  const t = decodeTriple(raw);
  if (!t || !(t.key === null || ['string', 'number', 'boolean'].includes(typeof t.key))) return null;
  return { key: t.key as Key, id: t.id, page: t.page };
}
