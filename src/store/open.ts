/** A context store from where it lives: `sqlite:<file>` (or a plain path), or a `postgres://` URL. */
import { isPostgresUrl, redactUrl } from '../database/url.js';
import { ConfigurationError } from '../errors.js';
import { openSqliteContextStore } from './sqlite.js';
import type { ContextStore } from './types.js';

/**
 * Opens (without creating tables: see prepareStore) the store a location names. Readers pass
 * `create: false`: a location that names no store is an error, not a new empty store.
 *
 * @example
 * const store = await openContextStore('sqlite:./records.db');
 */
export async function openContextStore(location: string, options: { create?: boolean } = {}): Promise<ContextStore> {
  if (isPostgresUrl(location)) {
    const { openPostgresContextStore } = await import('./postgres.js');
    return openPostgresContextStore(location);
  }
  // postgres:/host/db (one slash) would otherwise become a file path, password and all.
  if (/^postgres(ql)?:/i.test(location)) throw new ConfigurationError('the store location starts with postgres: but is not a URL; write it as postgres://user:password@host:5432/database.');
  const file = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  if (file === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw new ConfigurationError(`--store ${JSON.stringify(redactUrl(location))} is not a store: give sqlite:<file> (or a file path) or a postgres:// URL.`);
  }
  return openSqliteContextStore(file, undefined, options.create !== false);
}

/**
 * A store a host reads from, opened on first use (no migration, no new file); an open that
 * failed (the store missing, the database down) is tried again on the next use.
 */
export function storeReader(location: string): { get(): Promise<ContextStore>; close(): Promise<void> } {
  let opened: Promise<ContextStore> | undefined;
  return {
    get() {
      const pending = (opened ??= openContextStore(location, { create: false }));
      pending.catch(() => {
        if (opened === pending) opened = undefined;
      });
      return pending;
    },
    async close() {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}
