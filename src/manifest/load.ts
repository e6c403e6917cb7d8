import { DEFAULT_MAX_BYTES, readManifestText } from './read.js';
import type * as Yaml from 'yaml';
import { lazy } from '../lazy.js';
import { ManifestError, type ManifestIssue } from '../errors.js';
import { formatPath, locate } from './locate.js';
import { checkRecordSchemas } from './record-schema.js';
import { analyze } from './semantic.js';
import { checkStructure, type RawIssue } from './structure.js';
import type { Manifest } from './types.js';

export interface LoadLimits {
  /** Largest manifest file accepted, in bytes (default 1 MiB). */
  maxBytes?: number;
  /** Most YAML alias expansions accepted, against "billion laughs" documents (default 100). */
  maxAliases?: number;
}

const DEFAULT_MAX_ALIASES = 100;

/**
 * Reads, parses and validates a manifest file.
 *
 * @example
 * const manifest = await loadManifest('connector.yaml');
 * Object.keys(manifest.entities); // ['contacts', 'conversations', ...]
 */
const yaml = lazy<typeof Yaml>('yaml');

export async function loadManifest(file: string, limits: LoadLimits = {}): Promise<Manifest> {
  return parseManifest(await readManifestText(file, limits.maxBytes ?? DEFAULT_MAX_BYTES), file, limits);
}

/** Parses and validates manifest text; `source` names it in error messages. */
export function parseManifest(text: string, source = '<manifest>', limits: LoadLimits = {}): Manifest {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ManifestError(
      source,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '', line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliases ?? DEFAULT_MAX_ALIASES });
  } catch (err) {
    throw new ManifestError(source, [
      { path: '', line: 1, column: 1, message: `${(err as Error).message}; expand the aliases by hand or use fewer of them` },
    ]);
  }

  const toIssues = (raw: RawIssue[]): ManifestIssue[] =>
    raw.map((i) => ({ path: formatPath(i.path), ...locate(doc, lines, i.path, i.atKey), message: i.message }));

  const structural = checkStructure(value);
  if (structural.length > 0) throw new ManifestError(source, toIssues(structural));

  const { issues, manifest } = analyze(value as Record<string, unknown>, source);
  const schemaIssues = checkRecordSchemas(value as Record<string, any>);
  if (issues.length > 0 || schemaIssues.length > 0 || !manifest) {
    throw new ManifestError(source, toIssues([...issues, ...schemaIssues]));
  }
  return manifest;
}
