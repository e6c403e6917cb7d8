/**
 * A place to resume a list from, down to the record: the cursor of a page and how many of
 * its records were already printed. Plain cursors (skip 0) are printed as they are, so
 * they also work with the API and the runtime.
 */
const PREFIX = 'resume1.';

export function encodeResume(cursor: string | null, skip: number): string | null {
  if (skip === 0) return cursor;
  return PREFIX + Buffer.from(JSON.stringify([cursor, skip])).toString('base64url');
}

export function decodeResume(token: string): { cursor: string | null; skip: number } {
  if (!token.startsWith(PREFIX)) return { cursor: token, skip: 0 };
  try {
    const [cursor, skip] = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8')) as [string | null, number];
    if ((cursor === null || typeof cursor === 'string') && Number.isInteger(skip) && skip >= 0) return { cursor, skip };
  } catch {
    // Fall through: treat it as an API cursor.
  }
  return { cursor: token, skip: 0 };
}
