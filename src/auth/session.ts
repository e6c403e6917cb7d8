import type { AuthMethod } from '../manifest/types.js';
import type { Redactor } from '../redact.js';
import type { OAuth2Client } from './oauth2.js';
import { compileTemplate } from './template.js';

/** What auth adds to one request. */
export interface AuthDecoration {
  headers: Record<string, string>;
  /** A query entry that carries the credential, added as the request leaves (see OutgoingRequest). */
  secretQuery?: string;
}

/**
 * The credentials of one runtime, applied to requests. Static methods decorate every
 * request the same way (computed once); OAuth2 fetches and refreshes its token.
 */
export interface AuthSession {
  readonly method: AuthMethod;
  /** The decoration of the next request; a promise only while an OAuth2 token is being fetched. */
  decorate(): AuthDecoration | Promise<AuthDecoration>;
  /** After a 401 to a request decorated with `used`: whether a fresh credential is at hand, so it is worth sending once more. */
  renew(used: AuthDecoration): Promise<boolean>;
}

/** Every secret value a method sends, in the forms it travels in, for the redactor. */
function register(redact: Redactor, values: string[]): void {
  for (const v of values) redact.add(v);
}

export function createAuthSession(
  method: AuthMethod,
  values: Readonly<Record<string, string | undefined>>,
  redact: Redactor,
  oauth2?: () => OAuth2Client,
): AuthSession {
  const fill = (template: string) => compileTemplate(template).fill(values);
  // Headers the method adds beside the credential (an account id), filled once.
  const extra: Record<string, string> = {};
  for (const [name, template] of Object.entries(method.headers ?? {})) {
    extra[name.toLowerCase()] = fill(template);
  }
  const fixed = (decoration: AuthDecoration): AuthSession => ({ method, decorate: () => ({ ...decoration, headers: { ...extra, ...decoration.headers } }), renew: async () => false });
  switch (method.type) {
    case 'none':
      return fixed({ headers: {} });
    case 'bearer': {
      const token = fill(method.token);
      register(redact, [token]);
      return fixed({ headers: { authorization: `Bearer ${token}` } });
    }
    case 'basic': {
      const encoded = Buffer.from(`${fill(method.username)}:${fill(method.password)}`).toString('base64');
      register(redact, [encoded]);
      return fixed({ headers: { authorization: `Basic ${encoded}` } });
    }
    case 'api_key': {
      const value = fill(method.value);
      register(redact, [value]);
      if (method.in === 'header') return fixed({ headers: { [method.name.toLowerCase()]: value } });
      return fixed({ headers: {}, secretQuery: new URLSearchParams([[method.name, value]]).toString() });
    }
    case 'oauth2': {
      const client = oauth2!();
      const name = (method.header ?? 'authorization').toLowerCase();
      const prefix = method.prefix ?? 'Bearer ';
      const decorate = (token: string): AuthDecoration => ({ headers: { ...extra, [name]: `${prefix}${token}` } });
      return {
        method,
        decorate() {
          const token = client.current();
          return token === undefined ? client.token().then(decorate) : decorate(token);
        },
        renew: (used) => client.renew(used.headers[name]?.slice(prefix.length)),
      };
    }
  }
}
