// First-contact edges of the command line and the library: exit codes, hints, resume tokens
// bound to their list, help, JSON output of list/describe, completion, the demo's flags,
// environment (CONNECTOR_BASE_URL, proxies), and the library's per-call options.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runDemo } from '../sandbox/demo.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { ConfigurationError, createClient, createRuntime } from '../generated/index.js';
import { BIN, runBinary, runCli, type Run } from './support/cli.js';
import { startServer, sendJson } from './support/server.js';

const TOKEN_ENV = 'INTERCOM_ACCESS_TOKEN';

/** The command line in this process, with only the environment given. */
const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> => runCli(args, { env });
const bin = (args: string[], env: Record<string, string> = {}): Promise<Run> => runBinary(args, env);

const oneLine = (r: Run) => r.stderr.trim().split('\n').at(-1)!;

describe('command line edges', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let at: string[];

  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 23, companies: 12 } });
    env = { [TOKEN_ENV]: sandbox.token };
    at = ['--base-url', sandbox.url];
  });
  after(() => sandbox.close());

  it('exit codes follow the table: a parameter of the wrong type is 6 however it is given; a near miss gets a suggestion', async () => {
    const typed = await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=abc'], env);
    assert.equal(typed.code, 6, typed.stderr);
    assert.match(oneLine(typed), /error\[INVALID_PARAMETERS\]: --param per_page=abc: per_page is an integer/);
    const json = await cli(['execute', 'contacts', 'list', ...at, '--params', '{"per_page":"5"}'], env);
    assert.equal(json.code, 6, json.stderr);
    assert.match(json.stderr, /per_page/);

    const entity = await cli(['describe', 'contact.list']);
    assert.equal(entity.code, 2);
    assert.match(entity.stderr, /unknown entity "contact"\. Did you mean "contacts"\?/);
    const action = await cli(['describe', 'contacts.lst']);
    assert.match(action.stderr, /no action "lst"\. Did you mean "list"\?/);
    const command = await cli(['exeucte']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "exeucte"\. Did you mean "execute"\?/);
  });

  it('an unknown flag is named, with the nearest real one and the list; a flag missing its value says so', async () => {
    const bogus = await cli(['execute', 'contacts', 'list', '--bogus-flag']);
    assert.equal(bogus.code, 2);
    assert.equal(bogus.stderr.trim().split('\n').length, 1, bogus.stderr);
    assert.match(bogus.stderr, /execute has no option --bogus-flag\. Its options: .*--base-url.*--starting-after/);
    assert.doesNotMatch(bogus.stderr, /To specify a positional argument/);
    const near = await cli(['execute', 'contacts', 'list', '--base-ur', 'x']);
    assert.match(near.stderr, /has no option --base-ur\. Did you mean "--base-url"\?/);
    const missing = await cli(['execute', 'contacts', 'list', '--limit']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--limit needs a value, e\.g\. --limit <value>/);
  });

  it('help execute is execute --help, and lists the options every command takes', async () => {
    const a = await cli(['help', 'execute']);
    const b = await cli(['execute', '--help']);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout);
    for (const flag of ['--base-url', '--token-file', '--token ', '--manifest', '--starting-after', '--allow-insecure-http', 'CONNECTOR_BASE_URL', 'HTTPS_PROXY']) {
      assert.ok(a.stdout.includes(flag), `execute help lacks ${flag}`);
    }
    assert.match((await cli(['help', 'nope'])).stderr, /unknown command "nope"/);
  });

  it('list and describe speak JSON; describe shows limits and readable types', async () => {
    const list = await cli(['list', '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const parsed = JSON.parse(list.stdout);
    assert.equal(parsed.connector, 'intercom');
    assert.deepEqual(parsed.entities.find((e: { entity: string }) => e.entity === 'contacts').actions.map((a: { action: string }) => a.action), ['list', 'get', 'search', 'create', 'update']);

    const described = await cli(['describe', 'contacts.list', '--format', 'json']);
    const d = JSON.parse(described.stdout);
    assert.equal(d.operation, 'contacts.list');
    assert.equal(d.method, 'GET');
    const perPage = d.params.find((p: { name: string }) => p.name === 'per_page');
    assert.deepEqual({ type: perPage.type, required: perPage.required, minimum: perPage.minimum, maximum: perPage.maximum }, { type: 'integer', required: false, minimum: 1, maximum: 150 });
    assert.ok(d.record_fields.some((f: { name: string; type: string }) => f.name === 'email' && f.type === 'string | null'));
    assert.equal(d.meta[0].name, 'next_page');

    const text = await cli(['describe', 'contacts.list']);
    assert.match(text.stdout, /per_page\s+integer\s+optional\s+1\.\.150\s+Number of contacts/);
    assert.match((await cli(['list', '--format', 'yaml'])).stderr, /--format must be text or json here/);
  });

  it('--format table says when more pages exist, and the token it gives fetches the next page', async () => {
    const first = await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=5', '--format', 'table'], env);
    assert.equal(first.code, 0, first.stderr);
    const token = /--starting-after '([^']+)'/.exec(first.stderr)?.[1];
    assert.ok(token, first.stderr);
    assert.match(first.stderr, /More records exist: --all prints every page/);
    const all = JSON.parse((await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=10'], env)).stdout).data.map((c: { id: string }) => c.id);
    const second = await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=5', '--starting-after', token, '--format', 'jsonl'], env);
    assert.deepEqual(second.stdout.trim().split('\n').map((l) => JSON.parse(l).id), all.slice(5, 10));
  });

  it('a resume token resumes only its own list: another operation or other parameters are refused; the same one continues at the next record', async () => {
    const limited = await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=5', '--limit', '7'], env);
    assert.equal(limited.code, 0, limited.stderr);
    const token = /--starting-after '([^']+)'/.exec(limited.stderr)![1]!;
    const firstSeven = limited.stdout.trim().split('\n').map((l) => JSON.parse(l).id);

    const other = await cli(['execute', 'companies', 'list', ...at, '--all', '--starting-after', token], env);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /this token resumes contacts\.list, not companies\.list/);
    assert.equal(other.stdout, '', 'nothing was fetched or printed');
    const params = await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=6', '--all', '--starting-after', token], env);
    assert.equal(params.code, 2);
    assert.match(params.stderr, /with other parameters/);
    const damaged = await cli(['execute', 'contacts', 'list', ...at, '--all', '--starting-after', `${token.slice(0, -4)}@@@@`], env);
    assert.equal(damaged.code, 2);

    const rest = await cli(['execute', 'contacts', 'list', ...at, '-p', 'per_page=5', '--all', '--starting-after', token], env);
    assert.equal(rest.code, 0, rest.stderr);
    const ids = [...firstSeven, ...rest.stdout.trim().split('\n').map((l) => JSON.parse(l).id)];
    assert.equal(ids.length, 23);
    assert.equal(new Set(ids).size, 23, 'every contact once');
  });

  it('a --starting-after the API refuses is not offered back as the resume token', async () => {
    const upstream = await startServer((_req, res) => sendJson(res, 400, { type: 'error.list', errors: [{ code: 'parameter_invalid', message: 'starting_after is invalid' }] }));
    try {
      const run = await cli(['execute', 'contacts', 'list', '--base-url', upstream.url, '--all', '--starting-after', 'not-a-cursor-of-theirs'], env);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /did not accept the --starting-after value: start the list without it/);
      assert.doesNotMatch(run.stderr, /Resume with/);
    } finally {
      await upstream.close();
    }
  });

  it('a 404 on a list blames the base URL, not an id; a 404 on a get names the id', async () => {
    const upstream = await startServer((_req, res) => sendJson(res, 404, { type: 'error.list', errors: [{ code: 'not_found', message: 'Resource Not Found' }] }));
    try {
      const list = await cli(['execute', 'teams', 'list', '--base-url', upstream.url], env);
      assert.equal(list.code, 9);
      assert.match(list.stderr, /the server has no such path .*Check the base URL, region and API version/);
      assert.doesNotMatch(list.stderr, /\bid\b/);
      const get = await cli(['execute', 'teams', 'get', '--base-url', upstream.url, '-p', 'id=7'], env);
      assert.match(get.stderr, /no record with id "7"/);
    } finally {
      await upstream.close();
    }
  });

  it('a refused connection says what it is and each retry is announced as it happens', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const run = await cli(['execute', 'teams', 'list', '--base-url', `http://127.0.0.1:${port}`, '--max-retries', '1'], env);
    assert.equal(run.code, 14);
    const lines = run.stderr.trim().split('\n');
    assert.match(lines[0]!, /teams\.list attempt 1 failed \(ECONNREFUSED\); retrying in \d+\.\d s\./);
    assert.match(lines.at(-1)!, /nothing accepts connections at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Check that the server is running/);
  });

  it('plain http off this machine is refused with the flag that allows it, and --allow-insecure-http allows it', async () => {
    const refused = await cli(['execute', 'teams', 'list', '--base-url', 'http://api.example.invalid'], env);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /--allow-insecure-http on the command line/);
    const allowed = await cli(['execute', 'teams', 'list', '--base-url', 'http://api.example.invalid', '--allow-insecure-http', '--max-retries', '0'], env);
    assert.equal(allowed.code, 14, allowed.stderr);
    assert.match(allowed.stderr, /does not resolve \(ENOTFOUND\)/);
  });

  it('CONNECTOR_BASE_URL points every command at another server; --base-url wins over it', async () => {
    const run = await cli(['execute', 'teams', 'list'], { ...env, CONNECTOR_BASE_URL: sandbox.url });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).data.length, 5);
    const wins = await cli(['execute', 'teams', 'list', ...at], { ...env, CONNECTOR_BASE_URL: 'http://127.0.0.1:9' });
    assert.equal(wins.code, 0, wins.stderr);
  });

  it('HTTP_PROXY sends requests through the proxy; NO_PROXY hosts are reached directly', async () => {
    const proxy = await startProxy();
    try {
      const via = await cli(['execute', 'teams', 'list', ...at], { ...env, HTTP_PROXY: proxy.url });
      assert.equal(via.code, 0, via.stderr);
      assert.equal(proxy.tunnels.length, 1, 'one connection through the proxy');
      assert.equal(proxy.tunnels[0], new URL(sandbox.url).host);
      const direct = await cli(['execute', 'teams', 'list', ...at], { ...env, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(proxy.tunnels.length, 1, 'NO_PROXY: not through the proxy');
    } finally {
      await proxy.close();
    }
  });

  it('completion bash completes commands, entities, actions, parameter names and flags', async () => {
    const script = await cli(['completion', 'bash']);
    assert.equal(script.code, 0, script.stderr);
    const complete = async (words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(' ');
      const run = await new Promise<string>((resolve, reject) => {
        const child = spawn('bash', ['--norc', '--noprofile', '-c', `eval "$(cat)"; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _intercom_connector; printf '%s\\n' "\${COMPREPLY[@]}"`], { stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.once('error', reject);
        child.once('exit', () => resolve(out));
        child.stdin.end(script.stdout);
      });
      return run.trim().split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(await complete(['intercom-connector', 'ex']), ['execute']);
    assert.deepEqual(await complete(['intercom-connector', 'execute', 'co']), ['companies', 'contacts', 'conversations']);
    assert.deepEqual(await complete(['intercom-connector', 'execute', '--base-url', 'http', ':', '//x', 'contacts', '']), ['create', 'get', 'list', 'search', 'update']);
    assert.deepEqual(await complete(['intercom-connector', 'execute', 'contacts', 'list', '-p', 'per']), ['per_page=']);
    assert.deepEqual(await complete(['intercom-connector', 'execute', 'contacts', 'list', '--form']), ['--format']);
    assert.deepEqual(await complete(['intercom-connector', 'execute', 'contacts', 'list', '--format', 'j']), ['json', 'jsonl']);
    assert.deepEqual(await complete(['intercom-connector', 'describe', 'teams.']), ['teams.get', 'teams.list']);
    const zsh = await cli(['completion', 'zsh']);
    assert.match(zsh.stdout, /^#compdef intercom-connector\n[\s\S]*bashcompinit[\s\S]*complete -F _intercom_connector intercom-connector/);
    assert.equal((await cli(['completion', 'fish'])).code, 2);
  });

  it('the demo honours --base-url and the token, and says which host it calls before calling', async () => {
    const lines: string[] = [];
    const before = sandbox.requestCount;
    // A token for the real API is exported, as on a developer's machine: --base-url must still win.
    const code = await runDemo((l) => lines.push(l), { [TOKEN_ENV]: sandbox.token }, { 'base-url': sandbox.url, timeout: '5000' });
    assert.equal(code, 0, lines.join('\n'));
    assert.equal(lines[0], `Running against ${sandbox.url} (read-only calls)`);
    assert.ok(sandbox.requestCount - before >= 14, 'the calls went to the sandbox');
    const noToken = await cli(['demo', ...at]);
    assert.equal(noToken.code, 3);
    assert.match(noToken.stderr, /missing the access_token credential .*: set INTERCOM_ACCESS_TOKEN or pass --token-file/);
  });

  it('SIGTERM stops a stream like Ctrl-C: exit 143 and a token that resumes at the next record', async () => {
    // The second page is held back until the process is gone: the signal lands mid-stream.
    const slow = await startSandbox({ counts: { contacts: 40 }, faults: [{ kind: 'slow', every: 2, delayMs: 60_000 }] });
    try {
      const child = spawn(process.execPath, [BIN, 'execute', 'contacts', 'list', '--base-url', slow.url, '-p', 'per_page=10', '--all'], {
        env: { PATH: process.env.PATH ?? '', [TOKEN_ENV]: slow.token },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      while (out.split('\n').length <= 10) out += ((await once(child.stdout, 'data')) as [Buffer])[0].toString();
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 143, err);
      const token = /Interrupted after 10 records\. Resume with: --starting-after '([^']+)'/.exec(err)?.[1];
      assert.ok(token, err);
      const fast = await startSandbox({ counts: { contacts: 40 } });
      try {
        const rest = await cli(['execute', 'contacts', 'list', '--base-url', fast.url, '-p', 'per_page=10', '--all', '--starting-after', token], { [TOKEN_ENV]: fast.token });
        const ids = [...out.trim().split('\n'), ...rest.stdout.trim().split('\n')].map((l) => JSON.parse(l).id);
        assert.equal(new Set(ids).size, 40);
      } finally {
        await fast.close();
      }
    } finally {
      await slow.close();
    }
  });

  it('sandbox on a taken or invalid port: one line naming the port and --port 0, exit 2, no stack', async () => {
    const port = new URL(sandbox.url).port;
    const taken = await cli(['sandbox', '--port', port]);
    assert.equal(taken.code, 2);
    assert.equal(taken.stderr, `intercom-connector: error[USAGE]: port ${port} on 127.0.0.1 is already in use (another server is listening there); pick another with --port, or --port 0 for any free port. See --help.\n`);
    const invalid = await cli(['sandbox', '--port', '70000']);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /--port must be a whole number from 0 to 65535/);
  });

  it('the real binary: --version, an execute, and an error exit code', async () => {
    assert.equal((await bin(['--version'])).stdout.trim(), JSON.parse((await import('node:fs')).readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
    const run = await bin(['execute', 'teams', 'list', ...at], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await bin(['execute', 'contacts', 'list', ...at, '-p', 'per_page=abc'], env)).code, 6);
  });
});

describe('library edges', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ counts: { contacts: 30 } });
  });
  after(() => sandbox.close());

  it('paginate with maxPages ends at the cap; the checkpoint says where the rest starts', async () => {
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    try {
      const paginator = runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 4 } }, { maxPages: 2 });
      const ids: string[] = [];
      for await (const c of paginator) ids.push(c.id);
      assert.equal(ids.length, 8);
      assert.ok(paginator.checkpoint, 'a checkpoint to go on from');
      const rest: string[] = [];
      for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 4, starting_after: paginator.checkpoint } })) rest.push(c.id);
      assert.equal(new Set([...ids, ...rest]).size, 30);
    } finally {
      await runtime.close();
    }
  });

  it('per-call options go the same way on the client and the runtime: a second argument', async () => {
    const client = createClient({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: sandbox.token } });
    try {
      const aborted = AbortSignal.abort();
      await assert.rejects(client.teams.list({}, { signal: aborted }), { code: 'ABORTED' });
      await assert.rejects(runtime.execute({ entity: 'teams', action: 'list' }, { signal: aborted }), { code: 'ABORTED' });
      const fromClient: string[] = [];
      for await (const c of client.contacts.paginate({ per_page: 5 }, { maxPages: 1, timeoutMs: 5000 })) fromClient.push(c.id);
      assert.equal(fromClient.length, 5);
    } finally {
      await client.close();
      await runtime.close();
    }
  });

  it("credentials: 'env' reads the variable the manifest names, and says which to set when it is missing; such errors count no attempt", async () => {
    const saved = process.env[TOKEN_ENV];
    try {
      process.env[TOKEN_ENV] = sandbox.token;
      const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: 'env' });
      assert.equal((await runtime.execute({ entity: 'teams', action: 'list' })).data.length, 5);
      await runtime.close();
      delete process.env[TOKEN_ENV];
      await assert.rejects(createRuntime({ baseUrl: sandbox.url, credentials: 'env' }), (err: unknown) => {
        assert.ok(err instanceof ConfigurationError);
        assert.match(err.message, /set INTERCOM_ACCESS_TOKEN/);
        assert.equal(err.attempts, 0, 'no request was sent');
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env[TOKEN_ENV];
      else process.env[TOKEN_ENV] = saved;
    }
  });
});

/** A forward proxy that tunnels CONNECT requests and records where each went. */
async function startProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    // Plain absolute-form requests, for clients that do not tunnel http.
    tunnels.push(new URL(req.url!).host);
    const upstream = httpRequest(req.url!, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head) => {
    tunnels.push(req.url!);
    const [host, port] = req.url!.split(':');
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
