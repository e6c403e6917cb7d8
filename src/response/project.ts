import { ParameterError } from '../errors.js';
import { declaredFields, fieldPathIssue } from '../manifest/record-fields.js';
import type { JsonSchema } from '../manifest/types.js';
import { didYouMean } from '../suggest.js';

type Rec = Record<string, unknown>;

/** Keeps the selected fields of one record, nesting kept: `{ id, custom_attributes: { plan } }`. */
export type Projection = (record: Rec) => Rec;

/** `fields: ['*']`: whole records, as the API sends them. */
export const WHOLE_RECORD = '*';

/** A selection bigger than this is a mistake (or an attack), not a projection. */
const MAX_FIELDS = 200;
const MAX_PATH = 256;

/** A node of the selection: `true` keeps the whole value, a map keeps those keys of it. */
export type FieldTree = Map<string, FieldTree | true>;
type Tree = FieldTree;

/**
 * Compiles a field selection (`fields: ['id', 'custom_attributes.plan', 'tags.data']`) for
 * one operation's records. Checked before any request: every entry is a dotted path, and
 * its first step is a field the record schema declares (when it declares any). Undefined
 * means whole records (no selection, or `['*']`).
 *
 * @example
 * const keep = compileProjection(['id', 'custom_attributes.plan'], contactSchema, schemas, 'contacts.list')!;
 * keep({ id: '1', email: 'a@b', custom_attributes: { plan: 'pro', seats: 3 } }); // { id: '1', custom_attributes: { plan: 'pro' } }
 */
export function compileProjection(fields: unknown, record: JsonSchema | undefined, schemas: Record<string, JsonSchema>, operation: string): Projection | undefined {
  if (fields === undefined) return undefined;
  const bad = (why: string) => new ParameterError(`${operation}: fields ${why}`, 'fields');
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) throw bad('must be a list of field names (dotted paths such as "custom_attributes.plan").');
  if (fields.length === 0) throw bad(`is empty: name at least one field, or pass ["${WHOLE_RECORD}"] for whole records.`);
  if (fields.includes(WHOLE_RECORD)) {
    if (fields.length > 1) throw bad(`mixes "${WHOLE_RECORD}" (whole records) with field names: pass one or the other.`);
    return undefined;
  }
  if (fields.length > MAX_FIELDS) throw bad(`names ${fields.length} fields; at most ${MAX_FIELDS}.`);
  const known = declaredFields(record, schemas);
  const tree: Tree = new Map();
  for (const path of fields as string[]) {
    const steps = path.split('.');
    if (path.length > MAX_PATH || steps.some((s) => s === '')) throw bad(`holds ${JSON.stringify(path.slice(0, 80))}, not a dotted path such as "custom_attributes.plan".`);
    if (known && !known.includes(steps[0]!)) {
      throw bad(`names ${JSON.stringify(steps[0])}, which is not a field of these records.${didYouMean(steps[0]!, known)} Fields: ${known.join(', ')}.`);
    }
    // Deeper steps are checked where the schema declares fields (a free-form object takes any name).
    const issue = steps.length > 1 ? fieldPathIssue(path, record, schemas) : undefined;
    if (issue) {
      const where = `"${issue.at}"`;
      throw bad(
        issue.scalar
          ? `holds ${JSON.stringify(path)}, but ${where} is a ${issue.scalar}, with no fields inside.`
          : `holds ${JSON.stringify(path)}, but ${where} has no field ${JSON.stringify(issue.step)}.${didYouMean(issue.step, issue.known)} Its fields: ${issue.known.join(', ')}.`,
      );
    }
    add(tree, steps);
  }
  return (r) => pick(r, tree) as Rec;
}

/** The selection of dotted paths as a tree (`['a.b', 'a.c', 'd']` → a: { b, c }, d), as projections apply it. */
export function fieldTree(fields: readonly string[]): FieldTree {
  const tree: Tree = new Map();
  for (const path of fields) add(tree, path.split('.'));
  return tree;
}

/** Adds one path; a whole value wins over parts of it (`tags` and `tags.data` keep all of `tags`). */
function add(tree: Tree, steps: string[]): void {
  let node = tree;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const existing = node.get(step);
    if (existing === true) return;
    if (i === steps.length - 1) {
      node.set(step, true);
      return;
    }
    const child: Tree = existing ?? new Map();
    node.set(step, child);
    node = child;
  }
}

/** The selected part of a value: objects keep the selected keys, arrays apply the selection to each item, anything else is kept as is (a null stays null). */
function pick(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.map((item) => pick(item, tree));
  if (value === null || typeof value !== 'object') return value;
  const out: Rec = {};
  for (const [key, sub] of tree) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Rec)[key];
    // defineProperty, not assignment: a key such as `__proto__` stays a plain key.
    Object.defineProperty(out, key, { value: sub === true ? v : pick(v, sub), writable: true, enumerable: true, configurable: true });
  }
  return out;
}
