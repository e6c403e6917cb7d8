/**
 * npm run build: bundles the package entry (generated/index.ts: the engine with the
 * Intercom types) into dist/index.js for hosts that run plain Node. Dependencies stay
 * external; connector.yaml and generated/manifest.json are read from beside dist/.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function buildBundle(): Promise<string> {
  const outfile = `${ROOT}dist/index.js`;
  await build({
    entryPoints: [`${ROOT}generated/index.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`Wrote ${await buildBundle()}`);
}
