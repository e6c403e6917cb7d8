import { UsageError, type HostCommand, type Values } from '../host/command.js';
import { listenError, parsePort } from '../host/listen.js';
import { connectionOptions, number, storeOption } from '../host/options.js';
import { loadManifest } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import type { RuntimeOptions } from '../runtime.js';
import { rotateKey, showDb } from './keys.js';
import { routeHelp } from './routes.js';
import { startServer } from './server.js';

/**
 * `serve`: the execute API over HTTP. Every instance calls `--base-url` when given (an
 * operator's setting, e.g. the sandbox; the API cannot set it).
 */
export const serveCommand: HostCommand = {
  summary: 'Serve the execute API: connector instances with stored credentials, POST .../execute',
  usage:
    'serve [--port 8080] [--host 127.0.0.1] [--db ./data/connectors.db | postgres://…] [--store <location>] [--manifest <path>]... [--base-url <url>] [--max-connections 512] [--shutdown-grace-ms 5000]\n' +
    '       serve rotate-key [--db <path> | postgres://…]   re-seal every stored credential under a new key\n' +
    '\n' +
    'Database (--db):\n' +
    '  a file path             SQLite (default ./data/connectors.db), for one server; its key file sits beside it.\n' +
    '  postgres://user@host/db PostgreSQL (also postgresql://), which several replicas behind a load balancer\n' +
    '                          share; needs the pg driver (npm install pg@8) and CONNECTOR_SECRET_KEY, the same on\n' +
    '                          every replica. The URL\'s password is never printed; PGPASSWORD keeps it out of the URL.\n' +
    '\n' +
    'Context store (--store sqlite:<file> | postgres://…, or CONNECTOR_STORE):\n' +
    '  the local copy `sync` keeps; execute then answers {"action": "context_store_search", "entity": ...,\n' +
    '  "params": {"where", "sort", "limit", "cursor"}} from it, with how fresh it is, for any instance:\n' +
    '  one store holds one workspace, which every instance then reads, whatever its credentials.\n' +
    '\n' +
    'Environment:\n' +
    '  CONNECTOR_API_KEYS        the API keys clients send as "Authorization: Bearer <key>", comma-separated\n' +
    '                            (make one with: openssl rand -hex 32). Unset: the first start of a database\n' +
    '                            generates a key, prints it once and keeps only its digest.\n' +
    "  CONNECTOR_SECRET_KEY      the key that seals each instance's auth_config (AES-256-GCM): 64 hex characters\n" +
    '                            (openssl rand -hex 32) or base64 of 32 bytes. Unset: the key file beside the\n' +
    '                            database (<db>.key, mode 0600), created with a new database; a PostgreSQL --db\n' +
    '                            requires it. Keep it: without it the stored credentials cannot be opened.\n' +
    '  CONNECTOR_NEW_SECRET_KEY  rotate-key with CONNECTOR_SECRET_KEY set: the key to re-seal under.\n' +
    '\n' +
    'Routes (/api/v1 needs the API key; /openapi.json describes them all):\n' +
    `${routeHelp()}\n` +
    '  With "check": true, creating or patching an instance first makes one cheap call upstream with its\n' +
    '  credentials (GET .../definitions shows which); if that fails, nothing is stored.\n' +
    '  Instances only read unless they have "scope": "read_write" (at creation, or by PATCH): a write (POST, PUT,\n' +
    '  PATCH, DELETE that is not a search) on a "read" instance answers 403 WRITE_NOT_ALLOWED and sends nothing.',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
    store: { type: 'string' },
    manifest: { type: 'string', multiple: true },
    'max-connections': { type: 'string' },
    'shutdown-grace-ms': { type: 'string' },
  },
  async run({ values, positionals, io, config }) {
    const dbPath = typeof values.db === 'string' ? values.db : 'data/connectors.db';
    if (positionals[0] === 'rotate-key') {
      const { instances, keyFile } = await rotateKey(dbPath, io.env);
      io.stderr.write(
        `Re-sealed ${instances} instance${instances === 1 ? '' : 's'} under a new key${keyFile ? `, now in ${keyFile}` : '; start the server (every replica) with CONNECTOR_SECRET_KEY set to CONNECTOR_NEW_SECRET_KEY'}.\n`,
      );
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`serve takes no ${JSON.stringify(positionals[0])}; did you mean serve rotate-key?`);
    const manifests: Manifest[] = [config.loadDefault ? await config.loadDefault() : await loadManifest(config.defaultManifest)];
    for (const path of (values.manifest as string[] | undefined) ?? []) manifests.push(await loadManifest(path));
    const port = parsePort(values.port, 8080);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const store = storeOption(values, io.env);
    const server = await startServer({
      port,
      host,
      dbPath,
      maxConnections: number(values, 'max-connections'),
      shutdownGraceMs: number(values, 'shutdown-grace-ms'),
      manifests,
      apiKeys: io.env.CONNECTOR_API_KEYS,
      secretKey: io.env.CONNECTOR_SECRET_KEY,
      runtime: operatorOptions(values),
      ...(store !== undefined ? { store } : {}),
      log: (line) => io.stdout.write(`${line}\n`),
    }).catch((err: unknown) => {
      throw listenError(err, { port, host });
    });
    io.stderr.write(`Serving ${manifests.map((m) => m.connector.name).join(', ')} on ${server.url} (instances in ${showDb(dbPath)})\n`);
    if (server.generatedApiKey) {
      io.stderr.write(`Generated an API key (shown once; set CONNECTOR_API_KEYS to choose your own): ${server.generatedApiKey}\n`);
    }
    await new Promise<void>((resolve) => {
      if (io.interrupt.aborted) resolve();
      io.interrupt.addEventListener('abort', () => resolve(), { once: true });
      process.once('SIGTERM', () => resolve());
    });
    io.stderr.write('Shutting down: finishing requests in flight.\n');
    await server.close();
    return 0;
  },
};

function operatorOptions(values: Values): Omit<RuntimeOptions, 'manifest' | 'credentials'> {
  if (values.token !== undefined) throw new UsageError('serve takes credentials per instance (auth_config), not --token.');
  return connectionOptions(values);
}
