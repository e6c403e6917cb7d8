import type { Readable, Writable } from 'node:stream';
import { INTERNAL_ERROR, INVALID_REQUEST, isJsonRpcMessage, isRequest, PARSE_ERROR, type JsonRpcId, type JsonRpcMessage, type JsonRpcTransport } from './jsonrpc.js';

export interface GuardedStdioOptions {
  /** Longest line (one message) read, in bytes (default 4 MiB); a longer one is answered, not fatal. */
  maxLineBytes?: number;
  /** Longest line written (default 1 MiB): a bigger answer becomes an error that says so. */
  maxAnswerBytes?: number;
}

/**
 * MCP over stdio, as JSON-RPC 2.0 asks of a server that meets bad input: a line that is not
 * JSON gets -32700, a batch or an ill-formed message -32600, a call before `initialize` is
 * refused, a line over the limit is dropped with an answer, and an answer over the limit is
 * replaced by an error. Nothing a client sends ends the server; only the end of stdin does.
 */
export class GuardedStdioTransport implements JsonRpcTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JsonRpcMessage) => void;

  readonly #in: Readable;
  readonly #out: Writable;
  readonly #maxLine: number;
  readonly #maxAnswer: number;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes of an over-long line are being skipped until its end. */
  #skipping = false;
  #initialized = false;
  #closed = false;

  constructor(input: Readable, output: Writable, options: GuardedStdioOptions = {}) {
    this.#in = input;
    this.#out = output;
    this.#maxLine = options.maxLineBytes ?? 4 * 1024 * 1024;
    this.#maxAnswer = options.maxAnswerBytes ?? 1024 * 1024;
  }

  readonly #ondata = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, nl));
      this.#line();
      start = nl + 1;
    }
    this.#take(chunk.subarray(start));
  };
  readonly #onerror = (error: Error) => this.onerror?.(error);

  async start(): Promise<void> {
    this.#in.on('data', this.#ondata);
    this.#in.on('error', this.#onerror);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.off('data', this.#ondata);
    this.#in.off('error', this.#onerror);
    this.#chunks = [];
    this.onclose?.();
  }

  send(message: JsonRpcMessage): Promise<void> {
    let text = JSON.stringify(message);
    if (Buffer.byteLength(text) > this.#maxAnswer) {
      const id = 'id' in message && JSON.stringify(message.id).length <= 200 ? message.id : null;
      text = JSON.stringify({
        jsonrpc: '2.0',
        id,
        error: { code: INTERNAL_ERROR, message: `The answer would be ${Buffer.byteLength(text)} bytes, over this server's limit of ${this.#maxAnswer}; ask for less.` },
      });
    }
    return new Promise((resolve) => {
      if (this.#out.write(`${text}\n`)) resolve();
      else this.#out.once('drain', () => resolve());
    });
  }

  #take(part: Buffer): void {
    if (this.#skipping || part.length === 0) return;
    this.#size += part.length;
    if (this.#size > this.#maxLine) {
      this.#skipping = true;
      this.#chunks = [];
      return;
    }
    this.#chunks.push(part);
  }

  #line(): void {
    if (this.#skipping) {
      this.#skipping = false;
      this.#size = 0;
      void this.#reply(null, INVALID_REQUEST, `A message over ${this.#maxLine} bytes was dropped.`);
      return;
    }
    const text = Buffer.concat(this.#chunks, this.#size).toString('utf8').replace(/\r$/, '');
    this.#chunks = [];
    this.#size = 0;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      void this.#reply(null, PARSE_ERROR, `Parse error: ${(err as Error).message.slice(0, 200)}`);
      return;
    }
    if (Array.isArray(value)) {
      void this.#reply(null, INVALID_REQUEST, 'Batches are not supported: send one message per line.');
      return;
    }
    if (!isJsonRpcMessage(value)) {
      void this.#reply(idOf(value), INVALID_REQUEST, 'Invalid request: not a JSON-RPC 2.0 message (jsonrpc "2.0" and a method, or a result or error with an id).');
      return;
    }
    const message = value;
    if (isRequest(message)) {
      if (message.method === 'initialize') this.#initialized = true;
      else if (!this.#initialized && message.method !== 'ping') {
        void this.#reply(message.id, INVALID_REQUEST, `"${message.method.slice(0, 100)}" before initialize: initialize the session first.`);
        return;
      }
    }
    this.onmessage?.(message);
  }

  #reply(id: JsonRpcId | null, code: number, message: string): Promise<void> {
    return this.send({ jsonrpc: '2.0', id, error: { code, message } });
  }
}

/** The id of a message that may be ill-formed: only a short string or a number is echoed. */
function idOf(value: unknown): JsonRpcId | null {
  const id = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'string' && id.length <= 200) return id;
  return null;
}
