import { AuthenticationError, isConnectorError, PermissionError } from '../errors.js';
import { pagingParams } from '../manifest/paging.js';
import type { ActionSpec, Manifest } from '../manifest/types.js';
import { createRuntime, type RuntimeOptions } from '../runtime.js';
import { ApiError, toApiError } from './api-error.js';

/** The one call that tells whether credentials work: an operation and its params. */
export interface CheckCall {
  entity: string;
  action: string;
  params: Record<string, number>;
}

/**
 * The cheapest call any connector offers without knowing anything about its data: the first
 * list that reads (GET first, then a search over POST declared idempotent) and needs no
 * parameter, asking for the smallest page the manifest allows when it names a page size
 * with a minimum. Undefined when the manifest has none: such a connector cannot be checked.
 */
export function checkCall(manifest: Manifest): CheckCall | undefined {
  const candidates: [string, string, ActionSpec][] = [];
  for (const [entity, e] of Object.entries(manifest.entities)) {
    for (const [action, a] of Object.entries(e.actions)) {
      if (a.records !== undefined && !Object.values(a.params).some((p) => p.required)) candidates.push([entity, action, a]);
    }
  }
  const reads = [...candidates.filter(([, , a]) => a.method === 'GET'), ...candidates.filter(([, , a]) => a.method === 'POST' && a.idempotent === true)];
  const first = reads[0];
  if (!first) return undefined;
  const [entity, action, a] = first;
  const { pageSize } = pagingParams(manifest, a);
  const size = pageSize ? a.params[pageSize] : undefined;
  if (!pageSize || !size || size.minimum === undefined || (size.type !== 'integer' && size.type !== 'number')) return { entity, action, params: {} };
  // A page of 0 means "the default" to some APIs: one record is the least that is surely small.
  const smallest = Math.max(size.minimum, 1);
  return { entity, action, params: { [pageSize]: size.maximum !== undefined && smallest > size.maximum ? size.minimum : smallest } };
}

/**
 * Makes the check call with credentials that are not stored yet, on a runtime of its own
 * that is closed at once; its records are thrown away. A failure becomes the API error an
 * execute would get, saying that nothing was stored; a refusal of the credentials (401, 403)
 * says so in words.
 */
export async function verifyCredentials(manifest: Manifest, call: CheckCall, options: Omit<RuntimeOptions, 'manifest'>): Promise<void> {
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  try {
    runtime = await createRuntime({ ...options, manifest });
    await runtime.execute({ entity: call.entity, action: call.action, params: call.params });
  } catch (err) {
    // Anything else (a bug) keeps its stack for the server's log.
    if (!isConnectorError(err)) throw err;
    const e = toApiError(err);
    const what = `${call.entity}.${call.action}`;
    const message =
      err instanceof AuthenticationError || err instanceof PermissionError
        ? `the credentials in auth_config were rejected upstream when checked with ${what} (${err.message}); nothing was stored.`
        : `checking the credentials with ${what} failed (${e.message}); nothing was stored.`;
    throw new ApiError(e.status, e.code, message, e.extra, e.headers);
  } finally {
    await runtime?.close();
  }
}

/** `check: true` for a connector that offers no call to check with (HTTP 400). */
export function checkNotPossible(manifest: Manifest): ApiError {
  return new ApiError(
    400,
    'CHECK_NOT_POSSIBLE',
    `connector ${manifest.connector.name} cannot be checked: it has no list that reads without parameters to make a cheap call with. Send the request without "check".`,
  );
}
