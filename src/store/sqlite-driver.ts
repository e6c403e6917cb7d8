import type BetterSqlite3 from 'better-sqlite3';
import { ConfigurationError } from '../errors.js';
import { lazy } from '../lazy.js';

const Database = lazy<typeof BetterSqlite3>('better-sqlite3');

/**
 * better-sqlite3, an optional peer dependency: a library user never compiles SQLite, and a
 * command that needs it (`serve`, `sync`) says how to get it. `what` names the user of it.
 */
export function sqliteDriver(what: string): typeof BetterSqlite3 {
  try {
    return Database();
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    if (code === 'MODULE_NOT_FOUND' && message?.includes("'better-sqlite3'")) {
      throw new ConfigurationError(`${what} keeps its data in SQLite through better-sqlite3, an optional peer dependency that is not installed. Install it next to this package: npm install better-sqlite3@12`);
    }
    if (code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|invalid ELF|wrong ELF/.test(message ?? '')) {
      throw new ConfigurationError(`better-sqlite3 is installed but its native part does not load in this Node ${process.version} (${message?.split('\n')[0]}); rebuild it: npm rebuild better-sqlite3`);
    }
    throw err;
  }
}
