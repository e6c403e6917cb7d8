/**
 * What every host command (the CLI's own, serve, mcp, a vendor's sandbox) is made of. The
 * CLI dispatches to host commands; hosts share this layer, not each other's internals.
 */

/** Parsed flags of one command. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A mistake in the command line itself: unknown command or flag, a malformed value. */
export class UsageError extends Error {}

/** Streams and environment of one run; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Fires on Ctrl-C. */
  interrupt: AbortSignal;
}

/** A command a host adds to the engine's own (e.g. a vendor's sandbox). */
export interface HostCommand {
  summary: string;
  usage: string;
  /** Flags the command takes, as node:util parseArgs options. */
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run(args: { values: Values; positionals: string[]; io: CliIo; config: CliConfig }): Promise<number>;
}

export interface CliConfig {
  /** The binary's name, for help and messages. */
  name: string;
  /** The manifest to run when --manifest is not given (a path). */
  defaultManifest: string;
  /** Loads the default manifest (e.g. from its compiled form); defaults to loadManifest. */
  loadDefault?: () => Promise<import('../manifest/types.js').Manifest>;
  version: string;
  commands?: Record<string, HostCommand>;
}
