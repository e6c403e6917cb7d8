import { splitPath } from '../dotted-path.js';
import { deref, type Json } from './spec.js';

/** The schema a value at `path` has inside a response schema (through `$ref`s, `allOf`, `anyOf`, arrays' `[n]`). */
export function schemaAt(doc: Json, schema: unknown, path: string): Json | undefined {
  let node: Json | undefined = resolve(doc, schema);
  for (const key of splitPath(path)) {
    if (!node) return undefined;
    if (/^\d+$/.test(key) && node.items) {
      node = resolve(doc, node.items);
      continue;
    }
    node = property(doc, node, key);
  }
  return node;
}

/** A schema with its own `$ref` followed (nested ones stay). */
export function resolve(doc: Json, schema: unknown): Json | undefined {
  const s = deref<Json>(doc, schema);
  return s && typeof s === 'object' ? s : undefined;
}

function property(doc: Json, node: Json, key: string): Json | undefined {
  const props = node.properties as Json | undefined;
  if (props && Object.hasOwn(props, key)) return resolve(doc, props[key]);
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    for (const part of (node[k] as unknown[]) ?? []) {
      const found = property(doc, resolve(doc, part) ?? {}, key);
      if (found) return found;
    }
  }
  return undefined;
}

/** The types a schema allows (through one `$ref`), without null. */
export function typesOf(doc: Json, schema: unknown): string[] {
  const s = resolve(doc, schema);
  if (!s) return [];
  const t = Array.isArray(s.type) ? s.type : typeof s.type === 'string' ? [s.type] : [];
  if (t.length) return t.filter((x: string) => x !== 'null');
  if (s.properties) return ['object'];
  if (s.items) return ['array'];
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(s[k])) return [...new Set((s[k] as unknown[]).flatMap((x) => typesOf(doc, x)))];
  }
  return [];
}

/** Dotted paths (to depth 3) of an object schema's scalar properties, with their types: where paging values may sit. */
export function scalarPaths(doc: Json, schema: unknown, prefix = '', depth = 0): [string, string, Json][] {
  const s = resolve(doc, schema);
  if (!s || depth > 3) return [];
  const out: [string, string, Json][] = [];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Json)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const types = typesOf(doc, v);
    if (types.includes('object')) out.push(...scalarPaths(doc, v, path, depth + 1));
    else if (!types.includes('array')) out.push([path, types[0] ?? 'string', resolve(doc, v) ?? {}]);
  }
  return out;
}
