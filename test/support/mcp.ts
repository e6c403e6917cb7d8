// `intercom-connector mcp` run as a client runs it: the real binary spawned over stdio, with
// the MCP SDK's client (which checks structuredContent against outputSchema) connected to it.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN } from './cli.js';

export interface SpawnedMcp {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
}

/** The environment of a spawned binary: ours, minus the Intercom credential and DEBUG, plus `extra`. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'INTERCOM_ACCESS_TOKEN' && k !== 'DEBUG') env[k] = v;
  return { ...env, ...extra };
}

/**
 * Spawns `intercom-connector mcp <args>` with childEnv(env) and connects a client named `name`.
 * Its stderr is read as it comes (so the pipe never fills) and kept. Closing the client ends
 * the server.
 */
export async function spawnMcp(args: string[], env: Record<string, string>, name = 'test'): Promise<SpawnedMcp> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', ...args], env: childEnv(env), stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const client = new Client({ name, version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err };
}
