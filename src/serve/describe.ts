import { neededCredentials } from '../auth/choose.js';
import { accessOf } from '../manifest/access.js';
import { pagingParams } from '../manifest/paging.js';
import type { Manifest, ParamSpec } from '../manifest/types.js';
import { DEFAULT_MAX_STRING } from '../request/params.js';
import { checkCall } from './check.js';

/** The limits of a parameter as JSON Schema keywords; the names the API lists and OpenAPI uses alike. */
export const LIMIT_KEYWORDS = ['enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'default'] as const;

export type ParamLimits = Pick<ParamSpec, (typeof LIMIT_KEYWORDS)[number]>;

/**
 * What the runtime enforces on a parameter, as JSON Schema keywords: the manifest's limits,
 * plus the two the runtime adds on its own (a path segment is never empty; a string without
 * maxLength takes at most DEFAULT_MAX_STRING characters).
 */
export function paramLimits(p: ParamSpec): ParamLimits {
  const out: ParamLimits = {};
  for (const k of LIMIT_KEYWORDS) if (p[k] !== undefined) (out as Record<string, unknown>)[k] = p[k];
  if (p.type === 'string') {
    if (out.minLength === undefined && p.in === 'path') out.minLength = 1;
    if (out.maxLength === undefined) out.maxLength = DEFAULT_MAX_STRING;
  }
  return out;
}

/** One parameter as GET /definitions lists it. */
export interface ParamDescription extends ParamLimits {
  name: string;
  type: ParamSpec['type'];
  required: boolean;
  description?: string;
  /** The cursor of a paged list: pass meta.next_page of the previous page. */
  cursor?: true;
  /** The page size of a paged list. */
  page_size?: true;
}

/** A connector definition as GET /api/v1/connectors/definitions lists it. */
export function describeDefinition(id: string, m: Manifest) {
  const check = checkCall(m);
  return {
    id,
    name: m.connector.name,
    title: m.connector.title ?? m.connector.name,
    version: m.connector.version,
    auth_fields: Object.keys(m.auth.credentials),
    auth_methods: m.auth.methods.map((method) => ({ id: method.id, type: method.type, fields: neededCredentials(method, m) })),
    config_fields: Object.keys(m.server.variables ?? {}),
    entities: Object.fromEntries(Object.entries(m.entities).map(([e, spec]) => [e, Object.keys(spec.actions)])),
    operations: Object.entries(m.entities).flatMap(([entity, e]) =>
      Object.entries(e.actions).map(([action, a]) => {
        const { cursor, pageSize } = pagingParams(m, a);
        return {
          entity,
          action,
          ...(a.description ? { description: a.description } : {}),
          // A write runs only on an instance of scope read_write.
          access: accessOf(a),
          list: a.records !== undefined,
          params: Object.entries(a.params).map(([name, p]): ParamDescription => ({
            name,
            type: p.type,
            required: p.required,
            ...(p.description ? { description: p.description } : {}),
            ...(name === cursor ? { cursor: true as const } : {}),
            ...(name === pageSize ? { page_size: true as const } : {}),
            ...paramLimits(p),
          })),
        };
      }),
    ),
    // What `check: true` calls for this connector; null when it cannot be checked.
    check: check ?? null,
  };
}
