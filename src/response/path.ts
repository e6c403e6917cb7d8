/** Reads a value at a dotted path; compiled once so the hot path does no string work. */
export type Getter = (body: unknown) => unknown;

/**
 * @example
 * const next = compileGetter('pages.next.starting_after');
 * next({ pages: { next: { starting_after: 'abc' } } }); // 'abc'
 */
export function compileGetter(path: string): Getter {
  const keys = path.split('.');
  if (keys.length === 1) {
    const [k] = keys as [string];
    return (body) => (body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[k] : undefined);
  }
  return (body) => {
    let value: unknown = body;
    for (const k of keys) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[k];
    }
    return value;
  };
}
