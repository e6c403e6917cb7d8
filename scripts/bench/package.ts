import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { packAndInstall } from '../pack.js';
import { median } from './overhead.js';
import { ROOT, runChild } from './spawn.js';

export interface PackageReport {
  install: { megabytes: number; packages: number; nativeAddons: number };
  /** Wall time of `node <bin> --version`, spawn to exit. */
  versionMs: number;
  /** Wall time of `execute teams list` against a sandbox on loopback. */
  executeMs: number;
  /** From spawning `mcp` to its answer to `initialize`. */
  mcpReadyMs: number;
  /** The same three from the TypeScript sources through tsx (how the binary ran before it was compiled). */
  fromSources: { versionMs: number; executeMs: number; mcpReadyMs: number };
  coldStart: { importMs: number; loadAndCompileMs: number; totalMs: number; firstCallMs: number };
}

/** Wall time of one process, spawn to exit; fails on a non-zero exit. */
function timed(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')} exited with ${code}: ${err}`))));
  });
}

/** From spawning `mcp` to the answer to `initialize`, sent at once (a client does not wait either). */
function mcpReady(bin: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'mcp', '--base-url', url], { env: { ...process.env, INTERCOM_ACCESS_TOKEN: 'sandbox-token' }, stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } })}\n`);
    child.stdout!.once('data', () => {
      const ms = performance.now() - t0;
      child.once('exit', () => resolve(ms));
      child.stdin!.end();
    });
    child.once('error', reject);
  });
}

async function medianOf(n: number, fn: () => Promise<number>): Promise<number> {
  await fn(); // warm the file cache
  const runs: number[] = [];
  for (let i = 0; i < n; i++) runs.push(await fn());
  return median(runs);
}

export async function measureBin(bin: string, url: string, runs: number) {
  return {
    versionMs: await medianOf(runs, () => timed([bin, '--version'])),
    executeMs: await medianOf(runs, () => timed([bin, 'execute', 'teams', 'list', '--base-url', url], { INTERCOM_ACCESS_TOKEN: 'sandbox-token' })),
    mcpReadyMs: await medianOf(runs, () => mcpReady(bin, url)),
  };
}

/**
 * Packs and installs the package into an empty project, then times its command line and
 * library from there, as a user runs them, against the sandbox at `url`.
 */
export async function measurePackage(url: string, tinyUrl: string, runs = 11): Promise<PackageReport> {
  const pkg = await packAndInstall();
  try {
    const installed = await measureBin(pkg.bin, url, runs);
    const fromSources = await measureBin(join(ROOT, 'bin', 'intercom-connector.js'), url, Math.min(runs, 5));
    const entry = new URL(`file://${join(pkg.packageDir, 'dist', 'generated', 'index.js')}`).href;
    const cold: { importMs: number; loadMs: number; totalMs: number; firstCallMs: number }[] = [];
    for (let i = 0; i < 7; i++) cold.push(await runChild('scripts/bench/cold-start.mjs', [entry, tinyUrl]));
    return {
      install: { megabytes: pkg.install.bytes / 1048576, packages: pkg.install.packages.length, nativeAddons: pkg.install.nativeAddons.length },
      ...installed,
      fromSources,
      coldStart: {
        importMs: median(cold.map((c) => c.importMs)),
        loadAndCompileMs: median(cold.map((c) => c.loadMs)),
        totalMs: median(cold.map((c) => c.totalMs)),
        firstCallMs: median(cold.map((c) => c.firstCallMs)),
      },
    };
  } finally {
    await rm(pkg.dir, { recursive: true, force: true });
  }
}
