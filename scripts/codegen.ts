/**
 * npm run codegen [-- --check] [--manifest file.yaml --out dir]
 *
 * Reads each manifest through the runtime's own loader and writes types, client, reference
 * docs and OpenAPI export: connector.yaml into generated/, and every connectors/<x>.yaml into
 * generated/<connector name>/. With --check it writes nothing and exits 1 when anything
 * differs from what the manifests give.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ManifestError } from '../src/errors.js';
import { loadManifest } from '../src/manifest/load.js';
import type { Manifest } from '../src/manifest/types.js';
import { DEFAULT_MANIFEST } from '../src/runtime.js';
import { findDrift, generateAll, writeAll } from './codegen/generate.js';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    manifest: { type: 'string' },
    out: { type: 'string' },
  },
});

interface Target {
  manifest: string;
  out: string | undefined;
}

const ROOT = join(DEFAULT_MANIFEST, '..');
const CONNECTORS = join(ROOT, 'connectors');

async function targets(): Promise<Target[]> {
  if (values.manifest) return [{ manifest: values.manifest, out: values.out ?? 'generated' }];
  const others = (await readdir(CONNECTORS).catch(() => [] as string[])).filter((f) => f.endsWith('.yaml')).sort();
  // The output folder of another connector is its name, known once it is loaded.
  return [{ manifest: DEFAULT_MANIFEST, out: 'generated' }, ...others.map((f) => ({ manifest: join(CONNECTORS, f), out: undefined }))];
}

let failed = false;
const loaded: { manifest: Manifest; file: string; out: string }[] = [];
for (const target of await targets()) {
  try {
    const manifest = await loadManifest(target.manifest);
    loaded.push({ manifest, file: target.manifest, out: target.out ?? join('generated', manifest.connector.name) });
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    console.error(err.message);
    process.exitCode = 2;
    failed = true;
  }
}
// generated/ holds the default connector's files and one folder per other connector.
const nestedOutputs = loaded.map((l) => l.out).filter((out) => out !== 'generated' && relative('generated', out).split(/[\\/]/).length === 1);
for (const { manifest, file, out } of loaded) {
  const name = relative(process.cwd(), file) || file;
  const engineImport = nestedOutputs.includes(out) ? '../../src/index.js' : '../src/index.js';
  const sourceName = relative(ROOT, file).split('\\').join('/');
  const files = await generateAll(manifest, await readFile(file, 'utf8'), engineImport, sourceName);
  if (values.check) {
    const keep = out === 'generated' ? nestedOutputs.map((o) => basename(o)) : [];
    const drift = await findDrift(files, out, keep);
    if (drift.length > 0) {
      console.error(`${out}/ does not match ${name}:\n${drift.map((d) => `  ${d}`).join('\n')}\nRun \`npm run codegen\` and commit the result.`);
      failed = true;
    }
  } else {
    const written = await writeAll(files, out);
    console.log(written.length ? `Wrote ${written.join(', ')}` : `${out}/ was already up to date with ${name} (${files.size} files).`);
  }
}
if (values.check && !failed) console.log(`generated/ is up to date (${loaded.map((l) => l.out).join(', ')}).`);
if (failed) process.exitCode ||= 1;
