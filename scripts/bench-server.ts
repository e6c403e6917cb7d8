/**
 * npm run bench:server [-- --seconds 10] [--connections 10]
 *
 * The server's own cost: `contacts.get` executes per second and p50/p99 latency through
 * `intercom-connector serve` (a child process) against the sandbox (another child),
 * next to the same calls through runtime.execute in this process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createRuntime } from '../src/index.js';
import { startChild, startSandboxChild } from './bench/spawn.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const API_KEY = 'bench-key';
const CONTACT_ID_INDEX = 7;

const sandbox = await startSandboxChild(1000);
const dir = await mkdtemp(join(tmpdir(), 'bench-server-'));
process.env.CONNECTOR_API_KEYS = API_KEY;
const server = await startChild('bin/intercom-connector.js', ['serve', '--port', '0', '--db', join(dir, 'c.db'), '--base-url', sandbox.url], 'stderr');
try {
  // The sandbox is deterministic: ask it for the id of one contact.
  const list = (await (await fetch(`${sandbox.url}/contacts?per_page=10`, { headers: { authorization: 'Bearer sandbox-token' } })).json()) as { data: { id: string }[] };
  const contactId = list.data[CONTACT_ID_INDEX]!.id;
  const created = (await (
    await fetch(`${server.url}/api/v1/connectors/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connector_definition_id: 'd8313939-3782-41b0-be29-b3ca20d8dd3a', auth_config: { access_token: 'sandbox-token' }, name: 'bench' }),
    })
  ).json()) as { id: string };
  const body = JSON.stringify({ entity: 'contacts', action: 'get', params: { id: contactId } });
  const target = { url: `${server.url}/api/v1/connectors/instances/${created.id}/execute`, method: 'POST' as const, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body };

  // Warm-up, then the measured run.
  await autocannon({ ...target, connections: CONNECTIONS, duration: 2 });
  const viaServer = await autocannon({ ...target, connections: CONNECTIONS, duration: SECONDS });
  if (viaServer.non2xx > 0 || viaServer.errors > 0) throw new Error(`server run had ${viaServer.non2xx} non-2xx and ${viaServer.errors} errors`);

  const runtime = await createRuntime({ baseUrl: sandbox.url, credentials: { access_token: 'sandbox-token' } });
  await loop(() => runtime.execute({ entity: 'contacts', action: 'get', params: { id: contactId } }), 2);
  const directRun = await loop(() => runtime.execute({ entity: 'contacts', action: 'get', params: { id: contactId } }), SECONDS);
  await runtime.close();

  const rows = [
    ['through the server (autocannon)', Math.round(viaServer.requests.average), viaServer.latency.p50, viaServer.latency.p99],
    ['runtime.execute in-process', Math.round(directRun.perSecond), directRun.p50, directRun.p99],
  ] as const;
  console.log(`\ncontacts.get, ${CONNECTIONS} concurrent, ${SECONDS} s each (server and sandbox in child processes)\n`);
  console.log(`${'path'.padEnd(32)}  ${'req/s'.padStart(7)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}`);
  for (const [name, rps, p50, p99] of rows) console.log(`${name.padEnd(32)}  ${String(rps).padStart(7)}  ${p50.toFixed(2).padStart(7)}  ${p99.toFixed(2).padStart(7)}`);
  console.log(`\nserver overhead at p50: ${(viaServer.latency.p50 - directRun.p50).toFixed(2)} ms (target <= 1 ms); throughput ratio ${(directRun.perSecond / viaServer.requests.average).toFixed(2)}`);
} finally {
  await server.stop();
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });
}

/** `connections` workers calling fn back to back for `seconds`; latency percentiles in ms. */
async function loop(fn: () => Promise<unknown>, seconds: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await fn();
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}
