import { setFlagsFromString } from 'node:v8';

/**
 * Tunes V8 for a command that ends within a second (execute, list, describe). undici parses
 * HTTP with a WebAssembly build of llhttp; after a few responses V8 starts optimising its
 * large parser function on a background thread, and a process that is done waits for that
 * work before it exits: ~85 ms of a ~300 ms `execute`. A higher tier-up budget keeps a short
 * run on the baseline compiler; a long `--all` export still tiers up, a few MB in.
 * Long-running hosts (serve, mcp) do not call this.
 */
export function tuneForShortRun(): void {
  setFlagsFromString('--wasm-tiering-budget=180000000');
}
