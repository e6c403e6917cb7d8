/**
 * The MCP server side of one session: the handful of methods a tools-only server answers
 * (initialize, ping, tools/list, tools/call) and cancellation, over any JSON-RPC transport.
 * Small enough to own: the SDK's server would add a web framework and a schema library to
 * every install for these four methods.
 */
import {
  INTERNAL_ERROR,
  INVALID_PARAMS,
  isNotification,
  isRequest,
  METHOD_NOT_FOUND,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcTransport,
} from './jsonrpc.js';

/** Newest first: the first is offered to a client that asks for a version not listed here. */
export const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

/** The first version with tools' outputSchema and results' structuredContent. */
const STRUCTURED_SINCE = '2025-06-18';

export interface McpSessionOptions {
  info: { name: string; version: string };
  instructions?: string;
  tools: readonly object[];
  /** Runs one tool; `signal` aborts when the client cancels the call or the session closes. */
  call(name: string, args: Record<string, unknown> | undefined, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Frees what the tools hold (connections) when the session closes. */
  release?: () => Promise<void>;
}

class MethodError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One MCP session over a transport.
 *
 * @example
 * const session = new McpSession({ info, tools, call });
 * session.onclose = () => console.error('client gone');
 * await session.connect(transport);
 */
export class McpSession {
  onclose?: () => void;
  onerror?: (error: Error) => void;

  readonly #options: McpSessionOptions;
  readonly #inFlight = new Map<JsonRpcId, AbortController>();
  #transport: JsonRpcTransport | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The version agreed at initialize (the newest until then). */
  #version: string = PROTOCOL_VERSIONS[0];

  constructor(options: McpSessionOptions) {
    this.#options = options;
  }

  /** How many tools tools/list announces. */
  get toolCount(): number {
    return this.#options.tools.length;
  }

  async connect(transport: JsonRpcTransport): Promise<void> {
    if (this.#transport) throw new Error('This MCP session is already connected; create one session per transport.');
    this.#transport = transport;
    transport.onmessage = (message) => this.#receive(message);
    transport.onerror = (error) => this.onerror?.(error);
    transport.onclose = () => void this.#closeDown();
    await transport.start();
  }

  /** Ends the session: cancels calls in flight, closes the transport and releases the tools. */
  async close(): Promise<void> {
    await this.#transport?.close();
    await this.#closeDown();
  }

  #closeDown(): Promise<void> {
    return (this.#closing ??= this.#release());
  }

  async #release(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#inFlight.values()) controller.abort(new Error('The MCP session closed.'));
    this.#inFlight.clear();
    try {
      await this.#options.release?.();
    } finally {
      this.onclose?.();
    }
  }

  #receive(message: JsonRpcMessage): void {
    if (isRequest(message)) {
      void this.#answer(message);
    } else if (isNotification(message) && message.method === 'notifications/cancelled') {
      const id = message.params?.requestId;
      if (typeof id === 'string' || typeof id === 'number') this.#inFlight.get(id)?.abort(new Error('The client cancelled the call.'));
    }
    // Other notifications (initialized, progress…) and responses need nothing from a tools server.
  }

  async #answer(request: JsonRpcRequest): Promise<void> {
    const controller = new AbortController();
    // A repeated id would lose the first call's controller; JSON-RPC says ids are unique per session.
    this.#inFlight.set(request.id, controller);
    let reply: JsonRpcMessage;
    try {
      reply = { jsonrpc: '2.0', id: request.id, result: await this.#handle(request, controller.signal) };
    } catch (err) {
      const code = err instanceof MethodError ? err.code : INTERNAL_ERROR;
      const message = err instanceof Error ? err.message : String(err);
      reply = { jsonrpc: '2.0', id: request.id, error: { code, message } };
    } finally {
      if (this.#inFlight.get(request.id) === controller) this.#inFlight.delete(request.id);
    }
    // A cancelled request gets no answer (the client has forgotten it), nor does anything after close.
    if (controller.signal.aborted || this.#closed || !this.#transport) return;
    try {
      await this.#transport.send(reply);
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Whether the agreed version has outputSchema and structuredContent (dates compare as text). */
  #structured(): boolean {
    return this.#version >= STRUCTURED_SINCE;
  }

  async #handle(request: JsonRpcRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
    const params = request.params ?? {};
    switch (request.method) {
      case 'initialize': {
        const asked = params.protocolVersion;
        const protocolVersion = PROTOCOL_VERSIONS.find((v) => v === asked) ?? PROTOCOL_VERSIONS[0];
        this.#version = protocolVersion;
        const result: Record<string, unknown> = { protocolVersion, capabilities: { tools: { listChanged: false } }, serverInfo: this.#options.info };
        if (this.#options.instructions) result.instructions = this.#options.instructions;
        return result;
      }
      case 'ping':
        return {};
      case 'tools/list':
        // Every tool fits in one answer: there is no next cursor. A client of an older version
        // gets no outputSchema: it would not know it, nor expect structured results.
        if (this.#structured()) return { tools: [...this.#options.tools] };
        return { tools: this.#options.tools.map((t) => without(t as Record<string, unknown>, 'outputSchema')) };
      case 'tools/call': {
        const { name, arguments: args } = params;
        if (typeof name !== 'string') throw new MethodError(INVALID_PARAMS, 'tools/call needs params.name, the name of a tool from tools/list.');
        if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
          throw new MethodError(INVALID_PARAMS, 'tools/call takes params.arguments as an object of the tool\'s parameters.');
        }
        const result = await this.#options.call(name, args as Record<string, unknown> | undefined, signal);
        return this.#structured() ? result : without(result, 'structuredContent');
      }
      default:
        throw new MethodError(METHOD_NOT_FOUND, `Method not found: "${request.method.slice(0, 100)}". This server answers initialize, ping, tools/list and tools/call.`);
    }
  }
}

function without(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}
