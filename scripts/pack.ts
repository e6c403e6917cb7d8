/**
 * Packs the project as npm would publish it and installs the tarball into a fresh project,
 * the way a user gets it: `npm pack` (which builds dist/ through prepack), then
 * `npm install <tarball>` in an empty folder. Used by the package test and `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface Installed {
  /** The folder holding the tarball and the consumer project. */
  dir: string;
  tarball: string;
  /** The consumer project: package.json and node_modules/ with the package installed. */
  consumer: string;
  /** The package's own folder in the consumer's node_modules. */
  packageDir: string;
  /** The installed command line (node runs it). */
  bin: string;
  install: { bytes: number; packages: string[]; nativeAddons: string[] };
}

/**
 * @example
 * const { consumer, bin } = await packAndInstall();
 * execFileSync(process.execPath, [bin, '--version']);
 */
export async function packAndInstall(): Promise<Installed> {
  const dir = await mkdtemp(join(tmpdir(), 'pack-'));
  // The caller removes `dir` once done with it; a pack or an install that fails leaves nothing behind.
  try {
    const { stdout } = await run(NPM, ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const tarball = join(dir, stdout.trim().split('\n').at(-1)!);
    const consumer = join(dir, 'consumer');
    await mkdir(consumer);
    await writeFile(join(consumer, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
    // The registry's packages are in npm's cache after the project's own `npm ci`.
    await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', tarball], { cwd: consumer, maxBuffer: 16 * 1024 * 1024 });
    const packageDir = join(consumer, 'node_modules', 'intercom-connector');
    const files = await walk(join(consumer, 'node_modules'));
    const names = files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/.][^/]*)/.exec(f.path)?.[1]).filter((n): n is string => n !== undefined);
    return {
      dir,
      tarball,
      consumer,
      packageDir,
      bin: join(packageDir, 'dist', 'sandbox', 'cli.js'),
      install: {
        bytes: files.reduce((n, f) => n + f.size, 0),
        packages: [...new Set(names)].sort(),
        nativeAddons: files.filter((f) => f.path.endsWith('.node')).map((f) => f.path.slice(consumer.length + 1)),
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function walk(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push({ path, size: (await stat(path)).size });
  }
  return out;
}
