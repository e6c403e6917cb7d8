import { packageFile } from '../package-files.js';
import { fromEmbedded } from './embedded.js';
import type { Manifest } from './types.js';

/** The manifest used when none is given: the package's own `connector.yaml`. */
export const DEFAULT_MANIFEST = packageFile('connector.yaml');

/**
 * The package's connector, from the module codegen embeds it in (generated/manifest.ts):
 * no file is read in compiled code, so a bundled or serverless host needs nothing beside it.
 */
export async function loadDefaultManifest(): Promise<Manifest> {
  const { MANIFEST, SOURCE_SHA256 } = await import('../../generated/manifest.js');
  return fromEmbedded(MANIFEST, SOURCE_SHA256, DEFAULT_MANIFEST);
}
