/**
 * An MCP server over any connector manifest: tools/list announces one tool per operation
 * (see tools.ts), tools/call runs it through the runtime and answers with JSON an agent can
 * read, kept under an output budget, or with an error that says what to do.
 */
import {
  AuthenticationError,
  ConfigurationError,
  isConnectorError,
  NetworkError,
  NotFoundError,
  ParameterError,
  PermissionError,
  RateLimitError,
  ServerError,
  TimeoutError,
  UnknownOperationError,
} from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
import { createRedactor, type Redactor } from '../redact.js';
import { resolveCredentials } from '../auth/env.js';
import { didYouMean } from '../suggest.js';
import { WHOLE_RECORD } from '../response/project.js';
import { estimateRecordBytes, pageSizeFor, recordsThatFit, RecordSizes } from './budget.js';
import { buildTools, describeParams, type OperationTool, type ToolOptions } from './tools.js';
import { buildStoreTools, storeToolCaller } from './store-tools.js';
import { storeReader } from '../store/open.js';

import { McpSession } from './session.js';

/**
 * Largest text of one tool result: what an agent reads costs its context. List pages are
 * sized to fit before they are fetched; a whole record larger than this is cut.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 16_000;
/** Below this, not even an error message with its advice fits. */
export const MIN_MAX_OUTPUT_BYTES = 1_000;

export interface McpServerOptions {
  manifest: Manifest;
  /** Options of the runtime the tools call through (its `manifest` is set to the one above). */
  runtimeOptions?: RuntimeOptions;
  /**
   * Why no runtime can be made (e.g. a missing credential). Tools are still listed; every
   * call answers with this error and how to fix it.
   */
  setupError?: Error;
  /** Largest text of one tool result, in UTF-8 bytes (default 16 000). */
  maxOutputBytes?: number;
  /**
   * Serve the tools that write upstream (POST, PUT, PATCH, DELETE that are not declared
   * idempotent searches). Default false: they are not listed, and a call to one is refused.
   */
  allowWrites?: boolean;
  tools?: ToolOptions;
  /**
   * A context store `sync` keeps (a location: `sqlite:<file>` or a postgres:// URL): adds a
   * read-only `<entity>_store_search` tool per synced entity.
   */
  store?: string;
  /** Diagnostics (one line each); never the protocol stream. */
  log?: (line: string) => void;
}

interface ListOutput {
  records: unknown[];
  next_page: string | null;
  total_count?: number;
  record_truncated?: string;
  note?: string;
}

interface GetOutput {
  record?: unknown;
  record_truncated?: string;
  note?: string;
}

type Output = ListOutput | GetOutput;
type Params = Record<string, unknown>;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** What one tool call answers (MCP's CallToolResult, text content only). */
export interface CallToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * Creates the MCP server of a connector; connect it to a transport (e.g. GuardedStdioTransport).
 * The runtime is created on the first tool call.
 *
 * @example
 * const server = createMcpServer({ manifest });
 * await server.connect(new GuardedStdioTransport(process.stdin, process.stdout));
 */
export function createMcpServer(options: McpServerOptions): McpSession {
  const caller = new ToolCaller(options);
  const storeTools = options.store ? buildStoreTools(options.manifest) : [];
  const reader = options.store ? storeReader(options.store) : undefined;
  const stored = storeToolCaller(storeTools, () => reader!.get(), caller);
  const base = instructions(options.manifest, caller);
  return new McpSession({
    info: { name: options.manifest.connector.name, version: options.manifest.connector.version },
    instructions: storeTools.length
      ? `${base} The *_store_search tools read a local copy that sync keeps (no request upstream); their answers say how fresh they are.`
      : base,
    tools: [...caller.tools.map((t) => t.definition), ...storeTools.map((t) => t.definition)],
    call: (name, args, signal) => (stored.has(name) ? stored.call(name, args ?? {}) : caller.call(name, args, signal)),
    release: async () => {
      await caller.close();
      await reader?.close();
    },
  });
}

/** What the server tells the model once: what the tools are, how lists page, what records hold. */
function instructions(manifest: Manifest, caller: ToolCaller): string {
  const { connector } = manifest;
  const served = caller.tools;
  const parts = [`${connector.title ?? connector.name}${connector.description ? `: ${connector.description}` : ''}`];
  if (served.every((t) => t.access === 'read')) {
    const hidden = caller.hiddenWrites.length;
    parts.push(`Every tool is read-only.${hidden ? ` (${hidden} tool${hidden === 1 ? '' : 's'} that write${hidden === 1 ? 's' : ''} are not served: the server was started without --allow-writes.)` : ''}`);
  } else parts.push('Some tools write (their annotations say readOnlyHint: false): call them only when the user asked for that change.');
  // The cursor parameter is the manifest's own: name it, or them.
  const cursors = [...new Set(served.filter((t) => t.list && t.cursorParam).map((t) => t.cursorParam!))];
  if (cursors.length === 1) parts.push(`List tools are paginated: while next_page is not null, call the same tool again with ${cursors[0]} set to next_page.`);
  else if (cursors.length > 1) parts.push(`List tools are paginated: while next_page is not null, call the same tool again with next_page in its cursor parameter (${cursors.join(' or ')}, as its description says).`);
  parts.push(
    `Records come with a compact set of fields by default; ask for others with the fields argument (dotted paths such as "custom_attributes.plan"), or ["*"] for whole records. ` +
      `Each answer is kept under ${caller.budget} bytes: a list page holds as many records as fit, and next_page goes on from there.`,
  );
  return parts.join(' ');
}

/** Runs tool calls: the runtime, the output budget, the error messages and the redaction. */
export class ToolCaller {
  /** The tools served: every read, and the writes when allowed. */
  readonly tools: OperationTool[];
  /** Write tools that are not served (without allowWrites). */
  readonly hiddenWrites: OperationTool[];
  readonly #byName: Map<string, OperationTool>;
  readonly #hidden: Map<string, OperationTool>;
  readonly #options: McpServerOptions;
  readonly #budget: number;
  readonly #redact: Redactor;
  /** Measured record sizes, per tool and selection, for choosing the next page size. */
  readonly #sizes = new RecordSizes();
  #runtime: Promise<Runtime> | undefined;

  constructor(options: McpServerOptions) {
    this.#options = options;
    const all = buildTools(options.manifest, options.tools);
    this.tools = options.allowWrites ? all : all.filter((t) => t.access === 'read');
    this.hiddenWrites = options.allowWrites ? [] : all.filter((t) => t.access === 'write');
    this.#byName = new Map(this.tools.map((t) => [t.definition.name, t]));
    this.#hidden = new Map(this.hiddenWrites.map((t) => [t.definition.name, t]));
    this.#budget = Math.max(MIN_MAX_OUTPUT_BYTES, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
    // Every credential, in the forms it travels in, is removed from anything returned.
    const manifest = options.manifest;
    // 'env' is read here too, or a missing variable would only show on the first call.
    let given: Record<string, string> = {};
    try {
      given = resolveCredentials(manifest, options.runtimeOptions?.credentials, process.env);
    } catch {
      // The runtime reports it on each call.
    }
    const credentials = Object.entries(given);
    this.#redact = createRedactor(credentials.filter(([n]) => manifest.auth.credentials[n]?.secret !== false).map(([, v]) => v));
  }

  /** Largest text of one result, in UTF-8 bytes. */
  get budget(): number {
    return this.#budget;
  }

  /** Another family of tools' answer (the store tools'), redacted as every answer is; `text` is its JSON. */
  answer(out: Record<string, unknown>, text: string): CallToolResult {
    return this.#ok(out as Output, text);
  }

  /** Another family of tools' error, redacted and kept to the budget as every error is. */
  refusal(message: string): CallToolResult {
    return this.#error(message);
  }

  async call(name: string, args: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<CallToolResult> {
    const started = Date.now();
    const tool = this.#byName.get(name);
    const hidden = this.#hidden.get(name);
    let result: CallToolResult;
    if (hidden) {
      result = this.#error(
        `Error [WRITE_NOT_ALLOWED]: ${name} writes (${hidden.request}), and this MCP server serves only tools that read: it was started without --allow-writes. ` +
          'Nothing was sent. If the user wants this change made, ask them to add --allow-writes to the server\'s arguments (in the client\'s configuration) and restart it.',
      );
    } else if (!tool) {
      result = this.#error(
        `Error [UNKNOWN_TOOL]: there is no tool "${name}".${didYouMean(name, this.#byName.keys())} Available tools: ${[...this.#byName.keys()].join(', ')}.`,
      );
    } else {
      try {
        result = await this.#run(tool, withoutNulls(args ?? {}), signal);
      } catch (err) {
        result = this.#error(this.#explain(err, tool));
      }
    }
    const code = result.isError ? /^Error \[([A-Z_]+)\]/.exec(String((result.content[0] as { text?: string }).text))?.[1] ?? 'ERROR' : 'ok';
    this.#options.log?.(`${name}: ${code} in ${Date.now() - started} ms`);
    return result;
  }

  async close(): Promise<void> {
    const runtime = this.#runtime;
    this.#runtime = undefined;
    if (runtime) await (await runtime.catch(() => undefined))?.close();
  }

  #getRuntime(): Promise<Runtime> {
    if (this.#options.setupError) return Promise.reject(this.#options.setupError);
    if (!this.#runtime) {
      const pending = createRuntime({ ...this.#options.runtimeOptions, manifest: this.#options.manifest });
      this.#runtime = pending;
      // A failure is not kept: the next call tries again.
      pending.catch(() => {
        if (this.#runtime === pending) this.#runtime = undefined;
      });
    }
    return this.#runtime;
  }

  async #run(tool: OperationTool, args: Params, signal: AbortSignal | undefined): Promise<CallToolResult> {
    const runtime = await this.#getRuntime();
    const { [tool.fieldsArg]: asked, ...params } = args;
    // Agents sometimes send a list as one comma-separated string.
    const fields = asked === undefined ? tool.defaultFields : typeof asked === 'string' ? asked.split(',').map((f) => f.trim()) : (asked as string[]);
    const execute = (p: Params) => runtime.execute({ entity: tool.entity, action: tool.action, params: p, signal, fields });
    if (!tool.list) {
      const { data } = await execute(params);
      const out: GetOutput = { record: data };
      const text = JSON.stringify(out);
      if (bytes(text) <= this.#budget) return this.#ok(out, text);
      return this.#ok(
        ...this.#truncated(
          {},
          data,
          `The record is larger than this server's output budget of ${this.#budget} bytes: record_truncated holds the beginning of its JSON text (not parseable on its own).${fields && !fields.includes(WHOLE_RECORD) ? '' : ' Ask for fewer fields with the fields argument.'}`,
        ),
      );
    }

    // The page size is chosen before the request, so that one request answers the call.
    const sizeKey = `${tool.definition.name}\u0000${JSON.stringify(fields ?? null)}`;
    const sized = this.#sized(tool, params, fields, sizeKey);
    let first: Awaited<ReturnType<typeof execute>>;
    try {
      first = await execute(sized.params);
    } catch (err) {
      // A cursor bound to its page size (page numbers) keeps the size it was issued for; nothing was sent.
      if (!(sized.chosen !== undefined && err instanceof ParameterError && err.param === tool.pageSizeParam)) throw err;
      sized.chosen = undefined;
      first = await execute(params);
    }
    const records = first.data as unknown[];
    this.#sizes.observe(sizeKey, records);
    const full = listOutput(records, first.meta);
    if (sized.lowered !== undefined && sized.chosen !== undefined && first.meta?.next_page) {
      full.note =
        `This page holds ${records.length} records, not the ${sized.lowered} asked for: that many would exceed this server's output budget of ${this.#budget} bytes, ` +
        `so it was fetched with ${tool.pageSizeParam}=${sized.chosen}. next_page continues right after its last record; nothing is skipped.`;
    }
    const fullText = JSON.stringify(full);
    const fullBytes = bytes(fullText);
    if (fullBytes <= this.#budget) return this.#ok(full, fullText);
    if (first.meta?.once) {
      // A scroll's batch: fetching it again (smaller) would get the next batch, and cutting it
      // would lose records for good. Losing nothing wins over the budget here.
      full.note =
        `This page comes from a scroll the API serves only once: it can be neither fetched again in smaller pages nor cut without losing records, ` +
        `so it is returned whole (${fullBytes} bytes, over this server's output budget of ${this.#budget} bytes). Ask for fewer fields to make these pages smaller.`;
      return this.#ok(full, JSON.stringify(full));
    }

    // Too big after all (these records are larger than the ones measured before, or the list
    // cannot be sized). Fetch the same page again with a smaller page size, so that next_page
    // stays the API's own cursor and no record is skipped: a second request, the exception.
    if (tool.cursorParam && tool.pageSizeParam && records.length > 1) {
      const sizeParam = tool.pageSizeParam;
      const minSize = Math.max(1, tool.params[sizeParam]?.minimum ?? 1);
      let page = { records, meta: first.meta };
      let size = Math.max(minSize, Math.min(records.length - 1, this.#fitting(records, first.meta)));
      for (let attempt = 0; attempt < 5; attempt++) {
        let again: Awaited<ReturnType<typeof execute>>;
        try {
          again = await execute({ ...params, [sizeParam]: size });
        } catch (err) {
          // A cursor bound to its page size (page numbers) cannot change size mid-list.
          if (err instanceof ParameterError && err.param === sizeParam) return this.#cut(records, first.meta, tool, true);
          throw err;
        }
        page = { records: again.data as unknown[], meta: again.meta };
        const out = listOutput(page.records, page.meta);
        out.note =
          `This page holds ${page.records.length} of the ${records.length} records first asked for: the full page (${fullBytes} bytes) exceeded this server's output budget of ${this.#budget} bytes, ` +
          `so it was fetched again with ${sizeParam}=${size}. next_page continues right after its last record; nothing is skipped. ` +
          `To continue, pass ${tool.cursorParam}=next_page with ${sizeParam}=${size} to keep results within the budget.`;
        const text = JSON.stringify(out);
        if (bytes(text) <= this.#budget) return this.#ok(out, text);
        if (size <= minSize) break;
        size = Math.max(minSize, Math.min(size - 1, this.#fitting(page.records, page.meta)));
      }
      if (page.records.length === 1) {
        const rest = listOutput([], page.meta);
        return this.#ok(
          ...this.#truncated(
            rest,
            page.records[0],
            `This page was fetched with ${sizeParam}=${size}, and its only record is larger than this server's output budget of ${this.#budget} bytes: ` +
              `record_truncated holds the beginning of its JSON text (not parseable on its own). next_page continues right after it.`,
          ),
        );
      }
      // The API ignored the smaller page size: cut the page below.
      return this.#cut(page.records, page.meta, tool, false);
    }
    if (records.length === 1) {
      return this.#ok(
        ...this.#truncated(
          listOutput([], first.meta),
          records[0],
          `The only record of this page is larger than this server's output budget of ${this.#budget} bytes: record_truncated holds the beginning of its JSON text (not parseable on its own). next_page continues right after it.`,
        ),
      );
    }
    return this.#cut(records, first.meta, tool, !(tool.cursorParam && tool.pageSizeParam));
  }

  /**
   * The params of a list call with the page size that fits the budget: the caller's when it
   * fits (`lowered` says what they asked when it did not), else one chosen from this tool's
   * measured record size, or before any measurement from the record schema.
   */
  #sized(tool: OperationTool, params: Params, fields: readonly string[] | undefined, key: string): { params: Params; chosen?: number; lowered?: number } {
    const sizeParam = tool.pageSizeParam;
    if (!sizeParam || !tool.cursorParam) return { params };
    const limits = tool.params[sizeParam];
    const measured = this.#sizes.average(key);
    const record = this.#options.manifest.entities[tool.entity]?.actions[tool.action]?.record;
    const perRecord = measured ?? estimateRecordBytes(record, fields?.includes(WHOLE_RECORD) ? undefined : fields, this.#options.manifest.schemas);
    const fit = pageSizeFor({ budget: this.#budget, perRecord, measured: measured !== undefined, minimum: limits?.minimum, maximum: limits?.maximum });
    const asked = params[sizeParam];
    if (asked === undefined) return { params: { ...params, [sizeParam]: fit }, chosen: fit };
    if (Number.isInteger(asked) && (asked as number) > fit) return { params: { ...params, [sizeParam]: fit }, chosen: fit, lowered: asked as number };
    return { params };
  }

  /** Whole records from the start of the page, as many as fit; for lists that cannot be fetched in smaller pages. */
  #cut(records: unknown[], meta: Meta, tool: OperationTool, noSmallerPages: boolean): CallToolResult {
    const keep = this.#fitting(records, meta);
    const left = records.length - keep;
    const how = noSmallerPages ? 'this list cannot be fetched in smaller pages' : 'even a smaller page did not fit';
    const skipped =
      meta?.next_page && tool.cursorParam
        ? ` next_page continues after the whole page, so those ${left} records are skipped by paging.`
        : '';
    const note = `${left} of ${records.length} records were left out to stay within this server's output budget of ${this.#budget} bytes (${how}).${skipped} Ask the user to raise the server's output budget to see them all.`;
    const attempt = (n: number): [ListOutput, string] | undefined => {
      const out = listOutput(records.slice(0, n), meta);
      out.note = note.replace(`${left} of`, `${records.length - n} of`);
      const text = JSON.stringify(out);
      return bytes(text) <= this.#budget ? [out, text] : undefined;
    };
    // The estimate keeps room for the note; settle on the largest count that really fits.
    let best: [ListOutput, string] | undefined;
    for (let n = Math.max(1, keep); n < records.length; n++) {
      const fit = attempt(n);
      if (!fit) break;
      best = fit;
    }
    for (let n = Math.max(1, keep) - 1; !best && n >= 1; n--) best = attempt(n);
    if (best) return this.#ok(...best);
    return this.#ok(
      ...this.#truncated(listOutput([], meta), records[0], `${note} record_truncated holds the beginning of the first record's JSON text (not parseable on its own).`),
    );
  }

  /** How many leading records fit in the budget, leaving room for the envelope and a note. */
  #fitting(records: unknown[], meta: Meta): number {
    return recordsThatFit(records, listOutput([], meta), this.#budget);
  }

  /** `out` plus the beginning of `value`'s JSON as a string field, the longest prefix that fits. */
  #truncated<T extends Output>(out: T, value: unknown, note: string): [T, string] {
    const json = JSON.stringify(value) ?? 'null';
    const make = (n: number) => {
      const o = { ...out, record_truncated: json.slice(0, n), note: `${note} It was cut after ${n} of ${json.length} characters.` };
      return [o, JSON.stringify(o)] as [T, string];
    };
    let lo = 0;
    let hi = json.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (bytes(make(mid)[1]) <= this.#budget) lo = mid;
      else hi = mid - 1;
    }
    return make(lo);
  }

  #ok(out: Output, text: string): CallToolResult {
    const clean = this.#redact(text);
    let structured = out as Record<string, unknown>;
    if (clean !== text) {
      try {
        structured = JSON.parse(clean) as Record<string, unknown>;
      } catch {
        structured = {};
      }
    }
    return { content: [{ type: 'text', text: clean }], structuredContent: structured };
  }

  #error(message: string): CallToolResult {
    let text = this.#redact(message);
    // An error is an answer too: it keeps to the budget whatever the caller sent.
    if (bytes(text) > this.#budget) text = `${Buffer.from(text).subarray(0, this.#budget - 200).toString('utf8').replace(/\uFFFD$/, '')}… (cut: the full message was ${bytes(text)} bytes, over this server's budget of ${this.#budget})`;
    return { content: [{ type: 'text', text }], isError: true };
  }

  /** An error as a message that names the problem and what to do about it. */
  #explain(err: unknown, tool: OperationTool): string {
    if (!isConnectorError(err)) return `Error [INTERNAL]: ${err instanceof Error ? err.message : String(err)}`;
    const head = `Error [${err.code}]: ${err.message}`;
    const envs = credentialEnvs(this.#options.manifest);
    // A field selection's message already lists the fields there are.
    if (err instanceof ParameterError) return err.param === 'fields' ? head : `${head} ${tool.definition.name} takes: ${describeParams(tool.params)}.`;
    if (err instanceof ConfigurationError) {
      return envs.length
        ? `${head} Set ${envs.join(' and ')} in the environment of this MCP server (the "env" of its entry in the client's configuration) and restart it.`
        : `${head} Fix the configuration of this MCP server and restart it.`;
    }
    if (err instanceof AuthenticationError) {
      const where = envs.length ? `the ${envs.join(' / ')} environment variable of this MCP server` : "this MCP server's credential";
      return `${head} Check the token in ${where}: it is missing a part, wrong, expired or revoked. Fix it and restart the server.`;
    }
    if (err instanceof PermissionError) return head;
    if (err instanceof NotFoundError) {
      const lister = [...this.#byName.values()].find((t) => t.entity === tool.entity && t.list && t !== tool);
      return `${head}${lister ? ` ${lister.definition.name} lists the records that exist.` : ''}`;
    }
    if (err instanceof RateLimitError) {
      const when = err.resetAt
        ? `Retry after ${err.resetAt.toISOString()} (in about ${Math.max(0, Math.ceil((err.resetAt.getTime() - Date.now()) / 1000))} s).`
        : 'Retry in about a minute.';
      return `${head} ${when}`;
    }
    if (err instanceof TimeoutError || err instanceof NetworkError || err instanceof ServerError) {
      return `${head} This is likely temporary: retry the same call in a little while.`;
    }
    if (err instanceof UnknownOperationError) return `${head} Available tools: ${[...this.#byName.keys()].join(', ')}.`;
    if (err.resumeCursor && tool.cursorParam) return `${head} Continue with ${tool.cursorParam}=${JSON.stringify(err.resumeCursor)}.`;
    return head;
  }
}

type Meta = { next_page: string | null; total_count?: number } | undefined;

function listOutput(records: unknown[], meta: Meta): ListOutput {
  const out: ListOutput = { records, next_page: meta?.next_page ?? null };
  if (meta?.total_count !== undefined) out.total_count = meta.total_count;
  return out;
}

/** Agents often send null for an argument they mean to leave out. */
function withoutNulls(args: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(args)) if (v !== null) out[k] = v;
  return out;
}

/** The environment variables the manifest reads its credentials from. */
function credentialEnvs(manifest: Manifest): string[] {
  return Object.values(manifest.auth.credentials)
    .map((c) => c.env)
    .filter((e): e is string => typeof e === 'string' && e !== '');
}
