/**
 * Dotted paths into JSON values, the one path language of manifests: `pages.next.cursor`,
 * `data[0].id` (or `data.0.id`), and `$` for the value itself (`$.data` is `data`).
 * Compiled once, so the hot path does no string work.
 */
export type Getter = (value: unknown) => unknown;

/** The keys of a path; `[]` for the root. */
export function splitPath(path: string): string[] {
  const p = path.startsWith('$') ? path.slice(1).replace(/^\./, '') : path;
  if (p === '') return [];
  return p.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '').split('.');
}

/**
 * @example
 * const next = compileGetter('pages.next.starting_after');
 * next({ pages: { next: { starting_after: 'abc' } } }); // 'abc'
 * compileGetter('$')([1, 2]); // [1, 2]
 */
export function compileGetter(path: string): Getter {
  const keys = splitPath(path);
  if (keys.length === 0) return (value) => value;
  if (keys.length === 1) {
    const [k] = keys as [string];
    return (value) => (value !== null && typeof value === 'object' && Object.hasOwn(value, k) ? (value as Record<string, unknown>)[k] : undefined);
  }
  return (value) => {
    let v: unknown = value;
    for (const k of keys) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

/** Sets `value` at `path` inside `target`, creating the objects on the way (never on a prototype). */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = splitPath(path);
  // defineProperty, not assignment: a key such as `__proto__` stays a plain key.
  const put = (obj: Record<string, unknown>, key: string, v: unknown) =>
    Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
  let node = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      put(node, key, value);
      return;
    }
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      put(node, key, created);
      node = created;
    } else node = next as Record<string, unknown>;
  });
}

/** True for the path of the value itself (`$`). */
export function isRootPath(path: string): boolean {
  return splitPath(path).length === 0;
}

/**
 * Why `path` finds nothing in `value`, when the reason is a shape the path does not expect:
 * a step that should be an object is a string, a number or a list. A missing or null step
 * is an ordinary absence (a last page) and gives undefined.
 *
 * @example
 * whyMissing({ pages: { next: 'https://…' } }, 'pages.next.starting_after'); // 'pages.next is a string, not an object'
 */
export function whyMissing(value: unknown, path: string): string | undefined {
  let v = value;
  const keys = splitPath(path);
  for (let i = 0; i < keys.length; i++) {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object') {
      const at = i === 0 ? 'the answer' : keys.slice(0, i).join('.');
      return `${at} is ${describe(v)}, not an object`;
    }
    v = Object.hasOwn(v, keys[i]!) ? (v as Record<string, unknown>)[keys[i]!] : undefined;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)})`;
  return `${typeof v === 'object' ? 'an object' : `a ${typeof v}`} (${JSON.stringify(v)})`;
}
