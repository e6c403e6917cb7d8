import { createHash } from 'node:crypto';
import { readManifestText } from './read.js';
import type { Manifest } from './types.js';

/**
 * The manifest a generated module embeds, as codegen validated it: loading it costs one
 * JSON.parse (no YAML, no validation, no file), so bundlers and serverless hosts need no
 * files beside the code.
 *
 * Run from the TypeScript sources (development), the YAML it came from is read too: when
 * it changed since the last codegen, that YAML is loaded instead, so an edit is seen before
 * `npm run codegen`. Compiled code always trusts what it embeds.
 */
export async function fromEmbedded(embedded: Manifest, sourceSha256: string, yamlFile: string): Promise<Manifest> {
  if (import.meta.url.endsWith('.ts')) {
    const text = await readManifestText(yamlFile).catch(() => undefined);
    if (text !== undefined && sha256(text) !== sourceSha256) {
      const { loadManifest } = await import('./load.js');
      return loadManifest(yamlFile);
    }
  }
  return { ...embedded, source: yamlFile };
}

/** The hash an embedded manifest keeps of the YAML text it came from. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
