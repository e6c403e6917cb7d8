import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readManifestText } from './read.js';
import type { Manifest } from './types.js';

/**
 * A manifest as codegen validated it, stored next to the generated code with the hash
 * of the YAML it came from. Loading it skips YAML parsing and validation (most of a
 * cold start); a hash that no longer matches the YAML means it is not used.
 */
export interface CompiledManifest {
  source_sha256: string;
  manifest: Omit<Manifest, 'source'>;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function toCompiled(manifest: Manifest, yamlText: string): CompiledManifest {
  const { source: _source, ...rest } = manifest;
  return { source_sha256: sha256(yamlText), manifest: rest };
}

/**
 * Loads `file` through its compiled form when that matches the file's text byte for
 * byte; otherwise through the full loader.
 */
export async function loadWithCompiled(file: string, compiledFile: string): Promise<Manifest> {
  const [text, compiled] = await Promise.all([readManifestText(file).catch(() => undefined), readFile(compiledFile, 'utf8').catch(() => undefined)]);
  if (text !== undefined && compiled !== undefined) {
    try {
      const parsed = JSON.parse(compiled) as CompiledManifest;
      if (parsed.source_sha256 === sha256(text)) return { ...parsed.manifest, source: file } as Manifest;
    } catch {
      // A damaged compiled form is only a missed shortcut.
    }
  }
  const { loadManifest } = await import('./load.js');
  return loadManifest(file);
}
