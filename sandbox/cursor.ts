/**
 * The sandbox's cursors: base64 of a JSON triple [sort key of the last record served, its
 * id, the next page number], strict like upstream's (a '+' that arrived unencoded, turned
 * into a space, fails).
 */
export function encodeTriple(key: unknown, id: string, page: number): string {
  return Buffer.from(JSON.stringify([key, id, page])).toString('base64');
}

/** The triple of a cursor, or null when it is not one the sandbox issued. */
export function decodeTriple(raw: string): { key: unknown; id: string; page: number } | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 3) return null;
  const [key, id, page] = value as unknown[];
  if (typeof id !== 'string' || typeof page !== 'number' || !Number.isInteger(page) || page < 2) return null;
  return { key, id, page };
}
