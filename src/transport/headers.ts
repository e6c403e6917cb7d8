/** Response headers as undici gives them: a repeated header is an array. */
export type Headers = Record<string, string | string[] | undefined>;

/** The (first) value of a header, by its lower-case name. */
export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
