// CLI: tsx sandbox/main.ts [--port 4010] [--records N] [--seed S] [--host H] [--token T]
import { parseArgs } from 'node:util';
import { startSandbox } from './server.js';

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
  },
});

const records = int('records', values.records);
const sandbox = await startSandbox({
  port: int('port', values.port) ?? 4010,
  host: values.host,
  seed: int('seed', values.seed),
  token: values.token,
  counts: records === undefined ? undefined : { contacts: records },
});

console.log(`Intercom sandbox listening on ${sandbox.url}`);
console.log(`token: ${sandbox.token}`);
console.log(`records: ${JSON.stringify(sandbox.dataset.counts)}`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping after ${sandbox.requestCount} requests`);
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
