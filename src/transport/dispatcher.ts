import type { Dispatcher } from 'undici';

// undici takes longer to load than the rest of the engine: it is loaded on the first request.
let undici: Promise<typeof import('undici')> | undefined;

/** Where requests go through a proxy, as HTTP_PROXY / HTTPS_PROXY / NO_PROXY say it. */
export interface ProxySettings {
  /** Proxy for http:// URLs. */
  httpProxy?: string;
  /** Proxy for https:// URLs. */
  httpsProxy?: string;
  /** Hosts reached directly: comma-separated names, domains (`.example.com`), `host:port`, or `*`. */
  noProxy?: string;
}

/** The proxy settings of an environment, upper- or lower-case; undefined when it names no proxy. */
export function proxyFromEnv(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const settings: ProxySettings = {};
  const http = pick('HTTP_PROXY', 'http_proxy');
  const https = pick('HTTPS_PROXY', 'https_proxy');
  const no = pick('NO_PROXY', 'no_proxy');
  if (http) settings.httpProxy = http;
  if (https) settings.httpsProxy = https;
  if (no) settings.noProxy = no;
  return http || https ? settings : undefined;
}

/**
 * The runtime's own connection pool: a keep-alive Agent, or, with a proxy, undici's
 * EnvHttpProxyAgent (NO_PROXY's hosts reached directly). `'env'` reads the settings from
 * this process's environment when the pool is made.
 */
export async function createDispatcher(options: { connectTimeoutMs: number; proxy?: ProxySettings | 'env' }): Promise<Dispatcher> {
  const { Agent, EnvHttpProxyAgent } = await (undici ??= import('undici'));
  const common = { keepAliveTimeout: 10_000, connect: { timeout: options.connectTimeoutMs } };
  const proxy = options.proxy === 'env' ? proxyFromEnv(process.env) : options.proxy;
  if (proxy && (proxy.httpProxy || proxy.httpsProxy)) {
    // Explicit values: undici must not fall back to this process's variables for a missing one.
    return new EnvHttpProxyAgent({ ...common, httpProxy: proxy.httpProxy ?? '', httpsProxy: proxy.httpsProxy ?? proxy.httpProxy ?? '', noProxy: proxy.noProxy ?? '' });
  }
  return new Agent(common);
}
