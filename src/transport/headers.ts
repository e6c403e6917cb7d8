/** Response headers as undici gives them: a repeated header is an array. */
export type Headers = Record<string, string | string[] | undefined>;

/** The (first) value of a header, by its lower-case name. */
export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The target of the `Link` header entry with the given `rel` (RFC 8288), e.g. of
 * `<https://api.example.com/items?page=2>; rel="next", <...>; rel="last"`.
 */
export function linkTarget(headers: Headers, rel: string): string | undefined {
  const raw = headers.link;
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  for (const value of values) {
    for (const m of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
      for (const p of m[2]!.matchAll(/;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/gi)) {
        const rels = (p[1] ?? p[2] ?? '').toLowerCase().split(/\s+/);
        if (rels.includes(rel.toLowerCase())) return m[1];
      }
    }
  }
  return undefined;
}
