import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A dependency loaded on first use, synchronously. YAML and JSON Schema tooling take
 * longer to load than the rest of the engine and a runtime that starts from a compiled
 * manifest never needs them.
 *
 * @example
 * const yaml = lazy<typeof import('yaml')>('yaml');
 * yaml().parseDocument(text);
 */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
