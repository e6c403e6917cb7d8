// A PostgreSQL server for tests, with nothing to install: PGlite (PostgreSQL 18 compiled to
// WebAssembly, running in this process) behind pglite-socket on 127.0.0.1, reached over the
// real wire protocol by pg, as a production PostgreSQL would be.
//
// What it is, and is not (found by trying it; see the notes on startPostgres):
// - One PGlite is one PostgreSQL backend. pglite-socket multiplexes client connections over
//   it with a query queue. Its default is ONE connection: a second is refused (it writes "Too
//   many connections" and closes, which pg reports as ECONNRESET), so a pg Pool, or two
//   servers on one database, need `maxConnections` (here 100 by default, PostgreSQL's own
//   default max_connections).
// - While a connection is inside an explicit transaction (BEGIN ... COMMIT), the queue serves
//   that connection only; the others wait. Transactions therefore run one after another,
//   never at once: locks never conflict (pg_advisory_xact_lock is granted at once), and code
//   that awaits another connection's query while it holds a transaction open hangs here
//   (it would not against a real server unless the locks conflict). Do not do that.
// - Every connection shares one session: SET, temporary tables, session-level advisory locks
//   and named prepared statements are common to all. pg's unnamed statements work: a query's
//   messages (Parse, Bind, Execute, Sync) arrive in one chunk and are run back to back (300
//   concurrent parameterized queries over 10 connections all came back right), but that is
//   the queue's timing, not a promise of the protocol.
// - It asks for no password: a URL may carry one (to test its redaction) and it is ignored.
// - There is one database per PGlite (CREATE DATABASE succeeds, but a connection cannot pick
//   it): each startPostgres() is a new, empty server. Starting PGlite runs initdb (~3 s); the
//   first start in a process keeps its data directory as a template, so later ones take
//   ~0.3 s. Start one per test file (or per `describe`) and share it between its tests.
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`; pass `{ password }` to startPostgres to put one in. */
  url: string;
  port: number;
  /** Runs one statement on a connection of its own (opened and closed around it), for a test to look at or change the data. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** Stops listening, drops the connections still open and closes the database. Close its clients first. */
  close(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Most client connections at once (default 100); pglite-socket's own default is 1. */
  maxConnections?: number;
  /** A password to put in the URL (PGlite ignores it): for tests of what may print the URL. */
  password?: string;
}

/** The initialized data directory of the first start in this process: later starts load it instead of running initdb. */
let template: Promise<File | Blob> | undefined;

async function freshDatabase(): Promise<PGlite> {
  if (!template) {
    const first = PGlite.create();
    template = first.then((db) => db.dumpDataDir('none'));
    // A failed first start is not kept: the next start tries initdb again.
    template.catch(() => (template = undefined));
    await template;
    return first;
  }
  return PGlite.create({ loadDataDir: await template });
}

/**
 * Starts an empty PostgreSQL on 127.0.0.1 at a free port.
 *
 * @example
 * const postgres = await startPostgres();
 * after(() => postgres.close());
 * const pool = new pg.Pool({ connectionString: postgres.url });
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const db = await freshDatabase();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 100 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  // The listening socket is private in the typings; its address is the one source of the port.
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  const auth = options.password === undefined ? 'postgres' : `postgres:${encodeURIComponent(options.password)}`;
  const url = `postgres://${auth}@127.0.0.1:${port}/postgres`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    async query(text, values = []) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    close: () =>
      (closing ??= (async () => {
        await server.stop();
        await db.close();
      })()),
  };
}
