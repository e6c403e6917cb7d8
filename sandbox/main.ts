// CLI: tsx sandbox/main.ts [--port 4010] [--records N] [--seed S] [--host H] [--token T] [--faults JSON]
//
//   --port     listen port (default 4010; 0 picks a free one)
//   --host     listen address (default 127.0.0.1)
//   --records  number of contacts to generate (other resources keep their default counts)
//   --seed     dataset seed; the same seed serves the same data
//   --token    bearer token to accept (default sandbox-token)
//   --faults   JSON array of FaultRule (see server.ts), scheduled by authenticated-request number, e.g.
//              --faults '[{"kind":"rate_limit","every":5,"retryAfterSeconds":2},{"kind":"reset","every":7,"limit":1}]'
//              kinds: rate_limit, server_error, unavailable, reset, truncate, slow (delayMs)
import { parseArgs } from 'node:util';
import { startSandbox, validateFaultRules, type FaultRule } from './server.js';

function int(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw)) {
    console.error(`--${name} expects a non-negative integer, got '${raw}'`);
    process.exit(2);
  }
  return Number(raw);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    records: { type: 'string' },
    seed: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    faults: { type: 'string' },
  },
});

function faultRules(raw: string | undefined): FaultRule[] | undefined {
  if (raw === undefined) return undefined;
  try {
    return validateFaultRules(JSON.parse(raw));
  } catch (err) {
    // A mistyped schedule should stop the run, not silently serve a fault-free sandbox.
    console.error(`--faults: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}

const records = int('records', values.records);
const faults = faultRules(values.faults);
const sandbox = await startSandbox({
  port: int('port', values.port) ?? 4010,
  host: values.host,
  seed: int('seed', values.seed),
  token: values.token,
  counts: records === undefined ? undefined : { contacts: records },
  faults,
});

console.log(`Intercom sandbox listening on ${sandbox.url}`);
console.log(`token: ${sandbox.token}`);
console.log(`records: ${JSON.stringify(sandbox.dataset.counts)}`);
if (faults?.length) console.log(`faults: ${JSON.stringify(faults)}`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping after ${sandbox.requestCount} requests`);
  if (faults?.length) console.log(`stats: ${JSON.stringify(sandbox.stats)}`);
  sandbox.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
