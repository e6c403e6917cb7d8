import type { Dispatcher } from 'undici';
import { resolveBaseUrl } from '../config.js';
import { ConfigurationError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import type { Redactor } from '../redact.js';
import { send } from '../transport/send.js';
import { chooseAuth, neededCredentials } from './choose.js';
import { createOAuth2Client, type OAuth2Tokens } from './oauth2.js';
import { createAuthSession, type AuthDecoration, type AuthSession } from './session.js';

/** The auth of one runtime, ready to decorate requests. */
export interface ConnectedAuth {
  session: AuthSession;
  /** The decoration when it never changes (every method but OAuth2): folded into the base headers once. */
  fixed: AuthDecoration | undefined;
  /** "the access_token credential", for 401/403 messages. */
  words: string;
  /** Header names auth sets; callers may not override them. */
  headerNames: string[];
  /** A query entry that carries a credential, dropped from URLs the API hands back. */
  secretQueryName: string | undefined;
}

export interface AuthOptions {
  credentials: Record<string, string>;
  authMethod?: string;
  variables: Record<string, string>;
  redact: Redactor;
  dispatcher: () => Promise<Dispatcher>;
  timeoutMs: number;
  maxResponseBytes: number;
  allowInsecureHttp?: boolean;
  onTokenRefresh?: (tokens: OAuth2Tokens) => void;
}

/** Picks the auth method the credentials allow and prepares it; a ConfigurationError says what is missing. */
export function connectAuth(manifest: Manifest, o: AuthOptions): ConnectedAuth {
  const choice = chooseAuth(manifest, o.credentials, o.authMethod);
  if ('issue' in choice) {
    const { issue } = choice;
    const spec = Object.hasOwn(manifest.auth.credentials, issue.name) ? manifest.auth.credentials[issue.name] : undefined;
    const hint = issue.kind === 'missing' ? ` Pass createRuntime({ credentials: { ${issue.name}: '...' } })${spec?.env ? ` (hosts such as the CLI read it from ${spec.env})` : ''}.` : '';
    throw new ConfigurationError(issue.message + hint);
  }
  const method = choice.method;
  const values = { ...o.variables, ...o.credentials };
  const session = createAuthSession(method, values, o.redact, () =>
    createOAuth2Client({
      method: method as Extract<typeof method, { type: 'oauth2' }>,
      values,
      redact: o.redact,
      onToken: o.onTokenRefresh,
      post: async (url, form, headers) => {
        // The token endpoint follows the base URL's rule: https, or loopback for a local test.
        const target = resolveBaseUrl(manifest, { baseUrl: url, allowInsecureHttp: o.allowInsecureHttp }, {});
        const res = await send(
          await o.dispatcher(),
          { origin: target.origin, path: target.pathname + target.search, method: 'POST', headers, body: form, timeoutMs: o.timeoutMs, operation: 'oauth2 token' },
          o.maxResponseBytes,
        );
        let body: unknown;
        try {
          body = JSON.parse(res.text);
        } catch {
          // Some token endpoints answer in form encoding.
          body = Object.fromEntries(new URLSearchParams(res.text));
        }
        return { status: res.status, body };
      },
    }),
  );
  const names = neededCredentials(method, manifest);
  return {
    session,
    fixed: method.type === 'oauth2' ? undefined : (session.decorate() as AuthDecoration),
    words: names.length ? `${names.join(' and ')} credential${names.length > 1 ? 's' : ''}` : 'credential',
    headerNames: method.type === 'api_key' && method.in === 'header' ? [method.name.toLowerCase()] : method.type === 'oauth2' && method.header ? [method.header.toLowerCase()] : [],
    secretQueryName: method.type === 'api_key' && method.in === 'query' ? method.name : undefined,
  };
}
