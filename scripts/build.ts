/**
 * npm run build (and prepack): compiles src/, generated/ and sandbox/ with tsc into dist/
 * (ESM JavaScript, .d.ts declarations, source maps with their sources inlined, since the
 * package ships dist/ and not the TypeScript). The default manifest is embedded in
 * generated/manifest.ts, so dist/ reads no YAML unless a user passes a manifest.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The command line, as package.json's `bin` names it. */
export const BIN = 'dist/sandbox/cli.js';

export function build(): void {
  rmSync(`${ROOT}dist`, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
  // npm sets the mode when it installs a bin; a dist/ used in place needs it too.
  chmodSync(`${ROOT}${BIN}`, 0o755);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  build();
  console.log(`Built dist/ (${BIN} is the command line).`);
}
