import { AuthenticationError, isConnectorError } from '../errors.js';
import type { OAuth2Auth } from '../manifest/types.js';
import type { Redactor } from '../redact.js';
import { compileTemplate } from './template.js';

/** Tokens as a token endpoint hands them out; hosts may store the refresh token when it rotates. */
export interface OAuth2Tokens {
  access_token: string;
  refresh_token?: string;
  /** Epoch ms; undefined when the endpoint does not say. */
  expires_at?: number;
}

/** Posts a form to the token endpoint; the runtime provides it over its own connection pool. */
export type TokenPost = (url: string, body: string, headers: Record<string, string>) => Promise<{ status: number; body: unknown }>;

export interface OAuth2Client {
  /** A token that is not about to expire, if one is at hand. */
  current(): string | undefined;
  /** Fetches a token (one request for any number of concurrent callers). */
  token(): Promise<string>;
  /** After a 401 with `failed`: fetches a fresh token unless another call already did; true when one is at hand. */
  renew(failed: string | undefined): Promise<boolean>;
}

export interface OAuth2Options {
  method: OAuth2Auth;
  values: Readonly<Record<string, string | undefined>>;
  post: TokenPost;
  redact: Redactor;
  now?: () => number;
  onToken?: (tokens: OAuth2Tokens) => void;
}

/**
 * The `refresh_token` and `client_credentials` grants (RFC 6749 §6 and §4.4): the access
 * token is cached, fetched again shortly before it expires and once after a 401. Every
 * token is added to the redactor the moment it arrives, so none is ever shown.
 */
export function createOAuth2Client(options: OAuth2Options): OAuth2Client {
  const { method, values, post, redact } = options;
  const now = options.now ?? Date.now;
  const fill = (t: string) => compileTemplate(t).fill(values);
  const skewMs = (method.refresh_before_s ?? 60) * 1000;
  let access: string | undefined = method.access_token ? fill(method.access_token) || undefined : undefined;
  let expiresAt: number | undefined;
  let refresh = method.refresh_token ? fill(method.refresh_token) : undefined;
  let inflight: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const form = new URLSearchParams();
    form.set('grant_type', method.grant);
    if (method.grant === 'refresh_token') form.set('refresh_token', refresh ?? '');
    if (method.scopes?.length) form.set('scope', method.scopes.join(' '));
    const json = method.body_format === 'json';
    const headers: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded', accept: 'application/json' };
    const clientId = fill(method.client_id);
    const clientSecret = fill(method.client_secret);
    if (method.client_auth === 'basic') {
      const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
      redact.add(basic);
      headers.authorization = `Basic ${basic}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const url = fill(method.token_url);
    let res: { status: number; body: unknown };
    try {
      res = await post(url, json ? JSON.stringify(Object.fromEntries(form)) : form.toString(), headers);
    } catch (err) {
      if (isConnectorError(err)) throw err;
      throw new AuthenticationError('UNAUTHORIZED', redact(`OAuth2 token request to ${new URL(url).origin} failed: ${(err as Error).message}`), {
        status: 0,
        details: [],
        method: 'POST',
        url: new URL(url).pathname,
      });
    }
    const body = (res.body ?? {}) as Record<string, unknown>;
    const token = typeof body.access_token === 'string' ? body.access_token : undefined;
    if (res.status < 200 || res.status >= 300 || !token) {
      const said = [body.error, body.error_description].filter((v) => typeof v === 'string').map((v) => redact(v as string)).join(': ');
      throw new AuthenticationError(
        'UNAUTHORIZED',
        `The OAuth2 token endpoint (${new URL(url).origin}) refused the ${method.grant} grant (HTTP ${res.status}${said ? ` ${said}` : ''}${token ? '' : ', no access_token in the answer'}). ` +
          (method.grant === 'refresh_token' ? 'The refresh token may be expired or revoked: authorize again.' : 'Check the client id, secret and scopes.'),
        { status: res.status, details: said ? [{ message: said }] : [], method: 'POST', url: new URL(url).pathname },
      );
    }
    redact.add(token);
    access = token;
    const seconds = Number(body.expires_in);
    expiresAt = Number.isFinite(seconds) && seconds > 0 ? now() + seconds * 1000 : undefined;
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '') {
      redact.add(body.refresh_token);
      refresh = body.refresh_token;
    }
    options.onToken?.({ access_token: token, ...(refresh ? { refresh_token: refresh } : {}), ...(expiresAt ? { expires_at: expiresAt } : {}) });
    return token;
  };

  const token = (): Promise<string> => {
    inflight ??= fetchToken().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return {
    current: () => (access !== undefined && (expiresAt === undefined || now() < expiresAt - skewMs) ? access : undefined),
    token,
    async renew(failed) {
      if (inflight) await inflight;
      else if (access === undefined || access === failed) {
        access = undefined;
        await token();
      }
      return true;
    },
  };
}
