/**
 * The candidate a misspelt name most likely meant: same letters in another order, or one
 * letter added, dropped or changed. Undefined when nothing is that close.
 *
 * @example
 * closest('recrod', ['records', 'record']); // 'record'
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  for (const c of candidates) if (nearlySame(word, c)) return c;
  return undefined;
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const guess = closest(word, candidates);
  return guess ? ` Did you mean "${guess}"?` : '';
}

function nearlySame(a: string, b: string): boolean {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  const sorted = (x: string) => [...x].sort().join('');
  if (a.length === b.length && sorted(a) === sorted(b)) return true;
  let diff = 0;
  for (let i = 0, j = 0; i < a.length || j < b.length; i++, j++) {
    if (a[i] === b[j]) continue;
    if (++diff > 1) return false;
    if (a.length > b.length) j--;
    else if (b.length > a.length) i--;
  }
  return true;
}
