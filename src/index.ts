export { createRuntime, DEFAULT_MANIFEST } from './runtime.js';
export type { ExecuteRequest, Runtime, RuntimeOptions } from './runtime.js';
export type * from './operations.js';
export { loadManifest, parseManifest } from './manifest/load.js';
export type { LoadLimits } from './manifest/load.js';
export type * from './manifest/types.js';
export * from './errors.js';
export { createClient } from './client.js';
export type { ClientBase } from './client.js';
