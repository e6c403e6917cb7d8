/**
 * Where the SQLite context store's writes run: in a worker thread with its own connection to
 * the file, so a sync reads (and parses) its next pages while SQLite writes the last ones: on
 * the sync's own thread, every microsecond of a write was a microsecond of the sync. A store
 * in memory (`:memory:`) has no file a second connection could open: its writes run in place.
 * Both run the same steps, one transaction per call.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * One step of a write: a statement run once per row of arguments, a schema statement, or the
 * schema version the statements were written for (checked inside the transaction: another
 * process may have added a column since, and a row written without it would be missed by
 * searches on its field).
 */
export type WriteStep = { sql: string; rows: unknown[][] } | { exec: string } | { schema: number };

/** The code of the error a write fails with when the schema changed after its statements were written. */
export const SCHEMA_CHANGED = 'STORE_SCHEMA_CHANGED';

export interface SqliteWriter {
  /** Runs the steps in one transaction; each step's count of changed rows. */
  run(steps: WriteStep[]): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * The steps of one write, in one transaction. It is also the worker's code (by its source
 * text), so it uses nothing but its arguments.
 */
function runSteps(db: BetterSqlite3.Database, statements: Map<string, BetterSqlite3.Statement>, steps: WriteStep[]): number[] {
  // IMMEDIATE: the write lock is taken (or waited for) first; a transaction that read and then
  // wrote would fail at once, busy handler or not, when another connection is writing.
  return db.transaction(() =>
    steps.map((step) => {
      if ('schema' in step) {
        // SCHEMA_CHANGED, spelled out: this function can use nothing from outside it.
        if (db.pragma('schema_version', { simple: true }) !== step.schema) throw Object.assign(new Error('the schema changed since this write was prepared'), { code: 'STORE_SCHEMA_CHANGED' });
        return 0;
      }
      if ('exec' in step) {
        db.exec(step.exec);
        return 0;
      }
      let statement = statements.get(step.sql);
      if (!statement) statements.set(step.sql, (statement = db.prepare(step.sql)));
      let changed = 0;
      for (const args of step.rows) changed += statement.run(...args).changes;
      return changed;
    }),
  ).immediate();
}

/** The same pragmas as the store's own connection (see sqlite.ts). */
const PRAGMAS = ['busy_timeout = 5000', 'synchronous = NORMAL', 'wal_autocheckpoint = 5000'];

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const runSteps = ${runSteps.toString()};
const db = new Database(workerData.file, { fileMustExist: true });
for (const p of workerData.pragmas) db.pragma(p);
const statements = new Map();
parentPort.on('message', ({ id, steps }) => {
  if (steps === 'close') {
    db.close();
    parentPort.postMessage({ id, result: [] });
    return;
  }
  try {
    parentPort.postMessage({ id, result: runSteps(db, statements, steps) });
  } catch (err) {
    parentPort.postMessage({ id, error: { name: err && err.name, message: String(err && err.message), code: err && err.code } });
  }
});
`;

/** Writes in place, on the caller's connection (a store in memory). */
export function inPlaceWriter(db: BetterSqlite3.Database): SqliteWriter {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    async run(steps) {
      return runSteps(db, statements, steps);
    },
    async close() {},
  };
}

/** Writes in a worker thread on a connection of its own to `file` (which must exist). */
export function threadWriter(file: string): SqliteWriter {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, pragmas: PRAGMAS } });
  // An idle writer does not keep the process alive.
  worker.unref();
  let next = 0;
  const waiting = new Map<number, { resolve: (r: number[]) => void; reject: (e: Error) => void }>();
  let failed: Error | undefined;
  const fail = (err: Error) => {
    failed ??= err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', ({ id, result, error }: { id: number; result?: number[]; error?: { name?: string; message: string; code?: string } }) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (waiting.size === 0) worker.unref();
    if (!w) return;
    if (error) w.reject(Object.assign(new Error(error.message), { name: error.name ?? 'Error', code: error.code }));
    else w.resolve(result!);
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`the context store's writer thread ended (exit code ${code})`)));
  const send = (steps: WriteStep[] | 'close') =>
    new Promise<number[]>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = next++;
      waiting.set(id, { resolve, reject });
      // Waiting for an answer keeps the process alive, as a write on the main thread would.
      worker.ref();
      worker.postMessage({ id, steps });
    });
  return {
    run: (steps) => send(steps),
    async close() {
      if (failed) return;
      await send('close');
      await worker.terminate();
    },
  };
}
