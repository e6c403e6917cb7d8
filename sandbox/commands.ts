/**
 * The `intercom-connector` command: the engine's generic command line (src/cli) with the
 * Intercom manifest, the engine's optional commands (serve, mcp), and the two commands
 * only this connector has: its sandbox and demo. Loaded by cli.ts for anything but --version.
 */
import { runCli, type CliConfig, type CliIo, type HostCommand } from '../src/cli/main.js';
import { UsageError } from '../src/cli/exit-codes.js';
import { DEFAULT_MANIFEST, loadDefaultManifest } from '../src/manifest/default.js';
import { importCommand } from '../src/import/command.js';
import { mcpCommand } from '../src/mcp/command.js';
import { serveCommand } from '../src/serve/command.js';
import { searchCommand, syncCommand } from '../src/sync/command.js';
import { runDemo } from './demo.js';
import { listenError, parsePort } from '../src/host/listen.js';
import { number } from '../src/host/options.js';
import { startSandbox, validateFaultRules, type FaultRule, type Sandbox } from './server.js';

const sandbox: HostCommand = {
  summary: 'Run the built-in Intercom sandbox (an imitation of the API) and print its URL and token',
  usage:
    'sandbox [--port 4010] [--host 127.0.0.1] [--records N] [--companies N] [--seed S] [--token T] [--faults <json>]\n\n' +
    '  --records    contacts to generate (the other resources keep their default counts)\n' +
    '  --companies  companies to generate; past 10,000 only GET /companies/scroll reaches them all\n' +
    '  --token      the bearer token it accepts (default sandbox-token)\n' +
    '  --faults     a JSON array of fault rules, by request number, e.g.\n' +
    '               \'[{"kind":"rate_limit","every":5,"retryAfterSeconds":2},{"kind":"reset","every":7}]\'\n' +
    '               kinds: rate_limit, server_error, unavailable, reset, truncate, slow (delayMs);\n' +
    '               "path":"/companies/scroll" numbers only that path\'s requests (a server_error there ends the scroll)',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    records: { type: 'string' },
    companies: { type: 'string' },
    seed: { type: 'string' },
    faults: { type: 'string' },
  },
  async run({ values, io }) {
    let faults: FaultRule[] | undefined;
    if (typeof values.faults === 'string') {
      try {
        faults = validateFaultRules(JSON.parse(values.faults));
      } catch (err) {
        throw new UsageError(`--faults: ${(err as Error).message}`);
      }
    }
    const port = parsePort(values.port, 4010);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const options = {
      port,
      host,
      token: typeof values.token === 'string' ? values.token : undefined,
      seed: number(values, 'seed'),
      // An absent flag stays undefined, which keeps that resource's default count.
      counts: { contacts: number(values, 'records'), companies: number(values, 'companies') },
      faults,
    };
    let sb: Sandbox;
    try {
      sb = await startSandbox(options);
    } catch (err) {
      throw listenError(err, { port, host });
    }
    io.stdout.write(`Intercom sandbox listening on ${sb.url}\ntoken: ${sb.token}\nrecords: ${JSON.stringify(sb.dataset.counts)}\n`);
    if (faults?.length) io.stdout.write(`faults: ${JSON.stringify(faults)}\n`);
    io.stdout.write(`\nTry:\n  INTERCOM_ACCESS_TOKEN=${sb.token} intercom-connector execute contacts list --base-url ${sb.url} --param per_page=5\n`);
    await new Promise<void>((resolve) => {
      if (io.interrupt.aborted) resolve();
      io.interrupt.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', () => resolve());
    });
    io.stdout.write(`Stopping after ${sb.requestCount} requests.\n`);
    if (faults?.length) io.stdout.write(`stats: ${JSON.stringify(sb.stats)}\n`);
    await sb.close();
    return 0;
  },
};

const demo: HostCommand = {
  summary: 'Run all 14 operations against an in-process sandbox and print a summary table (npm run demo)',
  usage:
    'demo [--base-url <url>] [--token-file <path>] [--region us|eu|au] [--timeout <ms>]\n\n' +
    '  Without a token or --base-url it starts the sandbox in-process. With INTERCOM_ACCESS_TOKEN\n' +
    '  (or --token-file) it calls the real API, or the server --base-url names, read-only, and says\n' +
    '  which host before the first call.',
  run: ({ io, values }) => runDemo((line) => io.stdout.write(`${line}\n`), io.env, values),
};

/**
 * Runs the command line; resolves to the exit code. Tests pass their own streams and
 * environment in `io`; the binary uses the process's.
 */
export function main(argv: string[], version: string, io?: CliIo): Promise<number> {
  const config: CliConfig = {
    name: 'intercom-connector',
    defaultManifest: DEFAULT_MANIFEST,
    loadDefault: loadDefaultManifest,
    version,
    commands: { sandbox, demo, serve: serveCommand, mcp: mcpCommand, import: importCommand, sync: syncCommand, search: searchCommand },
  };
  return io ? runCli(argv, config, io) : runCli(argv, config);
}
