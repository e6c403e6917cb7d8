import { ConfigurationError } from '../errors.js';
import type { ContextStore } from './types.js';
import { redactUrl } from './open.js';

/** The PostgreSQL engine of the context store: being written (see src/store/types.ts). */
export async function openPostgresContextStore(url: string): Promise<ContextStore> {
  throw new ConfigurationError(`The PostgreSQL context store is not available in this build (${redactUrl(url)}); use sqlite:<file>.`);
}
