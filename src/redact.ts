/**
 * The one redactor: every text that came from the API or carries a request (error
 * messages, URLs, request ids, diagnostics, resume tokens) goes through it before anyone
 * sees it. It knows each secret in the forms it travels in: as is, JSON-escaped,
 * percent-encoded and base64.
 */
export interface Redactor {
  (text: string): string;
  /** Adds a secret learnt later (a refreshed OAuth token). */
  add(secret: string): void;
}

export const REDACTED = '[redacted]';

/** The forms a secret may take in text the API sends back. */
function forms(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64');
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
  ];
}

/**
 * @example
 * const redact = createRedactor(['s3cr3t-token']);
 * redact('bad token s3cr3t-token'); // 'bad token [redacted]'
 */
export function createRedactor(secrets: Iterable<string> = []): Redactor {
  let known: string[] = [];
  const add = (secret: string) => {
    if (typeof secret !== 'string' || secret === '') return;
    known = [...new Set([...known, ...forms(secret)])].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  };
  for (const s of secrets) add(s);
  const redact = ((text: string) => {
    let out = text;
    for (const s of known) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }) as Redactor;
  redact.add = add;
  return redact;
}
