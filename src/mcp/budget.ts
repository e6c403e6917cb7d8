/**
 * The page size of an MCP list answer, chosen before the request so that the answer fits the
 * output budget with one upstream request: from the measured size of this tool's records (as
 * returned, after field selection), or, before any measurement, from a conservative estimate
 * out of the record schema.
 */
import { declaredProperties } from '../manifest/record-fields.js';
import { resolveSchema } from '../manifest/resolve-schema.js';
import type { JsonSchema } from '../manifest/types.js';
import { fieldTree, type FieldTree } from '../response/project.js';

/** Room for `{"records":[],"next_page":"<cursor>","total_count":n}` and a note. */
export const ENVELOPE_ROOM = 600;
/** Room kept beside a page's records for the note an answer may carry. */
const NOTE_ROOM = 700;
/** Records of one page differ in size: the measured average is padded by this much. */
const MARGIN = 1.15;
/** Largest page chosen when the manifest declares no maximum: an API rarely accepts more. */
const DEFAULT_MAX_PAGE = 100;

/** Estimated JSON bytes of a value of each type, on the high side (so the first page rather fits). */
const LEAF: Record<string, number> = { string: 40, integer: 14, number: 18, boolean: 6, null: 4 };
const FREE_FORM = 400;
/** A selected value whose schema is not declared (inside a free-form object). */
const UNKNOWN = 40;
/** Items assumed in a declared list, and in an undeclared part that may be one. */
const LIST_ITEMS = 3;
const MAYBE_LIST = 2;

/**
 * The average JSON size of one record, per tool and field selection, as measured on the
 * answers given so far. Each page counts as much as the whole past, halved: the average
 * follows a workspace whose records grow without forgetting at once.
 */
export class RecordSizes {
  readonly #sizes = new Map<string, { bytes: number; records: number }>();

  observe(key: string, records: readonly unknown[]): void {
    if (records.length === 0) return;
    let bytes = records.length - 1 + 2;
    for (const r of records) bytes += Buffer.byteLength(JSON.stringify(r) ?? 'null');
    const seen = this.#sizes.get(key);
    this.#sizes.set(key, seen ? { bytes: seen.bytes / 2 + bytes, records: seen.records / 2 + records.length } : { bytes, records: records.length });
    // One entry per tool and selection an agent used: a few hundred at most, but never without bound.
    if (this.#sizes.size > 1_000) this.#sizes.delete(this.#sizes.keys().next().value!);
  }

  /** Bytes per record, measured; undefined before the first answer. */
  average(key: string): number | undefined {
    const seen = this.#sizes.get(key);
    return seen && seen.records > 0 ? seen.bytes / seen.records : undefined;
  }
}

/**
 * How many leading records, as they are, fit in `budget` UTF-8 bytes beside `envelope` (the
 * answer without them) and a note.
 */
export function recordsThatFit(records: readonly unknown[], envelope: unknown, budget: number): number {
  let used = Buffer.byteLength(JSON.stringify(envelope)) + NOTE_ROOM;
  let n = 0;
  for (const r of records) {
    used += Buffer.byteLength(JSON.stringify(r) ?? 'null') + 1;
    if (used > budget) break;
    n++;
  }
  return n;
}

/**
 * How many records fit in `budget` bytes at `perRecord` bytes each (measured averages are
 * padded), between the page size parameter's limits.
 *
 * @example
 * pageSizeFor({ budget: 16_000, perRecord: 450, measured: true, minimum: 1, maximum: 150 }); // 29
 */
export function pageSizeFor(o: { budget: number; perRecord: number; measured: boolean; minimum?: number; maximum?: number }): number {
  const per = Math.max(1, o.measured ? o.perRecord * MARGIN : o.perRecord) + 1;
  const fits = Math.floor((o.budget - ENVELOPE_ROOM) / per);
  const min = Math.max(1, o.minimum ?? 1);
  const max = o.maximum ?? DEFAULT_MAX_PAGE;
  return Math.max(min, Math.min(max, fits));
}

/**
 * A high estimate of one record's JSON size from its schema, for the first page of a tool
 * before anything is measured: declared fields by type, free-form objects and lists at a
 * generous size, only the selected fields when `fields` is given.
 */
export function estimateRecordBytes(record: JsonSchema | undefined, fields: readonly string[] | undefined, schemas: Record<string, JsonSchema>): number {
  if (!record) return FREE_FORM;
  return Math.ceil(estimate(record, fields ? fieldTree(fields) : undefined, schemas, 0));
}

function estimate(schema: JsonSchema | undefined, tree: FieldTree | undefined, schemas: Record<string, JsonSchema>, depth: number): number {
  if (depth > 12) return FREE_FORM;
  if (!schema) return tree ? undeclared(tree) : UNKNOWN;
  const s = resolveSchema(schema, schemas);
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t): t is string => typeof t === 'string');
  if (types.includes('array')) {
    const items = s.items && typeof s.items === 'object' && !Array.isArray(s.items) ? (s.items as JsonSchema) : undefined;
    return 2 + LIST_ITEMS * (estimate(items, tree, schemas, depth + 1) + 1);
  }
  const props = declaredProperties(s, schemas);
  if (tree) return props ? selected(props, tree, schemas, depth) : undeclared(tree);
  if (props) return 2 + Object.entries(props).reduce((n, [k, p]) => n + k.length + 4 + estimate(p, undefined, schemas, depth + 1), 0);
  const leaves = types.map((t) => LEAF[t] ?? FREE_FORM);
  if (leaves.length === 0 || types.includes('object')) return FREE_FORM;
  let size = Math.max(...leaves);
  if (types.includes('string') && typeof s.maxLength === 'number') size = Math.min(size, s.maxLength + 2);
  return size;
}

/** The selected keys of a declared object. */
function selected(props: Record<string, JsonSchema>, tree: FieldTree, schemas: Record<string, JsonSchema>, depth: number): number {
  let n = 2;
  for (const [key, sub] of tree) {
    const p = Object.hasOwn(props, key) ? props[key] : undefined;
    n += key.length + 4 + (sub === true ? (p ? estimate(p, undefined, schemas, depth + 1) : UNKNOWN) : estimate(p, sub, schemas, depth + 1));
  }
  return n;
}

/** Selected keys inside a free-form value: its innermost objects (`data` of `tags.data.id`) may be lists of such. */
function undeclared(tree: FieldTree): number {
  let n = 2;
  let leavesOnly = true;
  for (const [key, sub] of tree) {
    if (sub !== true) leavesOnly = false;
    n += key.length + 4 + (sub === true ? UNKNOWN : undeclared(sub));
  }
  return leavesOnly ? MAYBE_LIST * n : n;
}
