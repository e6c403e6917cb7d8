import { IntercomClient } from 'intercom-client';
import { Agent, request } from 'undici';
import { createRuntime, type Operations, type Runtime } from '../../generated/index.js';

/** Pages through every contact; returns how many records came back (each checked unique by the caller). */
export interface BenchClient {
  name: string;
  run(onRecord: (id: string) => void): Promise<void>;
  close(): Promise<void>;
}

export const PER_PAGE = 150;

/** The floor: a hand-written undici loop on a keep-alive pool, following pages.next.starting_after. */
export function rawUndici(url: string, token: string): BenchClient {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'intercom-version': '2.16' };
  return {
    name: 'raw-undici',
    async run(onRecord) {
      let cursor: string | undefined;
      do {
        const qs = cursor ? `per_page=${PER_PAGE}&starting_after=${encodeURIComponent(cursor)}` : `per_page=${PER_PAGE}`;
        const { statusCode, body } = await request(`${url}/contacts?${qs}`, { dispatcher: agent, headers });
        if (statusCode !== 200) throw new Error(`raw-undici: HTTP ${statusCode}`);
        const page = (await body.json()) as { data: { id: string }[]; pages?: { next?: { starting_after?: string } } };
        for (const c of page.data) onRecord(c.id);
        cursor = page.pages?.next?.starting_after;
      } while (cursor);
    },
    close: () => agent.close(),
  };
}

export async function engine(url: string, token: string, validateResponses: 'off' | 'warn' | 'strict' = 'off'): Promise<BenchClient> {
  const runtime: Runtime<Operations> = await createRuntime({ baseUrl: url, credentials: { access_token: token }, validateResponses });
  return {
    name: validateResponses === 'off' ? 'engine' : `engine-validated`,
    async run(onRecord) {
      for await (const c of runtime.paginate({ entity: 'contacts', action: 'list', params: { per_page: PER_PAGE } })) onRecord(c.id);
    },
    close: () => runtime.close(),
  };
}

/** Intercom's official Node SDK, pointed at the sandbox with its baseUrl option. */
export function intercomClient(url: string, token: string): BenchClient {
  const client = new IntercomClient({ token, baseUrl: url });
  return {
    name: 'intercom-client',
    async run(onRecord) {
      const pages = await client.contacts.list({ per_page: PER_PAGE });
      for await (const c of pages) onRecord(c.id);
    },
    close: async () => {},
  };
}
