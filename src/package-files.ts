import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * A file at the root of this package (connector.yaml, package.json), wherever this module
 * runs from: `src/` in development, `dist/src/` once built and installed. The root is the
 * nearest folder above holding a package.json.
 */
export function packageFile(name: string): string {
  for (let dir = HERE, up = 0; up < 4; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, name);
  }
  return join(HERE, '..', name);
}
