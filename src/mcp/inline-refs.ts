import { retarget } from '../manifest/render-type.js';
import { resolveSchema } from '../manifest/resolve-schema.js';
import type { JsonSchema } from '../manifest/types.js';

/**
 * A schema with the manifest's `#/schemas/...` references written out, and its `x-` keywords
 * (manifest-only: x-from, x-coerce) dropped: MCP clients get one self-contained schema.
 */
export function inlineRefs(node: unknown, schemas: Record<string, JsonSchema>, depth = 0): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, schemas, depth));
  if (node === null || typeof node !== 'object') return node;
  const s = node as JsonSchema;
  // Recursive schemas stop being written out after a few levels: deeper values are free-form.
  if (depth > 8) return {};
  const resolved = typeof s.$ref === 'string' ? resolveSchema(s, schemas) : s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resolved)) if (!k.startsWith('x-')) out[k] = inlineRefs(v, schemas, depth + (resolved === s ? 0 : 1));
  return out;
}

/**
 * A schema with the manifest's references pointed at `#/$defs/<Name>`, each shared schema it
 * reaches added to `defs` once: a query language used in several places (a filter inside
 * groups inside groups) is written once, and a recursive one is written at all. Tools put
 * `defs` at the root of their input schema, so it stays one self-contained document.
 */
export function refsToDefs(node: unknown, schemas: Record<string, JsonSchema>, defs: Record<string, unknown>): unknown {
  const to = (name: string) => {
    if (Object.hasOwn(schemas, name) && !Object.hasOwn(defs, name)) {
      // Claimed before it is written out: a schema that reaches itself points at its own entry.
      defs[name] = {};
      defs[name] = retarget(schemas[name], to, manifestOnly);
    }
    return `#/$defs/${name}`;
  };
  return retarget(node, to, manifestOnly);
}

/** Keywords only the manifest reads (x-from, x-coerce). */
const manifestOnly = (key: string) => key.startsWith('x-');
