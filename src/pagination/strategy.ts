import { compileGetter } from '../response/path.js';

/**
 * A pagination strategy turns the caller's opaque cursor into query parameters and a
 * response into the next cursor. One implementation per strategy type; every list of
 * every connector goes through one of them.
 */
export interface PaginationStrategy {
  /** The parameter callers pass the cursor in (absent for unpaginated lists). */
  readonly cursorParam: string | undefined;
  /**
   * Query entries for one request, given the caller's params (the cursor among them).
   * Returns the params to send with the cursor param replaced by what the API reads.
   */
  toQuery(params: Record<string, unknown>): Record<string, unknown>;
  /** The cursor of the page after this one, or null on the last page. */
  nextCursor(body: unknown, sent: Record<string, unknown>): string | null;
  /**
   * A guess at the next cursor from the raw body, before it is parsed, so the next request
   * can start while this page parses. Always checked against nextCursor afterwards.
   */
  peek?(text: string): string | undefined;
  /** The total number of records the API reports, if it does. */
  total?(body: unknown): number | undefined;
}

/** A getter for a numeric field of the response (e.g. a total count). */
export function numberAt(path: string): (body: unknown) => number | undefined {
  const get = compileGetter(path);
  return (body) => {
    const v = get(body);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
}
