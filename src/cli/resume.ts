/**
 * A place to resume a list from, down to the record: the cursor of a page, how many of its
 * records were already printed, and which list it belongs to (operation and parameters).
 * A token only resumes the list it came from: another list would take the cursor, or skip
 * records that were never printed. A plain API cursor (from `meta.next_page`) is accepted
 * as it is, with nothing to check it against.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../host/command.js';

const PREFIX = 'resume2.';
const OLD_PREFIX = 'resume1.';

/** What a token is bound to: the operation and its parameters, the cursor left out. */
export interface ResumeScope {
  operation: string;
  params: Record<string, unknown>;
  cursorParam: string | undefined;
}

function fingerprint(scope: ResumeScope): string {
  const rest = Object.entries(scope.params)
    .filter(([k, v]) => k !== scope.cursorParam && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([scope.operation, rest])).digest('base64url').slice(0, 12);
}

export function encodeResume(cursor: string | null, skip: number, scope: ResumeScope): string | null {
  if (cursor === null && skip === 0) return null;
  return PREFIX + Buffer.from(JSON.stringify([scope.operation, fingerprint(scope), cursor, skip])).toString('base64url');
}

export function decodeResume(token: string, scope: ResumeScope): { cursor: string | null; skip: number } {
  if (token.startsWith(OLD_PREFIX)) throw new UsageError('this --starting-after token comes from an older version that did not record which list it belongs to; start the list again.');
  if (!token.startsWith(PREFIX)) return { cursor: token, skip: 0 };
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 4) throw new UsageError('--starting-after: this token is damaged; copy it again whole from the message that printed it.');
  const [operation, print, cursor, skip] = parts as [unknown, unknown, unknown, unknown];
  if (typeof operation !== 'string' || typeof print !== 'string' || !(cursor === null || typeof cursor === 'string') || !Number.isInteger(skip) || (skip as number) < 0) {
    throw new UsageError('--starting-after: this token is damaged; copy it again whole from the message that printed it.');
  }
  if (operation !== scope.operation) {
    throw new UsageError(`--starting-after: this token resumes ${operation}, not ${scope.operation}. Run it with the command it came from.`);
  }
  if (print !== fingerprint(scope)) {
    throw new UsageError(`--starting-after: this token resumes ${operation} with other parameters; pass the same --param/--params values as the run that printed it.`);
  }
  return { cursor, skip: skip as number };
}
