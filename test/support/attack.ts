// Helpers of the attack tests: spawn the binary, start serve, call its API, find a secret in any of its forms.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { DEFAULT_MANIFEST, loadManifest } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { startServer as startHttp, type TestServer } from './server.js';

export const BIN = fileURLToPath(new URL('../../bin/intercom-connector.js', import.meta.url));
/** Cleanups run after the file's tests, last first. */
export const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

export async function http(handler: Parameters<typeof startHttp>[0]): Promise<TestServer> {
  const s = await startHttp(handler);
  closers.push(() => s.close());
  return s;
}

/** Every form a secret travels in: as is, JSON-escaped, percent-encoded, base64. */
export function forms(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')];
}
/** The first form of `secret` found in `text`, if any. */
export function leaks(text: string, secret: string): string | undefined {
  return forms(secret).find((f) => text.includes(f));
}

/** Runs the real binary with `input` on stdin. */
export function run(args: string[], env: Record<string, string | undefined>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, INTERCOM_ACCESS_TOKEN: undefined, DEBUG: undefined, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? '');
  });
}

export const DEF = 'd8313939-3782-41b0-be29-b3ca20d8dd3a';
export const KEY = 'attack-api-key-0000';

/**
 * A new folder in the system's temporary folder, removed (with all it holds) after the file's
 * tests: after whatever was started later in it, since cleanups run last first.
 */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** serve, in this process, on a new database (or the one in `dir`). */
export async function startServe(extra: Partial<Parameters<typeof startServer>[0]> = {}, dir?: string): Promise<RunningServer> {
  const where = dir ?? (await tempDir('attack-serve-'));
  const server = await startServer({ port: 0, dbPath: join(where, 'c.db'), manifests: [await loadManifest(DEFAULT_MANIFEST)], apiKeys: KEY, log: () => {}, ...extra });
  closers.push(() => server.close());
  return server;
}

export async function api(server: { url: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}
