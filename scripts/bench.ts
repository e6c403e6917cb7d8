/**
 * npm run bench [-- --json] [--runs 11] [--records 20000] [--memory-records 200000]
 *
 * Starts the sandbox in a child process and pages through every contact with four
 * clients, alternately: a hand-written undici loop (the floor), the engine, the engine
 * with response validation, and Intercom's official SDK. Then the package as a user installs
 * it (npm pack, npm install): install size, the command line's start times, MCP ready, and
 * the library's cold start; per-call overhead of execute; peak RSS of paginating 200,000
 * versus 20,000 contacts; and what an agent pays per MCP tool call (bytes of the answer,
 * requests upstream, counted at the sandbox: scripts/bench/agents.ts, which also measures
 * another checkout given its path).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { engine, intercomClient, rawUndici, type BenchClient } from './bench/clients.js';
import { measureOverhead, median } from './bench/overhead.js';
import { runChild, startChild, startSandboxChild } from './bench/spawn.js';
import { measurePackage, type PackageReport } from './bench/package.js';
import { measureAgents } from './bench/agents.js';
import { measureSync } from './bench/sync.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '11' },
    records: { type: 'string', default: '20000' },
    'memory-records': { type: 'string', default: '200000' },
  },
});
const RUNS = Number(values.runs);
const RECORDS = Number(values.records);
const BIG = Number(values['memory-records']);
const TOKEN = 'sandbox-token';
const log = (line: string) => {
  if (!values.json) console.error(line);
};

async function timeRun(client: BenchClient): Promise<number> {
  const seen = new Set<string>();
  let count = 0;
  const t0 = performance.now();
  await client.run((id) => {
    count++;
    seen.add(id);
  });
  const ms = performance.now() - t0;
  if (count !== RECORDS || seen.size !== RECORDS) throw new Error(`${client.name}: ${count} records, ${seen.size} unique; expected ${RECORDS}`);
  return ms;
}

log(`Starting the sandbox with ${RECORDS} contacts in a child process...`);
const sandbox = await startSandboxChild(RECORDS);
const results: Record<string, number[]> = {};
try {
  const clients = [rawUndici(sandbox.url, TOKEN), await engine(sandbox.url, TOKEN), await engine(sandbox.url, TOKEN, 'warn'), intercomClient(sandbox.url, TOKEN)];
  for (const c of clients) {
    results[c.name] = [];
    for (let w = 0; w < 2; w++) await timeRun(c);
  }
  for (let r = 0; r < RUNS; r++) {
    // Rotate the order so that no client always runs right after another.
    for (let i = 0; i < clients.length; i++) {
      const c = clients[(i + r) % clients.length]!;
      results[c.name]!.push(await timeRun(c));
    }
    log(`run ${r + 1}/${RUNS}: ${clients.map((c) => `${c.name} ${results[c.name]!.at(-1)!.toFixed(0)} ms`).join(', ')}`);
  }
  for (const c of clients) await c.close();
} finally {
  await sandbox.stop();
}

log('The package: npm pack, npm install into an empty project, then its command line and cold start...');
const tiny = await startChild('scripts/bench/tiny-server.ts', []);
const small = await startSandboxChild();
let pkg: PackageReport;
let overhead: Awaited<ReturnType<typeof measureOverhead>>;
try {
  pkg = await measurePackage(small.url, tiny.url);
  log('Per-call overhead of execute...');
  overhead = await measureOverhead(tiny.url, 2000, 7);
} finally {
  await tiny.stop();
  await small.stop();
}

log(`Peak RSS: paginating ${RECORDS} and ${BIG} contacts in fresh processes...`);
const memory: Record<number, number> = {};
for (const n of [RECORDS, BIG]) {
  const sb = await startSandboxChild(n);
  try {
    memory[n] = (await runChild<{ peakRssMb: number }>('scripts/bench/memory.ts', [sb.url, TOKEN, String(n)])).peakRssMb;
  } finally {
    await sb.stop();
  }
}

log('MCP tool calls as an agent makes them: bytes of each answer, requests upstream...');
const agents = await measureAgents();

log('Sync into the context store (100,000 contacts), change passes, store search...');
const sync = await measureSync();

const med = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const report = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` },
  records: RECORDS,
  perPage: 150,
  runs: RUNS,
  clients: Object.fromEntries(
    Object.entries(med).map(([k, ms]) => [k, { medianMs: round(ms), recordsPerSecond: Math.round((RECORDS / ms) * 1000), runsMs: results[k]!.map((v) => round(v)) }]),
  ),
  ratios: {
    engineOverRaw: round(med.engine! / med['raw-undici']!, 3),
    engineValidatedOverRaw: round(med['engine-validated']! / med['raw-undici']!, 3),
    intercomClientOverEngine: round(med['intercom-client']! / med.engine!, 3),
  },
  package: {
    installMb: round(pkg.install.megabytes),
    installPackages: pkg.install.packages,
    nativeAddons: pkg.install.nativeAddons,
    versionMs: round(pkg.versionMs),
    executeMs: round(pkg.executeMs),
    mcpReadyMs: round(pkg.mcpReadyMs),
    fromSources: { versionMs: round(pkg.fromSources.versionMs), executeMs: round(pkg.fromSources.executeMs), mcpReadyMs: round(pkg.fromSources.mcpReadyMs) },
  },
  coldStartMs: {
    median: round(pkg.coldStart.totalMs),
    importMs: round(pkg.coldStart.importMs),
    loadAndCompileMs: round(pkg.coldStart.loadAndCompileMs),
    firstCallMs: round(pkg.coldStart.firstCallMs),
  },
  executeOverheadUs: { median: round(overhead.overheadUs), rawCallUs: round(overhead.rawUs), engineCallUs: round(overhead.engineUs) },
  peakRssMb: { [RECORDS]: round(memory[RECORDS]!), [BIG]: round(memory[BIG]!), difference: round(memory[BIG]! - memory[RECORDS]!) },
  mcp: {
    defaultContactsList: agents.defaultContactsList,
    maxUpstreamRequestsPerCall: Math.max(...agents.calls.map((c) => c.upstreamRequests)),
    calls: agents.calls.map(({ tool, args, bytes, records, upstreamRequests }) => ({ tool, args: Object.keys(args), bytes, records, upstreamRequests })),
  },
  sync: { ...sync, syncOverPaging: round(sync.syncOverPaging, 3), replayed: { ...sync.replayed, syncOverPaging: round(sync.replayed.syncOverPaging, 3) }, atLatency: { ...sync.atLatency, syncOverPaging: round(sync.atLatency.syncOverPaging, 3) }, searchP50Ms: round(sync.searchP50Ms, 3), searchP99Ms: round(sync.searchP99Ms, 3) },
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const rows = Object.entries(report.clients).map(([name, r]) => [name, r.medianMs.toFixed(1), r.recordsPerSecond.toLocaleString('en-US')]);
  const widths = [16, 10, 12];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${RECORDS} contacts, per_page 150, median of ${RUNS} runs (${report.machine.cpus} x ${report.machine.model}, Node ${report.machine.node})\n`);
  console.log(line(['client', 'median ms', 'records/s']));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(`engine / raw-undici            ${report.ratios.engineOverRaw.toFixed(3)}   (target <= 1.05)`);
  console.log(`engine-validated / raw-undici  ${report.ratios.engineValidatedOverRaw.toFixed(3)}   (target <= 1.30)`);
  console.log(`intercom-client / engine       ${report.ratios.intercomClientOverEngine.toFixed(3)}   (target >= 1.4)`);
  const p = report.package;
  console.log(`install (npm pack + install)   ${p.installMb.toFixed(1)} MB, ${p.installPackages} packages, ${p.nativeAddons} native addons (target <= 25 MB, 0)`);
  console.log(`--version                      ${p.versionMs.toFixed(0)} ms installed, ${p.fromSources.versionMs.toFixed(0)} ms from sources via tsx (target <= 150)`);
  console.log(`execute teams list             ${p.executeMs.toFixed(0)} ms installed, ${p.fromSources.executeMs.toFixed(0)} ms from sources (target <= 400)`);
  console.log(`mcp ready (initialize answered) ${p.mcpReadyMs.toFixed(0)} ms installed, ${p.fromSources.mcpReadyMs.toFixed(0)} ms from sources (target <= 300)`);
  console.log(`cold start (installed library) ${report.coldStartMs.median.toFixed(1)} ms (import ${report.coldStartMs.importMs.toFixed(1)}, load + compile ${report.coldStartMs.loadAndCompileMs.toFixed(1)}; target <= 150)`);
  console.log(`first call after cold start    ${report.coldStartMs.firstCallMs.toFixed(1)} ms (loads the HTTP client, connects, answers)`);
  console.log(`execute overhead               ${report.executeOverheadUs.median.toFixed(1)} us per call (raw ${report.executeOverheadUs.rawCallUs.toFixed(1)}, engine ${report.executeOverheadUs.engineCallUs.toFixed(1)}; target <= 30)`);
  console.log(`peak RSS                       ${report.peakRssMb[RECORDS]!.toFixed(1)} MB for ${RECORDS}, ${report.peakRssMb[BIG]!.toFixed(1)} MB for ${BIG}: +${report.peakRssMb.difference.toFixed(1)} MB (target <= 30)`);
  const d = report.mcp.defaultContactsList;
  console.log(`mcp contacts_list, default     ${d.bytes} bytes, ${d.records} records, ${d.upstreamRequests} upstream request${d.upstreamRequests === 1 ? '' : 's'} (target <= 16000 bytes, 1 request)`);
  console.log(`mcp upstream requests per call at most ${report.mcp.maxUpstreamRequestsPerCall} over ${report.mcp.calls.length} calls (${report.mcp.calls.map((c) => `${c.tool} ${c.bytes} B/${c.upstreamRequests}`).join(', ')})`);
  const y = report.sync;
  console.log(`sync into SQLite               ${y.syncRecordsPerS.toLocaleString('en-US')} records/s for ${y.contacts.toLocaleString('en-US')} contacts, paging alone ${y.pagingRecordsPerS.toLocaleString('en-US')}: ${y.syncOverPaging} (target >= 0.8)`);
  console.log(`  on replayed pages            ${y.replayed.syncRecordsPerS.toLocaleString('en-US')} records/s, paging alone ${y.replayed.pagingRecordsPerS.toLocaleString('en-US')}: ${y.replayed.syncOverPaging}`);
  console.log(`  answers after ${y.atLatency.delayMs} ms          ${y.atLatency.syncRecordsPerS.toLocaleString('en-US')} records/s for ${y.atLatency.contacts.toLocaleString('en-US')} contacts, paging alone ${y.atLatency.pagingRecordsPerS.toLocaleString('en-US')}: ${y.atLatency.syncOverPaging}`);
  console.log(`change pass after 1% changed   ${y.changePass.requests} requests of a full pass's ${y.countedFullPassRequests} (${(y.changePass.share * 100).toFixed(1)}%, ${y.changePass.found}/${y.changePass.changed} changes found; target <= 2%)`);
  console.log(`store.search on an indexed field p50 ${y.searchP50Ms} ms, p99 ${y.searchP99Ms} ms over ${y.contacts.toLocaleString('en-US')} contacts (target p50 <= 20 ms)`);
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
