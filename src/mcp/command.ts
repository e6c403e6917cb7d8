/**
 * The `mcp` command: serves the manifest's operations as MCP tools over stdio. stdout
 * carries the protocol, so every diagnostic goes to stderr.
 */
import type { Writable } from 'node:stream';
import { UsageError, type HostCommand } from '../host/command.js';
import { loadChosenManifest, number, runtimeOptions, storeOption } from '../host/options.js';
import { ConfigurationError } from '../errors.js';
import type { RuntimeOptions } from '../runtime.js';
import { createMcpServer, DEFAULT_MAX_OUTPUT_BYTES, MIN_MAX_OUTPUT_BYTES } from './server.js';
import { GuardedStdioTransport } from './stdio.js';

export const mcpCommand: HostCommand = {
  summary: 'Serve the operations as tools of an MCP server over stdio: reads only, unless --allow-writes (credentials from the environment)',
  usage:
    `mcp [--manifest <path>] [--base-url <url>] [--max-output-bytes ${DEFAULT_MAX_OUTPUT_BYTES}] [--allow-writes] [--store <sqlite:file | postgres://...>]\n` +
    '\n' +
    '  --max-output-bytes  largest answer of one tool call; list pages are sized to fit it before they are fetched\n' +
    '  --allow-writes      also serve the tools that change data upstream (create, update, delete); without it they\n' +
    '                      are not listed and a call to one is refused\n' +
    '  --store             the context store sync keeps (or CONNECTOR_STORE): adds <entity>_store_search tools that\n' +
    '                      read the local copy and say how fresh it is',
  options: { 'max-output-bytes': { type: 'string' }, 'allow-writes': { type: 'boolean' }, store: { type: 'string' } },
  async run({ values, io, config }) {
    const maxOutputBytes = number(values, 'max-output-bytes') ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (maxOutputBytes < MIN_MAX_OUTPUT_BYTES) throw new UsageError(`--max-output-bytes must be at least ${MIN_MAX_OUTPUT_BYTES}.`);
    const manifest = await loadChosenManifest(config, values);
    const log = (line: string): void => void io.stderr.write(`${config.name} mcp: ${line}\n`);

    let options: RuntimeOptions | undefined;
    let setupError: Error | undefined;
    try {
      options = runtimeOptions(manifest, values, io.env);
    } catch (err) {
      // Still serve the tools: each call then tells the agent which variable to set.
      if (!(err instanceof ConfigurationError)) throw err;
      setupError = err;
      log(`${err.message} Tools are listed, but every call will fail until it is fixed.`);
    }

    const store = storeOption(values, io.env);
    const server = createMcpServer({ manifest, runtimeOptions: options, setupError, maxOutputBytes, allowWrites: values['allow-writes'] === true, log, ...(store ? { store } : {}) });
    // A tool result carries its text twice (content and structuredContent); tools/list of a large manifest is larger still.
    const transport = new GuardedStdioTransport(process.stdin, io.stdout as Writable, { maxAnswerBytes: Math.max(4 * 1024 * 1024, 2 * maxOutputBytes + 64 * 1024) });
    const closed = new Promise<void>((resolve) => {
      server.onclose = () => resolve();
    });
    server.onerror = (err) => log(`protocol error: ${err.message}`);
    await server.connect(transport);
    log(`serving ${server.toolCount} tools of ${manifest.connector.name} over stdio${values['allow-writes'] === true ? ' (writes allowed)' : ''}`);

    // The transport does not watch for the end of stdin: the client going away ends the server.
    let closing: Promise<void> | undefined;
    const stop = (): Promise<void> => (closing ??= server.close().catch((err: unknown) => log(`close failed: ${(err as Error).message}`)));
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    if (io.interrupt.aborted) stop();
    else io.interrupt.addEventListener('abort', stop, { once: true });
    process.once('SIGTERM', stop);
    try {
      await closed;
      // Closes the runtime's connections too, whoever closed the transport.
      await stop();
    } finally {
      process.stdin.off('end', stop);
      process.stdin.off('close', stop);
      io.interrupt.removeEventListener('abort', stop);
      process.off('SIGTERM', stop);
      process.stdin.pause();
    }
    return 0;
  },
};
