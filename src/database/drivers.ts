/**
 * The database drivers, optional peer dependencies both: a library user never compiles
 * SQLite or installs pg, and the command that needs one (serve, sync) says how to get it.
 * `what` names that user in the message ("serve keeps its instances", "the context store keeps its data").
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigurationError } from '../errors.js';
import { lazy } from '../lazy.js';

const Sqlite = lazy<typeof BetterSqlite3>('better-sqlite3');
const Pg = lazy<typeof import('pg')>('pg');

function missing(err: unknown, name: string): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return code === 'MODULE_NOT_FOUND' && message?.includes(`'${name}'`) === true;
}

export function sqliteDriver(what: string): typeof BetterSqlite3 {
  try {
    return Sqlite();
  } catch (err) {
    if (missing(err, 'better-sqlite3')) {
      throw new ConfigurationError(`${what} in SQLite through better-sqlite3, an optional peer dependency that is not installed. Install it next to this package: npm install better-sqlite3@12`);
    }
    const message = (err as { message?: string }).message ?? '';
    if ((err as { code?: string }).code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|invalid ELF|wrong ELF/.test(message)) {
      throw new ConfigurationError(`better-sqlite3 is installed but its native part does not load in this Node ${process.version} (${message.split('\n')[0]}); rebuild it: npm rebuild better-sqlite3`);
    }
    throw err;
  }
}

export function pgDriver(what: string): typeof import('pg') {
  try {
    return Pg();
  } catch (err) {
    if (missing(err, 'pg')) throw new ConfigurationError(`${what} in PostgreSQL through pg, an optional peer dependency that is not installed. Install it next to this package: npm install pg@8`);
    throw err;
  }
}
