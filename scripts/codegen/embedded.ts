import { sha256 } from '../../src/manifest/embedded.js';
import type { Manifest } from '../../src/manifest/types.js';
import { GENERATED_BANNER } from './names.js';

/**
 * manifest.ts: the manifest as data, so the generated client needs no YAML file at run time.
 * It is embedded as a JSON string: V8 parses JSON.parse('…') faster than the same object
 * literal, and the declaration file keeps only the type.
 */
export function generateEmbeddedManifest(manifest: Manifest, yamlText: string, engineImport: string, sourceName: string): string {
  const { source: _source, ...data } = manifest;
  return [
    `// ${GENERATED_BANNER}`,
    `import type { Manifest } from '${engineImport}';`,
    '',
    `/** The ${manifest.connector.name} manifest (${sourceName}), validated by codegen. */`,
    `export const MANIFEST: Manifest = { ...JSON.parse(${quoted(JSON.stringify(data))}), source: ${JSON.stringify(sourceName)} };`,
    '',
    `/** SHA-256 of the YAML text it was generated from. */`,
    `export const SOURCE_SHA256 = '${sha256(yamlText)}';`,
    '',
  ].join('\n');
}

/** A single-quoted JS string: JSON text has far more double quotes than single ones. */
function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;
}
