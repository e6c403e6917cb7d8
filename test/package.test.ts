// The package as a user gets it: `npm pack`, then `npm install <tarball>` into an empty
// project, then plain Node, a strict TypeScript consumer, a bundler, the installed CLI and
// MCP server, and the packaging linters.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { packAndInstall, ROOT, type Installed } from '../scripts/pack.js';

const require = createRequire(import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function node(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd, env: { ...process.env, INTERCOM_ACCESS_TOKEN: undefined, DEBUG: undefined, ...options.env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** What a library user writes: the client, pagination and the sandbox, from plain ESM. */
const PLAIN = `import { createClient, NotFoundError } from 'intercom-connector';
import { startSandbox } from 'intercom-connector/sandbox';
const sandbox = await startSandbox({ counts: { contacts: 120 } });
const intercom = createClient({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
const { data } = await intercom.teams.list();
const ids = [];
for await (const c of intercom.contacts.paginate({ per_page: 50 })) ids.push(c.id);
let notFound = '';
try { await intercom.contacts.get({ id: 'nope' }); } catch (err) { notFound = err instanceof NotFoundError ? err.code : String(err); }
console.log(JSON.stringify({ teams: data.length, contacts: ids.length, unique: new Set(ids).size, notFound }));
await sandbox.close();
`;

const STRICT = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noPropertyAccessFromIndexSignature: true,
  skipLibCheck: false,
  noEmit: true,
  types: ['node'],
  // The consumer's own @types/node, as any TypeScript project on Node has.
  typeRoots: [join(ROOT, 'node_modules', '@types')],
};

const TYPED = `import { createClient, createRuntime, type Contact, type RuntimeOptions } from 'intercom-connector';
import { createRuntime as createEngineRuntime, type Manifest } from 'intercom-connector/engine';
import { startSandbox } from 'intercom-connector/sandbox';

const sandbox = await startSandbox();
const options: RuntimeOptions = { baseUrl: sandbox.url, credentials: { access_token: sandbox.token } };
const intercom = createClient(options);
const { data, meta } = await intercom.contacts.list({ per_page: 5 });
const first: Contact | undefined = data[0];
const next: string | null = meta.next_page;
const runtime = await createRuntime(options);
const page = await runtime.execute({ entity: 'teams', action: 'list' });
const names: string[] = page.data.map((t) => t.name ?? '');
const engine = await createEngineRuntime(options);
const manifest: Manifest = engine.manifest;
console.log(first?.id, next, names, manifest.connector.name);
`;

const MISTYPED = `import { createClient, createRuntime } from 'intercom-connector';
const intercom = createClient();
await intercom.contact.list();
const runtime = await createRuntime();
await runtime.execute({ entity: 'contact', action: 'list' });
`;

describe('the packed package, installed into an empty project', () => {
  let pkg: Installed;
  const children: ReturnType<typeof spawn>[] = [];

  before(async () => {
    pkg = await packAndInstall();
  });
  after(async () => {
    try {
      // Stopped, and gone, before the folder their files are in is removed.
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const exited = once(c, 'exit');
          c.kill('SIGKILL');
          await exited;
        }),
      );
    } finally {
      if (pkg) await rm(pkg.dir, { recursive: true, force: true });
    }
  });

  it('installs small: only the runtime dependencies, no native addon, no development tool', () => {
    assert.deepEqual(pkg.install.nativeAddons, []);
    assert.ok(pkg.install.bytes <= 25 * 1024 * 1024, `the install is ${(pkg.install.bytes / 1048576).toFixed(1)} MB`);
    for (const tool of ['tsx', 'esbuild', 'better-sqlite3', '@modelcontextprotocol/sdk', 'json-schema-to-typescript', 'typescript']) {
      assert.ok(!pkg.install.packages.includes(tool), `${tool} was installed: ${pkg.install.packages.join(', ')}`);
    }
  });

  it('plain Node imports it (ESM) and calls the sandbox', async () => {
    await writeFile(join(pkg.consumer, 'plain.mjs'), PLAIN);
    const run = await node(['plain.mjs'], { cwd: pkg.consumer });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { teams: 5, contacts: 120, unique: 120, notFound: 'NOT_FOUND' });
  });

  it('a bundle of it runs with no node_modules and no YAML beside it: the manifest is embedded', async (t) => {
    const out = await mkdtemp(join(tmpdir(), 'bundled-'));
    t.after(() => rm(out, { recursive: true, force: true }));
    await writeFile(join(pkg.consumer, 'plain.mjs'), PLAIN);
    await build({
      entryPoints: [join(pkg.consumer, 'plain.mjs')],
      absWorkingDir: pkg.consumer,
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(out, 'app.mjs'),
      logLevel: 'silent',
      // Node's builtins, required from CommonJS dependencies, need a require in an ES module.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    const run = await node(['app.mjs'], { cwd: out });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).contacts, 120);
  });

  it('type-checks a consumer under strict flags with skipLibCheck off; a mistyped entity does not compile', async () => {
    const tsc = require.resolve('typescript/bin/tsc');
    await writeFile(join(pkg.consumer, 'typed.ts'), TYPED);
    await writeFile(join(pkg.consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions: STRICT, files: ['typed.ts'] }));
    const ok = await node([tsc, '-p', '.'], { cwd: pkg.consumer });
    assert.equal(ok.code, 0, ok.stdout);

    await writeFile(join(pkg.consumer, 'mistyped.ts'), MISTYPED);
    await writeFile(join(pkg.consumer, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions: STRICT, files: ['mistyped.ts'] }));
    const wrong = await node([tsc, '-p', 'tsconfig.wrong.json'], { cwd: pkg.consumer });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /mistyped\.ts\(3,\d+\): error TS2551: Property 'contact' does not exist[^\n]*Did you mean 'contacts'\?/);
    assert.match(wrong.stdout, /mistyped\.ts\(5,\d+\): error TS2\d+: [^\n]*'"contact"'/);
  });

  it('the installed command line: --version, execute against the sandbox, mcp, and serve asking for its optional SQLite driver', async () => {
    const version = await node([pkg.bin, '--version']);
    assert.equal(version.stdout.trim(), JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version);

    const sandbox = spawn(process.execPath, [pkg.bin, 'sandbox', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sandbox);
    let printed = '';
    sandbox.stdout!.on('data', (c: Buffer) => (printed += c.toString()));
    while (!/listening on (http:\/\/\S+)/.test(printed)) await once(sandbox.stdout!, 'data');
    const url = /listening on (http:\/\/\S+)/.exec(printed)![1]!;

    const teams = await node([pkg.bin, 'execute', 'teams', 'list', '--base-url', url], { env: { INTERCOM_ACCESS_TOKEN: 'sandbox-token' } });
    assert.equal(teams.code, 0, teams.stderr);
    assert.equal(JSON.parse(teams.stdout).data.length, 5);

    const mcp = spawn(process.execPath, [pkg.bin, 'mcp', '--base-url', url], { env: { ...process.env, INTERCOM_ACCESS_TOKEN: 'sandbox-token' }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(mcp);
    let lines = '';
    mcp.stdout!.on('data', (c: Buffer) => (lines += c.toString()));
    const answer = async (n: number) => {
      while (lines.split('\n').length <= n) await once(mcp.stdout!, 'data');
      return JSON.parse(lines.split('\n')[n - 1]!);
    };
    mcp.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } })}\n`);
    assert.equal((await answer(1)).result.serverInfo.name, 'intercom');
    mcp.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'teams_list', arguments: {} } })}\n`);
    assert.equal((await answer(2)).result.structuredContent.records.length, 5);
    mcp.stdin!.end();
    await once(mcp, 'exit');

    const serve = await node([pkg.bin, 'serve', '--port', '0', '--db', join(pkg.dir, 'c.db')], { env: { CONNECTOR_API_KEYS: 'k'.repeat(32) } });
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr, /better-sqlite3, an optional peer dependency[^\n]*npm install better-sqlite3@12/);
    assert.doesNotMatch(serve.stderr, /\n\s+at /, 'no stack trace');
    sandbox.kill('SIGTERM');
    await once(sandbox, 'exit');
  });

  it('passes publint and are-the-types-wrong (ESM-only profile)', async () => {
    const publint = await node([join(ROOT, 'node_modules', '.bin', 'publint'), '--strict', pkg.tarball]);
    assert.equal(publint.code, 0, publint.stdout + publint.stderr);
    assert.match(publint.stdout, /All good/);
    const attw = await node([join(ROOT, 'node_modules', '.bin', 'attw'), pkg.tarball, '--profile', 'esm-only', '--format', 'json']);
    assert.equal(attw.code, 0, attw.stdout.slice(0, 2000) + attw.stderr);
    // The ESM-only profile leaves out CommonJS resolution (node10, require from node16): this package is ESM.
    const problems = (JSON.parse(attw.stdout).analysis.problems as { resolutionKind?: string }[]).filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
    assert.deepEqual(problems, []);
  });
});
