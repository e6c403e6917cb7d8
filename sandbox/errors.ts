// The sandbox's failures, answered as Intercom's error.list bodies. Shared by the router
// (server.ts), the search (search.ts) and the writes (workspace.ts), so a handler anywhere
// can throw and the router turns it into the response.

import { randomUUID } from 'node:crypto';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export const notFound = (code = 'not_found', message = 'Resource Not Found') => new ApiError(404, code, message);

export function found<T>(value: T | undefined, code?: string, message?: string): T {
  if (value === undefined) throw notFound(code, message);
  return value;
}

/** 400 parameter_invalid: the code the spec uses for a bad value in the endpoints the sandbox serves. */
export const invalid = (message: string) => new ApiError(400, 'parameter_invalid', message);

/** A JSON object, not an array or null: what bodies, search queries and their parts must be, or a 400. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] });
}
