import type * as Yaml from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import { lazy } from '../lazy.js';

const yaml = lazy<typeof Yaml>('yaml');

export type DocPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

/**
 * Finds the line and column of a location in the parsed YAML, so an error can point at
 * the text the author has to edit. With `atKey`, points at the key of the last segment
 * (an unknown key) rather than at its value. Falls back to the nearest existing parent.
 */
export function locate(doc: Document, lines: LineCounter, path: DocPath, atKey = false): Position {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  let best: Node | null = (doc.contents as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      const last = i === path.length - 1;
      if (last && atKey && isScalar(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
    } else {
      break;
    }
    if (node && typeof node === 'object' && 'range' in node && (node as Node).range) best = node as Node;
    else break;
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** `['entities', 'contacts', 'actions']` → `entities.contacts.actions` */
export function formatPath(path: DocPath): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.').replace(/\.\[/g, '[');
}

/** Splits an ajv `instancePath` (`/entities/contacts`) into segments. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
