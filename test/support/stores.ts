// The context store engines every store suite runs against: SQLite in a temporary file, and
// PostgreSQL over its real wire protocol (PGlite behind pglite-socket on loopback, one server
// per store, started here).
import { startPostgres, type RunningPostgres } from './postgres.js';

export interface StoreEngine {
  name: string;
  /** A fresh, empty store's location (`sqlite:<file>` or a postgres:// URL). */
  location(dir: string, name: string): Promise<string>;
  stop?(): Promise<void>;
}

export function storeEngines(): StoreEngine[] {
  const servers: RunningPostgres[] = [];
  return [
    { name: 'SQLite', location: async (dir, name) => `sqlite:${dir}/${name}.db` },
    {
      name: 'PostgreSQL',
      async location() {
        const pg = await startPostgres();
        servers.push(pg);
        return pg.url;
      },
      async stop() {
        await Promise.all(servers.map((s) => s.close()));
      },
    },
  ];
}
