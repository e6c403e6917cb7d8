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
 * Removes from `text` (a driver's error message) every secret of the connection URL, in each
 * form it could take there: defence in depth, since pg's messages are not meant to carry one.
 */
export function scrubUrlSecrets(text: string, url: string): string {
  const secrets = new Set<string>();
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      secrets.add(parsed.password);
      secrets.add(safeDecode(parsed.password));
    }
    for (const [key, value] of parsed.searchParams) if (SECRET_PARAM.test(key) && value) secrets.add(value);
  } catch {
    const userinfo = /^[a-z]+:\/\/([^/?#]*)@/i.exec(url)?.[1];
    if (userinfo?.includes(':')) secrets.add(userinfo.slice(userinfo.indexOf(':') + 1));
  }
  let out = text.split(url).join(redactUrl(url));
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].filter(Boolean).sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
