import type { ActionSpec, Manifest, PagedSpec, PaginationSpec } from './types.js';

/** The one place that knows an action's pagination: its strategy, declared by name or in place. */
export function paginationOf(manifest: Pick<Manifest, 'pagination'>, action: Pick<ActionSpec, 'pagination'>): PaginationSpec | undefined {
  const p = action.pagination;
  if (p === undefined) return undefined;
  return typeof p === 'string' ? manifest.pagination[p] : p;
}

/** The strategy of a list that pages (not `none`), if the action is one. */
export function pagedOf(manifest: Pick<Manifest, 'pagination'>, action: Pick<ActionSpec, 'pagination'>): PagedSpec | undefined {
  const p = paginationOf(manifest, action);
  return p && p.type !== 'none' ? p : undefined;
}

/**
 * The parameters callers page with: the cursor (pass `meta.next_page` back in it) and the
 * page size, when the action has them. Hosts (CLI, MCP) and codegen all ask here.
 *
 * @example
 * pagingParams(manifest, manifest.entities.contacts.actions.list); // { cursor: 'starting_after', pageSize: 'per_page' }
 */
export function pagingParams(manifest: Pick<Manifest, 'pagination'>, action: Pick<ActionSpec, 'pagination' | 'params'>): { cursor?: string; pageSize?: string } {
  const p = pagedOf(manifest, action);
  if (!p) return {};
  return { cursor: p.param, pageSize: p.page_size_param && action.params[p.page_size_param] ? p.page_size_param : undefined };
}
