import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { BIN, runBinary, runCli, type Run } from './support/cli.js';

/**
 * The command line in this process, through the entry the binary uses (sandbox/commands.ts
 * main), with piped-like captured output and only the environment given here.
 */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return runCli(args, { env });
}

describe('intercom-connector against the sandbox', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let base: string[];
  const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sandbox.dataset.contactAt(from + i).id);

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 1000 } });
    env = { INTERCOM_ACCESS_TOKEN: sandbox.token };
    base = ['--base-url', sandbox.url];
  });
  after(() => sandbox.close());

  describe('in process, through the command line\'s entry', () => {
    it('has --help on every command', async () => {
      const runs = await Promise.all([[], ['--help'], ['execute', '--help'], ['list', '--help'], ['describe', '--help'], ['sandbox', '--help'], ['demo', '--help']].map((a) => cli(a)));
      for (const r of runs) {
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^Usage: intercom-connector/);
      }
      assert.match(runs[1]!.stdout, /Exit codes:[\s\S]*7 authentication \(401\)/);
    });

    it('list and describe read the manifest', async () => {
      const list = await cli(['list']);
      assert.equal(list.code, 0);
      assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['contacts', 'conversations', 'companies', 'teams', 'admins', 'tags', 'segments', 'notes', 'internal_articles']);
      const d = await cli(['describe', 'contacts.list']);
      assert.equal(d.code, 0);
      assert.match(d.stdout, /per_page\s+integer\s+optional\s+1\.\.150\s+Number of contacts to return per page/);
      assert.match(d.stdout, /avatar\s+string \| null/);
      assert.match(d.stdout, /next_page\s+string \| null/);
    });

    it('execute prints { data, meta } with --param values converted to the declared types', async () => {
      const r = await cli(['execute', 'contacts', 'list', ...base, '--param', 'per_page=5'], env);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { data: { id: string }[]; meta: { next_page: string; total_count: number } };
      assert.deepEqual(out.data.map((c) => c.id), ids(5));
      assert.equal(typeof out.meta.next_page, 'string');
      assert.equal(out.meta.total_count, 1000);
      const seg = await cli(['execute', 'segments', 'list', ...base, '-p', 'include_count=true'], env);
      assert.ok((JSON.parse(seg.stdout) as { data: { count?: number }[] }).data.every((s) => typeof s.count === 'number'));
      const one = await cli(['execute', 'contacts.get', ...base, '--params', JSON.stringify({ id: ids(1, 9)[0] })], env);
      assert.equal((JSON.parse(one.stdout) as { data: { id: string } }).data.id, ids(1, 9)[0]);
    });

    it('--all streams every record as JSON Lines across pages, with no progress noise off a terminal', async () => {
      const r = await cli(['execute', 'contacts', 'list', ...base, '--all', '--param', 'per_page=150'], env);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1000);
      assert.deepEqual(lines.map((l) => (JSON.parse(l) as { id: string }).id), ids(1000));
      assert.equal(r.stderr, '', 'stderr is not a TTY: no progress line');
    });

    it('--limit stops exactly, and --starting-after continues exactly where it stopped', async () => {
      const first = await cli(['execute', 'contacts', 'list', ...base, '--limit', '160', '--param', 'per_page=150'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim().split('\n').length, 160);
      const token = /--starting-after '([^']+)'/.exec(first.stderr)?.[1];
      assert.ok(token, first.stderr);
      const rest = await cli(['execute', 'contacts', 'list', ...base, '--all', '--limit', '200', '--starting-after', token, '--param', 'per_page=150'], env);
      assert.equal(rest.code, 0, rest.stderr);
      const got = [...first.stdout, ...rest.stdout].join('').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
      assert.deepEqual(got, ids(360));
    });

    it('--limit inside the first page resumes at the next record too', async () => {
      const first = await cli(['execute', 'contacts', 'list', ...base, '--limit', '3'], env);
      const token = /--starting-after '([^']+)'/.exec(first.stderr)?.[1];
      assert.ok(token, first.stderr);
      const rest = await cli(['execute', 'contacts', 'list', ...base, '--limit', '4', '--starting-after', token], env);
      const got = [...first.stdout, ...rest.stdout].join('').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
      assert.deepEqual(got, ids(7));
      const all = await cli(['execute', 'teams', 'list', ...base, '--limit', '100'], env);
      assert.equal(all.stderr, '', 'a limit past the end says nothing');
    });

    it('--format json streams a valid array, --format table is for people', async () => {
      const json = await cli(['execute', 'companies', 'list', ...base, '--all', '--format', 'json', '--param', 'per_page=50'], env);
      assert.equal((JSON.parse(json.stdout) as unknown[]).length, sandbox.dataset.companies.length);
      const table = await cli(['execute', 'teams', 'list', ...base, '--format', 'table'], env);
      const [header, rule, ...rows] = table.stdout.trim().split('\n');
      assert.match(header!, /^id\s+name/);
      assert.match(rule!, /^-+\s+-+/);
      assert.equal(rows.length, sandbox.dataset.teams.length);
    });

    const errors: [string, string[], Record<string, string | undefined> | 'env', number, RegExp][] = [
      ['unknown command', ['exectue'], {}, 2, /unknown command "exectue"/],
      ['bad flag value', ['execute', 'contacts', 'list', '--param', 'per_page=ten'], 'env', 6, /per_page is an integer/],
      ['missing token', ['execute', 'contacts', 'list'], {}, 3, /missing the access_token credential .*set INTERCOM_ACCESS_TOKEN or pass --token-file/],
      ['manifest', ['list', '--manifest', '/nonexistent/x.yaml'], {}, 4, /MANIFEST_INVALID/],
      ['unknown entity', ['execute', 'contact', 'list'], 'env', 5, /Did you mean "contacts"\? Valid entities: contacts, conversations/],
      ['unknown parameter', ['execute', 'contacts', 'list', '--param', 'limit=5'], 'env', 6, /unknown parameter "limit"\. Valid parameters: per_page, starting_after/],
      ['401', ['execute', 'contacts', 'list'], { INTERCOM_ACCESS_TOKEN: 'tok_wrong_4242' }, 7, /UNAUTHORIZED.*Check the token \(INTERCOM_ACCESS_TOKEN or --token-file\)/],
      ['404', ['execute', 'contacts', 'get', '--param', 'id=nope'], 'env', 9, /NOT_FOUND.*no record with id "nope"/],
    ];
    for (const [name, args, e, code, message] of errors) {
      it(`error: ${name} → exit ${code}, one line on stderr`, async () => {
        const r = await cli([...args, ...(args[0] === 'execute' ? base : [])], e === 'env' ? env : e);
        assert.equal(r.code, code, r.stderr);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr.trim().split('\n').length, name === 'manifest' ? 2 : 1, r.stderr);
        assert.match(r.stderr, message);
        assert.ok(!r.stderr.includes('tok_wrong_4242'), 'the token is never echoed');
      });
    }

    it('--token works but warns that ps shows it; --token-file reads a file (stdin: see the binary)', async (t) => {
      const flag = await cli(['execute', 'tags', 'list', ...base, '--token', sandbox.token]);
      assert.equal(flag.code, 0, flag.stderr);
      assert.match(flag.stderr, /warning: --token puts the token in the process list.*prefer the environment variable or --token-file/);
      const dir = await mkdtemp(join(tmpdir(), 'token-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, 'token');
      await writeFile(file, `${sandbox.token}\n`, { mode: 0o600 });
      const fromFile = await cli(['execute', 'tags', 'list', ...base, '--token-file', file]);
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assert.equal(fromFile.stderr, '');
      assert.ok(JSON.parse(fromFile.stdout).data.length > 0);
      const both = await cli(['execute', 'tags', 'list', ...base, '--token-file', file, '--token', sandbox.token]);
      assert.equal(both.code, 2);
    });

    it('demo runs every read, a search, and on the sandbox a create read back', async () => {
      const demo = await cli(['demo']);
      assert.equal(demo.code, 0, demo.stderr);
      for (const op of ['contacts.list', 'contacts.get', 'segments.get', 'contacts.search', 'conversations.search', 'contacts.list (all pages)', 'contacts.create (sandbox only)']) assert.ok(demo.stdout.includes(op), op);
      assert.match(demo.stdout, /reads back what was written/);
      // Writes other than the one create are never part of the demo.
      assert.ok(!/tags\.create|notes\.create|companies\.update/.test(demo.stdout));
    });
  });

  // What only a real process has: the --version fast path, the exit status the OS sees,
  // stdin, signals, and a debug log that subscribes for the life of the process.
  describe('the real binary', () => {
    it('smoke: --version, --help (the same as in process), one execute, an error exit code', async () => {
      const [version, help, inProcessHelp, listed, unauthorized] = await Promise.all([
        runBinary(['--version']),
        runBinary(['--help']),
        cli(['--help']),
        runBinary(['execute', 'contacts', 'list', ...base, '--param', 'per_page=5'], env),
        runBinary(['execute', 'contacts', 'list', ...base], { INTERCOM_ACCESS_TOKEN: 'tok_wrong_4242' }),
      ]);
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, /^\d+\.\d+\.\d+\S*\n$/);
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stdout, inProcessHelp.stdout, 'the in-process runner has the binary\'s commands');
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual((JSON.parse(listed.stdout) as { data: { id: string }[] }).data.map((c) => c.id), ids(5));
      assert.equal(unauthorized.code, 7, unauthorized.stderr);
      assert.equal(unauthorized.stdout, '');
      assert.equal(unauthorized.stderr.trim().split('\n').length, 1, unauthorized.stderr);
      assert.match(unauthorized.stderr, /UNAUTHORIZED.*Check the token \(INTERCOM_ACCESS_TOKEN or --token-file\)/);
      assert.ok(!unauthorized.stderr.includes('tok_wrong_4242'), 'the token is never echoed');
    });

    it('--token-file - reads the token from stdin', async () => {
      const fromStdin = await runBinary(['execute', 'tags', 'list', ...base, '--token-file', '-'], {}, `${sandbox.token}\n`);
      assert.equal(fromStdin.code, 0, fromStdin.stderr);
      assert.ok(JSON.parse(fromStdin.stdout).data.length > 0);
    });

    it('--debug logs the requests, never the token', async () => {
      const r = await runBinary(['execute', 'tags', 'list', ...base, '--debug'], env);
      assert.equal(r.code, 0);
      assert.match(r.stderr, /connector-engine request operation=tags\.list method=GET path=\/tags/);
      assert.match(r.stderr, /connector-engine response .*status=200/);
      assert.ok(!r.stderr.includes(sandbox.token));
    });

    it('Ctrl-C stops cleanly and prints where to resume', async () => {
      sandbox.setFaults([{ kind: 'slow', every: 1, offset: 0, delayMs: 400 }]);
      try {
        const child = spawn(process.execPath, [BIN, 'execute', 'contacts', 'list', ...base, '--all', '--param', 'per_page=50'], { env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        let sent = false;
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (!sent && stdout.includes('\n')) {
            sent = true;
            child.kill('SIGINT');
          }
        });
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        assert.equal(code, 130, stderr);
        assert.match(stderr, /Interrupted after \d+ records\. Resume with: --starting-after '[^']+'/);
        const printed = stdout.trim().split('\n').length;
        assert.ok(printed >= 50 && printed < 1000, String(printed));
      } finally {
        sandbox.setFaults([]);
      }
    });

    it('sandbox serves until interrupted', async () => {
      const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--records', '50'], { env: process.env });
      let out = '';
      const url = await new Promise<string>((resolve) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
      });
      assert.match(out, /token: sandbox-token/);
      const r = await cli(['execute', 'contacts', 'list', '--base-url', url, '--all'], { INTERCOM_ACCESS_TOKEN: 'sandbox-token' });
      assert.equal(r.stdout.trim().split('\n').length, 50);
      child.kill('SIGINT');
      assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
    });
  });
});
