/** Database locations as they may be shown: a connection URL's secrets never printed. */

/** Whether a location (`--db`, `--store`) names a PostgreSQL database (a URL) rather than an SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(db);
}

/** Query parameters of a connection URL that hold secrets (`password`, `sslpassword`). */
const SECRET_PARAM = /pass/i;

/**
 * The connection URL as it may be shown: its password (in the user part, or as a query
 * parameter) replaced by `***`. A URL that does not parse loses its whole user part.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return url.replace(/^([a-z]+:\/\/)[^/?#]*@/i, '$1***@').replace(/([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi, '$1***');
  }
}

/**
 * Every secret of a connection URL, in each form it could be shown: the password as written
 * and decoded, and the values of secret query parameters. A URL that does not parse gives
 * whatever sits between "://" and its last "@" after a colon.
 */
export function urlSecrets(url: string): string[] {
  const secrets: string[] = [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/i.exec(url)?.[1];
    if (userinfo?.includes(':')) secrets.push(userinfo.slice(userinfo.indexOf(':') + 1));
    return secrets;
  }
  if (parsed.password) secrets.push(parsed.password, safeDecode(parsed.password));
  for (const [key, value] of parsed.searchParams) if (SECRET_PARAM.test(key) && value) secrets.push(value, safeDecode(value));
  return secrets;
}

/** `text` with every secret replaced by `mark`, longest first, so that a secret holding another goes whole. */
export function scrubSecrets(text: string, secrets: readonly string[], mark = '***'): string {
  let out = text;
  for (const secret of [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) out = out.split(secret).join(mark);
  return out;
}

/**
 * Removes from `text` (a driver's error message) every secret of the connection URL, in each
 * form it could take there: defence in depth, since pg's messages are not meant to carry one.
 */
export function scrubUrlSecrets(text: string, url: string): string {
  return scrubSecrets(text.split(url).join(redactUrl(url)), urlSecrets(url));
}

/** The text decoded from percent-encoding, or as it is when that encoding is broken. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
