import { UsageError } from './command.js';

/** The flags a server command takes its address from, for messages. */
export interface ListenFlags {
  port?: string;
  host?: string;
}

/**
 * A port flag's value: a whole number from 0 (any free port) to 65535, or `fallback` when the
 * flag was not given. Checked before listening, so a wrong value is a usage error that names
 * the flag, not a RangeError from deep inside node:net.
 *
 * @example
 * const port = parsePort(values.port, 8080); // '--port abc' -> UsageError
 */
export function parsePort(raw: unknown, fallback: number, flag = '--port'): number {
  if (raw === undefined) return fallback;
  const port = typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`${flag} must be a whole number from 0 to 65535 (0: any free port), got ${JSON.stringify(String(raw).slice(0, 40))}.`);
  }
  return port;
}

/**
 * What a failed `listen` means for the person who started the server: a UsageError naming the
 * address and the flag to change (exit code 2, one line, no stack). Any other error is
 * returned as it is.
 *
 * @example
 * try { await startServer({ port, host }) } catch (err) { throw listenError(err, { port, host }) }
 */
export function listenError(err: unknown, at: { port: number; host: string }, flags: ListenFlags = {}): unknown {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  const portFlag = flags.port ?? '--port';
  const hostFlag = flags.host ?? '--host';
  const where = `port ${at.port} on ${at.host}`;
  const other = `pick another with ${portFlag}, or ${portFlag} 0 for any free port.`;
  if (code === 'EADDRINUSE') return new UsageError(`${where} is already in use (another server is listening there); ${other}`);
  if (code === 'EACCES' && syscall === 'listen') {
    return new UsageError(`${where} needs privileges this process does not have (ports below 1024 usually do); ${other}`);
  }
  if (code === 'EADDRNOTAVAIL') {
    return new UsageError(`${at.host} is not an address of this machine, so nothing can listen there; pass ${hostFlag} 127.0.0.1 (this machine only) or ${hostFlag} 0.0.0.0 (every interface).`);
  }
  if ((code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') && syscall === 'getaddrinfo') {
    return new UsageError(`the host ${JSON.stringify(at.host)} does not resolve to an address; pass ${hostFlag} with an address such as 127.0.0.1 or 0.0.0.0.`);
  }
  if (code === 'ERR_SOCKET_BAD_PORT') return new UsageError(`${portFlag} must be a whole number from 0 to 65535 (0: any free port), got ${at.port}.`);
  return err;
}
