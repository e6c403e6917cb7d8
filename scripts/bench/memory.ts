// Run in a fresh process: page through every contact of the sandbox at `url` with the
// engine, keeping nothing, and report the peak RSS.
import { createRuntime } from '../../src/index.js';

const [url, token, expected] = process.argv.slice(2) as [string, string, string];
const runtime = await createRuntime({ baseUrl: url, credentials: { access_token: token } });
let n = 0;
for await (const _ of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: 150 } })) n++;
await runtime.close();
if (n !== Number(expected)) throw new Error(`expected ${expected} records, got ${n}`);
console.log(JSON.stringify({ records: n, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
