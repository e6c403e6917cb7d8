import type { ActionSpec } from './types.js';

/**
 * Whether an operation only reads or may change something upstream. Hosts gate writes on
 * it (MCP lists write tools only with --allow-writes; a `read` instance of the execute API
 * refuses them), so it is decided here, once, for every host.
 */
export type Access = 'read' | 'write';

/**
 * A GET reads; so does a POST the manifest declares `idempotent` (a search sent as a POST
 * because its query does not fit a URL). Everything else (POST, PUT, PATCH, DELETE) writes:
 * `idempotent` on those says a retry is safe, not that nothing changes.
 *
 * @example
 * accessOf({ method: 'POST', idempotent: true }); // 'read'
 * accessOf({ method: 'PUT', idempotent: true }); // 'write'
 * accessOf({ method: 'POST', idempotent: true, access: 'write' }); // 'write': an upsert
 */
export function accessOf(action: Pick<ActionSpec, 'method' | 'idempotent' | 'access'>): Access {
  // Said outright: an idempotent POST that writes (a create-or-update by a key of the caller's).
  if (action.access) return action.access;
  if (action.method === 'GET') return 'read';
  return action.method === 'POST' && action.idempotent === true ? 'read' : 'write';
}
