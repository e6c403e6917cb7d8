import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs a TypeScript entry point in its own Node process and waits for the URL it prints. */
export async function startChild(script: string, args: string[], urlFrom: 'stdout' | 'stderr' = 'stdout'): Promise<Child> {
  const loader = /\.m?js$/.test(script) ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', urlFrom === 'stderr' ? 'pipe' : 'inherit'] });
  const stream = urlFrom === 'stderr' ? child.stderr! : child.stdout!;
  // Whatever else the child prints is read and dropped, so its pipe never fills.
  if (urlFrom === 'stderr') child.stdout!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        stream.off('data', onData);
        stream.resume();
        resolve(m[1]!);
      }
    };
    stream.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before printing its URL:\n${out}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The sandbox in a process of its own, with `records` contacts (its default count without) and fault rules if any. */
export function startSandboxChild(records?: number, faults: unknown[] = []): Promise<Child> {
  return startChild('bin/intercom-connector.js', [
    'sandbox',
    '--port',
    '0',
    ...(records === undefined ? [] : ['--records', String(records)]),
    ...(faults.length ? ['--faults', JSON.stringify(faults)] : []),
  ]);
}

/**
 * Runs a script to completion in a fresh Node process (TypeScript through tsx, `.mjs` as
 * plain Node) and parses the JSON it prints last.
 */
export async function runChild<T>(script: string, args: string[]): Promise<T> {
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}:\n${out}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}
