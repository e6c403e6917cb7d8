// The `intercom-connector` command line, run in this process through the entry the binary
// uses (sandbox/commands.ts main), with captured output and an explicit environment: a
// case costs a function call instead of a Node start. What only a real process has (stdin,
// signals, the exit code the OS sees, the --version fast path) stays with the binary: see
// runBinary.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/main.js';
import { main } from '../../sandbox/commands.js';

export const BIN = fileURLToPath(new URL('../../bin/intercom-connector.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it; not a TTY, like a pipe. */
export class Captured extends Writable {
  text = '';
  constructor() {
    super({ decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    done();
  }
}

export interface InProcessOptions {
  /** The whole environment the command sees: nothing is inherited from this process. */
  env?: Record<string, string | undefined>;
  /** Aborting it is the in-process Ctrl-C. */
  interrupt?: AbortSignal;
}

/** Runs the command line in this process; resolves when it returns its exit code. */
export async function runCli(args: string[], options: InProcessOptions = {}): Promise<Run> {
  const stdout = new Captured();
  const stderr = new Captured();
  const io: CliIo = {
    stdout,
    // Only isTTY is read off stderr (for the progress line), and a Captured has none.
    stderr: stderr as unknown as NodeJS.WriteStream,
    env: { ...options.env },
    interrupt: options.interrupt ?? new AbortController().signal,
  };
  const code = await main(args, VERSION, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * Runs the real binary with stdout and stderr piped (so neither is a TTY), `input` on its
 * stdin when given. The environment is this process's without the token and DEBUG, plus `env`.
 */
export function runBinary(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, INTERCOM_ACCESS_TOKEN: undefined, DEBUG: undefined, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}
