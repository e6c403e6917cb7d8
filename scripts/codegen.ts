/**
 * npm run codegen [-- --check] [--manifest connector.yaml] [--out generated]
 *
 * Reads the manifest through the runtime's own loader and writes types, client, reference
 * docs and OpenAPI export into generated/. With --check it writes nothing and exits 1 when
 * generated/ differs from what the manifest gives.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ManifestError } from '../src/errors.js';
import { loadManifest } from '../src/manifest/load.js';
import { DEFAULT_MANIFEST } from '../src/runtime.js';
import { findDrift, generateAll, writeAll } from './codegen/generate.js';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    manifest: { type: 'string', default: DEFAULT_MANIFEST },
    out: { type: 'string', default: 'generated' },
  },
});

const manifestName = relative(process.cwd(), values.manifest!) || values.manifest!;
try {
  const manifest = await loadManifest(values.manifest!);
  const files = await generateAll(manifest, await readFile(values.manifest!, 'utf8'));
  if (values.check) {
    const drift = await findDrift(files, values.out!);
    if (drift.length > 0) {
      console.error(`generated/ does not match ${manifestName}:\n${drift.map((d) => `  ${d}`).join('\n')}\nRun \`npm run codegen\` and commit the result.`);
      process.exitCode = 1;
    } else {
      console.log(`generated/ is up to date with ${manifestName} (${files.size} files).`);
    }
  } else {
    const written = await writeAll(files, values.out!);
    console.log(written.length ? `Wrote ${written.join(', ')}` : `generated/ was already up to date (${files.size} files).`);
  }
} catch (err) {
  if (err instanceof ManifestError) {
    console.error(err.message);
    process.exitCode = 2;
  } else throw err;
}
