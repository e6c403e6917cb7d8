/**
 * Opaque page tokens the engine issues when the API's own paging is not a cursor (page
 * numbers, offsets, next-page URLs): `<kind>1.<base64url JSON>`. The version digit lets a
 * later encoding still read today's tokens.
 */
export type TokenKind = 'pg' | 'of' | 'nu' | 'sc';

export function encodeToken(kind: TokenKind, value: unknown[]): string {
  return `${kind}1.${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
}

/** The array inside a token of this kind, or undefined when the text is not one. */
export function decodeToken(kind: TokenKind, token: string): unknown[] | undefined {
  const prefix = `${kind}1.`;
  if (!token.startsWith(prefix)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token.slice(prefix.length), 'base64url').toString('utf8'));
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
