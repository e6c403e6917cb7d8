/**
 * What an agent pays for one MCP tool call: the bytes of the answer it reads and the
 * requests the server sends upstream for it, counted at the sandbox. The server is the
 * binary of a checkout (`root`), spawned as an MCP client would, so another checkout (the
 * commit before a change) can be measured the same way:
 *
 *   npx tsx scripts/bench/agents.ts [root]     # prints one JSON object
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSandbox } from '../../sandbox/server.js';
import { ROOT } from './spawn.js';

export interface AgentCall {
  tool: string;
  args: Record<string, unknown>;
  /** UTF-8 bytes of the text content the agent reads. */
  bytes: number;
  records: number;
  /** Requests the sandbox received for this one call. */
  upstreamRequests: number;
  isError: boolean;
}

export interface AgentsReport {
  calls: AgentCall[];
  /** The first default `contacts_list` call: what an agent sees first. */
  defaultContactsList: { bytes: number; records: number; upstreamRequests: number };
}

/** Speaks JSON-RPC over the stdio of `<root>/bin/intercom-connector.js mcp`. */
async function mcpClient(root: string, baseUrl: string, token: string) {
  const child = spawn(process.execPath, [join(root, 'bin/intercom-connector.js'), 'mcp', '--base-url', baseUrl], {
    cwd: root,
    env: { ...process.env, INTERCOM_ACCESS_TOKEN: token, DEBUG: '' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const waiting = new Map<number, (message: { result?: Record<string, unknown>; error?: { message: string } }) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
    if (typeof message.id === 'number') waiting.get(message.id)?.(message);
  });
  let next = 1;
  const request = (method: string, params: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      waiting.set(id, (m) => (m.error ? reject(new Error(m.error.message)) : resolve(m.result!)));
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
  child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return {
    request,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

export async function measureAgents(root: string = ROOT): Promise<AgentsReport> {
  const sandbox = await startSandbox({ counts: { contacts: 2000 } });
  const client = await mcpClient(root, sandbox.url, sandbox.token);
  const calls: AgentCall[] = [];
  try {
    const run = async (tool: string, args: Record<string, unknown>) => {
      const before = sandbox.requestCount;
      const result = await client.request('tools/call', { name: tool, arguments: args });
      const text = (result.content as { text: string }[])[0]!.text;
      let records = 0;
      try {
        const out = JSON.parse(text) as { records?: unknown[]; record?: unknown };
        records = out.records?.length ?? (out.record ? 1 : 0);
      } catch {
        // An error's text is not JSON.
      }
      const call: AgentCall = { tool, args, bytes: Buffer.byteLength(text), records, upstreamRequests: sandbox.requestCount - before, isError: result.isError === true };
      calls.push(call);
      return { call, text };
    };
    const first = await run('contacts_list', {});
    const cursor = (JSON.parse(first.text) as { next_page?: string | null }).next_page;
    // The next page, as the tool's description says to ask for it: the cursor and nothing else.
    if (cursor) await run('contacts_list', { starting_after: cursor });
    await run('contacts_list', {});
    await run('conversations_list', {});
    await run('companies_list', {});
    await run('contacts_get', { id: sandbox.dataset.contactAt(0).id });
    await run('conversations_get', { id: sandbox.dataset.conversationAt(0).id });
    const d = first.call;
    return { calls, defaultContactsList: { bytes: d.bytes, records: d.records, upstreamRequests: d.upstreamRequests } };
  } finally {
    await client.close();
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await measureAgents(process.argv[2] ?? ROOT)));
}
