import { Agent, request } from 'undici';
import { createRuntime } from '../../src/index.js';

/**
 * Per-call overhead of `execute`: the same small GET, N times, through a hand-written
 * undici call and through the engine, against a server answering a tiny fixed body.
 * Returns the median over rounds of (engine - raw) / N, in microseconds.
 */
export async function measureOverhead(url: string, calls: number, rounds: number): Promise<{ rawUs: number; engineUs: number; overheadUs: number }> {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const headers = { authorization: 'Bearer bench-token-x', accept: 'application/json', 'intercom-version': '2.16' };
  const runtime = await createRuntime({ baseUrl: url, credentials: { access_token: 'bench-token-x' } });
  const raw = async () => {
    const { body } = await request(`${url}/tags`, { dispatcher: agent, headers });
    return body.json();
  };
  const engine = () => runtime.execute({ entity: 'tags', action: 'list' });
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    return ((performance.now() - t0) * 1000) / calls;
  };
  await time(raw);
  await time(engine);
  const raws: number[] = [];
  const engines: number[] = [];
  const diffs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await time(raw);
    const b = await time(engine);
    raws.push(a);
    engines.push(b);
    diffs.push(b - a);
  }
  await runtime.close();
  await agent.close();
  return { rawUs: median(raws), engineUs: median(engines), overheadUs: median(diffs) };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
