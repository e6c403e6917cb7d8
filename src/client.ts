import type { OperationMap, UntypedOperations } from './operations.js';
import { createRuntime, type RequestOptions, type Runtime, type RuntimeOptions } from './runtime.js';

/** What every client has besides its entities. */
export interface ClientBase<Ops extends OperationMap = UntypedOperations> {
  /** The runtime behind the client, created on first use. */
  runtime(): Promise<Runtime<Ops>>;
  close(): Promise<void>;
}

type Method = (params?: Record<string, unknown>, options?: RequestOptions) => unknown;

/**
 * Builds a client whose shape comes from a generated interface: `client.<entity>.<action>(params)`
 * runs that operation, `client.<entity>.paginate(params)` walks the entity's `list` action.
 * The runtime (and the manifest) load on the first call, so creating a client is synchronous.
 *
 * @example
 * const client = createClient<MyConnectorClient>({ credentials: { api_key } });
 * const { data } = await client.contacts.list({ per_page: 50 });
 */
export function createClient<C extends ClientBase<any>>(options: RuntimeOptions = {}): C {
  let runtime: Promise<Runtime> | undefined;
  const getRuntime = () => (runtime ??= createRuntime(options));
  const entities = new Map<string, Record<string, Method>>();

  const entity = (name: string): Record<string, Method> => {
    const cached = entities.get(name);
    if (cached) return cached;
    const methods = new Proxy({} as Record<string, Method>, {
      get(target, action) {
        if (typeof action !== 'string') return undefined;
        target[action] ??=
          action === 'paginate'
            ? (params, opts) => paginateList(getRuntime, name, params, opts)
            : async (params, opts) => (await getRuntime()).execute({ entity: name, action, params, ...opts });
        return target[action];
      },
    });
    entities.set(name, methods);
    return methods;
  };

  const base: ClientBase = {
    runtime: getRuntime,
    async close() {
      if (runtime) await (await runtime).close();
    },
  };
  return new Proxy(base, {
    get(target, prop) {
      if (prop in target || typeof prop !== 'string') return (target as unknown as Record<string | symbol, unknown>)[prop];
      // Awaiting a client must not look like a thenable.
      if (prop === 'then') return undefined;
      return entity(prop);
    },
  }) as unknown as C;
}

async function* paginateList(
  getRuntime: () => Promise<Runtime>,
  entity: string,
  params: Record<string, unknown> | undefined,
  options: RequestOptions | undefined,
): AsyncGenerator<Record<string, unknown>, void, undefined> {
  const runtime = await getRuntime();
  yield* runtime.paginate({ entity, action: 'list', params, ...options });
}
