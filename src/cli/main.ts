import { parseArgs } from 'node:util';
import { AbortedError, isConnectorError, ManifestError } from '../errors.js';
import { describeField, recordFields, renderParamType, renderType } from '../manifest/render-type.js';
import { pagedOf, pagingParams } from '../manifest/paging.js';
import type { Manifest } from '../manifest/types.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { createRedactor } from '../redact.js';
import { enableDebugLog } from '../transport/diagnostics.js';
import type { CliConfig, CliIo, Values } from '../host/command.js';
import { loadChosenManifest, number, runtimeOptions, tokenHint } from '../host/options.js';
import { convertParams, parseParamsJson } from './convert.js';
import { adviceFor, EXIT_CODES, EXIT_INTERRUPTED, exitCodeFor, UsageError } from './exit-codes.js';
import { recordWriter, Sink, tableColumns, type Format } from './output.js';
import { Progress } from './progress.js';
import { decodeResume, encodeResume } from './resume.js';

export type { CliConfig, CliIo, HostCommand } from '../host/command.js';

const GLOBAL_OPTIONS = {
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'base-url': { type: 'string' },
  region: { type: 'string' },
  'api-version': { type: 'string' },
  manifest: { type: 'string' },
  timeout: { type: 'string' },
  'max-retries': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const EXECUTE_OPTIONS = {
  param: { type: 'string', short: 'p', multiple: true },
  params: { type: 'string' },
  all: { type: 'boolean' },
  limit: { type: 'string' },
  format: { type: 'string' },
  'starting-after': { type: 'string' },
} as const;


/**
 * Runs the command line and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { name: 'my-connector', defaultManifest, version: '1.0.0' });
 */
export async function runCli(argv: string[], config: CliConfig, io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  const host = config.commands ?? {};
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(mainHelp(config));
      return 0;
    }
    if (command === '--version') {
      io.stdout.write(`${config.version}\n`);
      return 0;
    }
    const hostCommand = host[command];
    const builtIn = ['execute', 'list', 'describe'].includes(command);
    if (!builtIn && !hostCommand) throw new UsageError(`unknown command "${command}". Commands: ${['execute', 'list', 'describe', ...Object.keys(host)].join(', ')}.`);
    const options = command === 'execute' ? { ...GLOBAL_OPTIONS, ...EXECUTE_OPTIONS } : { ...GLOBAL_OPTIONS, ...(hostCommand?.options ?? {}) };
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
    } catch (err) {
      throw new UsageError(`${(err as Error).message.split('\n')[0]}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(commandHelp(config, command));
      return 0;
    }
    if (typeof values.token === 'string') {
      io.stderr.write(`${config.name}: warning: --token puts the token in the process list, where other users of this machine can read it; prefer the environment variable or --token-file <path> (- for stdin).\n`);
    }
    if (values.debug) enableDebugLog((line) => io.stderr.write(`${line}\n`));
    if (hostCommand) return await hostCommand.run({ values, positionals, io, config });
    const manifest = await loadChosenManifest(config, values);
    if (command === 'list') return list(manifest, io);
    if (command === 'describe') return describe(manifest, positionals, io);
    return await execute(manifest, values, positionals, io, config);
  } catch (err) {
    return report(err, io, config);
  }
}

function processIo(): CliIo {
  const controller = new AbortController();
  // The first Ctrl-C stops cleanly (and says where to resume); a second one stops at once.
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  });
  // A reader that went away (`| head`) is a normal end for a command line, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupt: controller.signal };
}

export function report(
  err: unknown,
  io: CliIo,
  config: CliConfig,
  tokenHint = 'the --token flag or the credential environment variable',
  redact: (text: string) => string = (t) => t,
): number {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 0;
  const code = exitCodeFor(err);
  // Every line goes through the redactor: a resume token or a message may carry what the API echoed.
  const write = (text: string) => io.stderr.write(redact(text));
  if (code === 1 && !(err instanceof Error)) write(`${config.name}: error: ${String(err)}\n`);
  else if (err instanceof ManifestError) write(`${config.name}: error[${err.code}]: ${err.message}\n`);
  else {
    const e = err as Error;
    const label = isConnectorError(e) ? e.code : e instanceof UsageError ? 'USAGE' : 'INTERNAL';
    // One line: the message names the problem and the fix.
    write(`${config.name}: error[${label}]: ${e.message.replace(/\s*\n\s*/g, ' ')}${adviceFor(err, tokenHint)}\n`);
    if (code === 1 && e.stack) write(`${e.stack}\n`);
  }
  return code;
}

function list(manifest: Manifest, io: CliIo): number {
  const width = Math.max(...Object.keys(manifest.entities).map((e) => e.length));
  for (const [entity, e] of Object.entries(manifest.entities)) {
    io.stdout.write(`${entity.padEnd(width)}  ${Object.keys(e.actions).join(', ')}\n`);
  }
  return 0;
}

function parseOperation(positionals: string[], manifest: Manifest): { entity: string; action: string } {
  const [first, second] = positionals;
  if (!first) throw new UsageError('name an operation, e.g. contacts.list or "contacts list".');
  const [entity, action] = second ? [first, second] : (first.split('.') as [string, string | undefined]);
  if (!action) throw new UsageError(`name the action too, e.g. ${entity}.${Object.keys(manifest.entities[entity]?.actions ?? { list: 0 })[0]}.`);
  return { entity, action };
}

function describe(manifest: Manifest, positionals: string[], io: CliIo): number {
  const { entity, action } = parseOperation(positionals, manifest);
  const e = manifest.entities[entity];
  if (!e) throw new UsageError(`unknown entity "${entity}". Entities: ${Object.keys(manifest.entities).join(', ')}.`);
  const a = e.actions[action];
  if (!a) throw new UsageError(`"${entity}" has no action "${action}". Actions: ${Object.keys(e.actions).join(', ')}.`);
  const out: string[] = [`${entity}.${action}: ${a.method} ${a.path}`];
  if (a.description) out.push(a.description);
  out.push('', 'Parameters:');
  const params = Object.entries(a.params);
  if (params.length === 0) out.push('  (none)');
  const pw = Math.max(4, ...params.map(([n]) => n.length));
  const tw = Math.max(4, ...params.map(([, p]) => renderParamType(p).length));
  for (const [n, p] of params) {
    out.push(`  ${n.padEnd(pw)}  ${renderParamType(p).padEnd(tw)}  ${p.required ? 'required' : 'optional'}  ${p.description ?? ''}`.trimEnd());
  }
  out.push('', 'Record fields:');
  const fields = recordFields(a.record, manifest.schemas);
  const fw = Math.max(4, ...fields.map(([n]) => n.length));
  const types = fields.map(([, s]) => renderType(s, manifest.schemas));
  const tw2 = Math.max(4, ...types.map((t) => t.length));
  fields.forEach(([n, s], i) => out.push(`  ${n.padEnd(fw)}  ${types[i]!.padEnd(tw2)}  ${describeField(s, manifest.schemas)}`.trimEnd()));
  if (a.records) {
    const paged = pagedOf(manifest, a);
    out.push('', 'Meta:', `  next_page    string | null  ${paged ? `pass back as ${paged.param}` : 'always null: one answer holds every record'}; null on the last page`);
    if (paged?.total) out.push('  total_count  integer        records in the whole list');
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function execute(manifest: Manifest, values: Values, positionals: string[], io: CliIo, config: CliConfig): Promise<number> {
  const { entity, action } = parseOperation(positionals, manifest);
  const spec = manifest.entities[entity]?.actions[action];
  const params = { ...parseParamsJson(values.params as string | undefined), ...convertParams((values.param as string[] | undefined) ?? [], spec?.params ?? {}) };
  const limit = number(values, 'limit');
  const streaming = values.all === true || limit !== undefined;
  const format = (values.format ?? (streaming ? 'jsonl' : 'json')) as Format;
  if (!['json', 'jsonl', 'table'].includes(format)) throw new UsageError(`--format must be json, jsonl or table, got ${JSON.stringify(format)}.`);
  const cursorParam = spec ? pagingParams(manifest, spec).cursor : undefined;
  let skip = 0;
  if (typeof values['starting-after'] === 'string') {
    if (!cursorParam) throw new UsageError(`--starting-after works on paginated lists; ${entity}.${action} is not one.`);
    const resume = decodeResume(values['starting-after']);
    if (resume.cursor !== null) params[cursorParam] = resume.cursor;
    skip = resume.skip;
  }

  const options = runtimeOptions(manifest, values, io.env);
  const redact = createRedactor(Object.entries(options.credentials ?? {}).filter(([n]) => manifest.auth.credentials[n]?.secret !== false).map(([, v]) => v));
  const runtime = await createRuntime(options);
  const sink = new Sink(io.stdout);
  const columns = tableColumns(spec?.record, manifest.schemas);
  try {
    if (!streaming) {
      const result = await runtime.execute({ entity, action, params, signal: io.interrupt });
      const records = Array.isArray(result.data) ? result.data.slice(skip) : [result.data];
      if (format === 'json') await sink.write(`${JSON.stringify(Array.isArray(result.data) ? { ...result, data: records } : result, null, 2)}\n`);
      else {
        const writer = recordWriter(format, sink, columns, false);
        await writer.records(records);
        await writer.end();
      }
      return 0;
    }
    if (!spec?.records) {
      throw new UsageError(`--all and --limit work on lists; ${entity}.${action} returns one record. Drop them.`);
    }
    const start = cursorParam && typeof params[cursorParam] === 'string' ? (params[cursorParam] as string) : null;
    return await stream(runtime, { entity, action, params, start, skip, limit }, recordWriter(format, sink, columns, true), io, config, tokenHint(manifest), redact);
  } catch (err) {
    return report(err, io, config, tokenHint(manifest), redact);
  } finally {
    await runtime.close();
  }
}

async function stream(
  runtime: Runtime,
  call: { entity: string; action: string; params: Record<string, unknown>; start: string | null; skip: number; limit: number | undefined },
  writer: ReturnType<typeof recordWriter>,
  io: CliIo,
  config: CliConfig,
  hint: string,
  redact: (text: string) => string,
): Promise<number> {
  const progress = new Progress(io.stderr);
  let printed = 0;
  // Where the next unprinted record is: a page's cursor and how many of its records are out.
  let position = { cursor: call.start, skip: call.skip };
  let first = true;
  const stopAt = call.limit ?? Number.POSITIVE_INFINITY;
  // Whether records remain after `position` (unknown before the first page: assume so).
  let more = true;
  const finish = async (code: number, why: string | undefined) => {
    await writer.end();
    progress.done();
    if (why) {
      const token = encodeResume(position.cursor, position.skip);
      const next = !more ? 'Nothing is left.' : token === null ? 'Run it again to start over.' : `Resume with: --starting-after '${token}'`;
      io.stderr.write(redact(`${why} after ${printed} records. ${next}\n`));
    }
    return code;
  };
  try {
    for await (const page of runtime.pages({ entity: call.entity, action: call.action, params: call.params, signal: io.interrupt })) {
      const offset = first ? call.skip : 0;
      first = false;
      position = { cursor: page.cursor, skip: offset };
      const room = stopAt - printed;
      const batch = page.data.slice(offset, offset + room);
      await writer.records(batch);
      printed += batch.length;
      const restOfPage = offset + batch.length < page.data.length;
      position = restOfPage ? { cursor: page.cursor, skip: offset + batch.length } : { cursor: page.meta.next_page, skip: 0 };
      more = restOfPage || page.meta.next_page !== null;
      progress.page(batch.length, page.meta.total_count);
      if (io.interrupt.aborted) return await finish(EXIT_INTERRUPTED, 'Interrupted');
      if (printed >= stopAt) return await finish(0, more ? 'Stopped at --limit' : undefined);
    }
    return await finish(0, undefined);
  } catch (err) {
    if (err instanceof AbortedError && io.interrupt.aborted) return await finish(EXIT_INTERRUPTED, 'Interrupted');
    await writer.end();
    progress.done();
    if (isConnectorError(err)) {
      // Anything printed is kept; the position says where to go on.
      err.resumeCursor = encodeResume(position.cursor, position.skip);
    }
    return report(err, io, config, hint, redact);
  }
}

function mainHelp(config: CliConfig): string {
  const host = Object.entries(config.commands ?? {}).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `Usage: ${config.name} <command> [options]

Commands:
  execute    Run one operation: execute <entity> <action> [--param key=value]...
  list       The entities and actions of the manifest
  describe   Parameters and record fields of an operation: describe contacts.list
${host.join('\n')}

Options for every command:
  --token-file <path>    The API token from a file's first line (- for stdin); by default the environment variable the manifest names
  --token <token>        The API token on the command line (visible to other users in ps: prefer the above)
  --base-url <url>       Call another server (e.g. the sandbox)
  --region <name>        One of the manifest's regions
  --api-version <v>      Override the pinned API version
  --manifest <path>      Run another connector's manifest
  --timeout <ms>         Time per attempt (default 30000)
  --max-retries <n>      Retries for transient failures (default 4)
  --debug                Log requests and responses to stderr (never the token)
  --help                 Help for a command: ${config.name} execute --help

Exit codes:
  0 success, 1 unexpected error, 130 interrupted (Ctrl-C)
${EXIT_CODES.map(([name, code]) => `  ${String(code).padStart(2)} ${name}`).join('\n')}
`;
}

function commandHelp(config: CliConfig, command: string): string {
  if (command === 'execute') {
    return `Usage: ${config.name} execute <entity> <action> [options]

Runs one operation and prints { data, meta } as JSON.

  --param, -p key=value   A parameter, converted to the type the manifest declares (repeatable)
  --params '<json>'       Parameters as a JSON object (--param wins on the same key)
  --all                   Follow every page; stream records as JSON Lines
  --limit <n>             Stop after n records (implies --all)
  --format <f>            json, jsonl or table (default: json, or jsonl with --all)
  --starting-after <c>    Resume a list from a cursor printed by an earlier run

On a terminal, stderr shows progress. Ctrl-C stops cleanly and prints where to resume.

Examples:
  ${config.name} execute contacts list --param per_page=5
  ${config.name} execute contacts list --all --limit 1000 > contacts.jsonl
  ${config.name} execute contacts get --param id=<id>
`;
  }
  if (command === 'list') return `Usage: ${config.name} list\n\nThe entities of the manifest and their actions.\n`;
  if (command === 'describe') return `Usage: ${config.name} describe <entity>.<action>\n\nParameters (name, type, required, description), record fields and meta of an operation.\n`;
  const host = config.commands?.[command];
  return host ? `Usage: ${config.name} ${host.usage}\n\n${host.summary}\n` : mainHelp(config);
}
