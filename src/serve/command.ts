import { UsageError, type HostCommand, type Values } from '../host/command.js';
import { connectionOptions, number } from '../host/options.js';
import { loadManifest } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import type { RuntimeOptions } from '../runtime.js';
import { startServer } from './server.js';

/**
 * `serve`: the execute API over HTTP. Every instance calls `--base-url` when given (an
 * operator's setting, e.g. the sandbox; the API cannot set it).
 */
export const serveCommand: HostCommand = {
  summary: 'Serve the execute API: connector instances with stored credentials, POST .../execute',
  usage: 'serve [--port 8080] [--host 127.0.0.1] [--db ./data/connectors.db] [--manifest <path>]... [--base-url <url>]',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
    manifest: { type: 'string', multiple: true },
  },
  async run({ values, io, config }) {
    const manifests: Manifest[] = [config.loadDefault ? await config.loadDefault() : await loadManifest(config.defaultManifest)];
    for (const path of (values.manifest as string[] | undefined) ?? []) manifests.push(await loadManifest(path));
    const server = await startServer({
      port: number(values, 'port') ?? 8080,
      host: typeof values.host === 'string' ? values.host : '127.0.0.1',
      dbPath: typeof values.db === 'string' ? values.db : 'data/connectors.db',
      manifests,
      apiKeys: io.env.CONNECTOR_API_KEYS,
      secretKey: io.env.CONNECTOR_SECRET_KEY,
      runtime: operatorOptions(values),
      log: (line) => io.stdout.write(`${line}\n`),
    });
    io.stderr.write(`Serving ${manifests.map((m) => m.connector.name).join(', ')} on ${server.url}\n`);
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
