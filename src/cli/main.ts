import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { parseArgs } from 'node:util';
import { AbortedError, isConnectorError, ManifestError } from '../errors.js';
import { pagingParams } from '../manifest/paging.js';
import type { Manifest } from '../manifest/types.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { createRedactor } from '../redact.js';
import { didYouMean } from '../suggest.js';
import { channels, enableDebugLog, type RetryEvent } from '../transport/diagnostics.js';
import type { CliConfig, CliIo, Values } from '../host/command.js';
import { loadChosenManifest, number, runtimeOptions, tokenHint } from '../host/options.js';
import { completionScript, completionSpec } from './completion.js';
import { convertParams, parseFields, parseParamsJson } from './convert.js';
import { adviceFor, EXIT_INTERRUPTED, EXIT_TERMINATED, exitCodeFor, UsageError } from './exit-codes.js';
import { BUILT_IN, commandHelp, mainHelp } from './help.js';
import { describeText, inspectFormat, listText, parseOperation } from './inspect.js';
import { recordWriter, Sink, tableColumns, type Format } from './output.js';
import { Progress } from './progress.js';
import { decodeResume, encodeResume, type ResumeScope } from './resume.js';

export type { CliConfig, CliIo, HostCommand } from '../host/command.js';

const GLOBAL_OPTIONS = {
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'base-url': { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
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
  fields: { type: 'string' },
  'dry-run': { type: 'boolean' },
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
    if (command === undefined || command === '--help' || command === '-h') {
      io.stdout.write(mainHelp(config));
      return 0;
    }
    if (command === 'help') {
      const about = rest.find((a) => !a.startsWith('-'));
      if (about !== undefined && !(BUILT_IN as readonly string[]).includes(about) && !host[about]) throw unknownCommand(about, config);
      io.stdout.write(about === undefined ? mainHelp(config) : commandHelp(config, about));
      return 0;
    }
    if (command === '--version') {
      io.stdout.write(`${config.version}\n`);
      return 0;
    }
    const hostCommand = host[command];
    const builtIn = (BUILT_IN as readonly string[]).includes(command);
    if (!builtIn && !hostCommand) throw unknownCommand(command, config);
    const options = optionsOf(command, config);
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
    } catch (err) {
      throw argumentError(err, command, options);
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
    if (command === 'list') return await write(io, listText(manifest, inspectFormat(values.format)));
    if (command === 'describe') return await write(io, describeText(manifest, positionals, inspectFormat(values.format)));
    if (command === 'completion') {
      if (positionals.length !== 1) throw new UsageError('completion takes the shell: completion bash, or completion zsh.');
      const spec = completionSpec(manifest, config, { global: GLOBAL_OPTIONS, execute: EXECUTE_OPTIONS });
      return await write(io, completionScript(positionals[0]!, config.name, manifest, spec));
    }
    return await execute(manifest, values, positionals, io, config);
  } catch (err) {
    return report(err, io, config);
  }
}

async function write(io: CliIo, text: string): Promise<number> {
  await new Sink(io.stdout).write(text);
  return 0;
}

function optionsOf(command: string, config: CliConfig): Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> {
  if (command === 'execute') return { ...GLOBAL_OPTIONS, ...EXECUTE_OPTIONS };
  if (command === 'list' || command === 'describe') return { ...GLOBAL_OPTIONS, format: { type: 'string' } };
  if (command === 'completion') return GLOBAL_OPTIONS;
  return { ...GLOBAL_OPTIONS, ...(config.commands?.[command]?.options ?? {}) };
}

function unknownCommand(command: string, config: CliConfig): UsageError {
  const all = [...BUILT_IN, ...Object.keys(config.commands ?? {})];
  return new UsageError(`unknown command "${command.slice(0, 100)}".${didYouMean(command, all)} Commands: ${all.join(', ')}.`);
}

/** parseArgs' errors, reworded: the flag, what is wrong, the nearest real flag. */
function argumentError(err: unknown, command: string, options: Record<string, { type: string; short?: string }>): UsageError {
  const e = err as { code?: string; message?: string };
  const flags = Object.keys(options).map((o) => `--${o}`);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(e.message ?? '')?.[1] ?? '';
    const name = flag.replace(/=.*$/, '');
    return new UsageError(`${command} has no option ${name.slice(0, 100)}.${didYouMean(name, flags)} Its options: ${flags.join(', ')}.`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(-[^' ]+)/.exec(e.message ?? '')?.[1] ?? 'an option';
    const takes = options[flag.replace(/^-+/, '')]?.type === 'boolean' ? 'takes no value' : 'needs a value';
    return new UsageError(`${flag} ${takes}${takes === 'needs a value' ? `, e.g. ${flag} <value>` : ''}.`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`${command} takes no argument here: ${(e.message ?? '').split('\n')[0]}`);
  return new UsageError((e.message ?? String(err)).split('\n')[0]!);
}

function processIo(): CliIo {
  const controller = new AbortController();
  // The first Ctrl-C (or SIGTERM) stops cleanly and says where to resume; a second one stops at once.
  const stop = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED);
    controller.abort(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
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

async function execute(manifest: Manifest, values: Values, positionals: string[], io: CliIo, config: CliConfig): Promise<number> {
  const { entity, action } = parseOperation(positionals, manifest);
  const spec = manifest.entities[entity]?.actions[action];
  const params = { ...parseParamsJson(values.params as string | undefined), ...convertParams((values.param as string[] | undefined) ?? [], spec?.params ?? {}) };
  const limit = number(values, 'limit');
  const streaming = values.all === true || limit !== undefined;
  const format = (values.format ?? (streaming ? 'jsonl' : 'json')) as Format;
  if (!['json', 'jsonl', 'table'].includes(format)) throw new UsageError(`--format must be json, jsonl or table, got ${JSON.stringify(format)}.`);
  const cursorParam = spec ? pagingParams(manifest, spec).cursor : undefined;
  const scope: ResumeScope = { operation: `${entity}.${action}`, params, cursorParam };
  let skip = 0;
  if (typeof values['starting-after'] === 'string') {
    if (!cursorParam) throw new UsageError(`--starting-after works on paginated lists; ${entity}.${action} is not one.`);
    const resume = decodeResume(values['starting-after'], scope);
    if (resume.cursor !== null) params[cursorParam] = resume.cursor;
    skip = resume.skip;
  }

  const options = runtimeOptions(manifest, values, io.env);
  const redact = createRedactor(Object.entries(options.credentials ?? {}).filter(([n]) => manifest.auth.credentials[n]?.secret !== false).map(([, v]) => v));
  const runtime = await createRuntime(options);
  const sink = new Sink(io.stdout);
  const fields = parseFields(values.fields);
  // A table of selected fields shows them, in the order asked (a nested one as JSON).
  const columns = fields && !fields.includes('*') ? [...new Set(fields.map((f) => f.split('.')[0]!))] : tableColumns(spec?.record, manifest.schemas);
  // Retries are said as they happen: a refused connection is retried for seconds otherwise in silence.
  const onRetry = (m: unknown) => {
    const r = m as RetryEvent;
    io.stderr.write(redact(`${config.name}: ${r.operation} attempt ${r.attempt} failed (${r.cause}); retrying in ${(r.waitMs / 1000).toFixed(1)} s.\n`));
  };
  if (!values.debug) subscribe(channels.retry.name, onRetry);
  try {
    if (values['dry-run'] === true) {
      // The request as it would leave, checked like a real call; nothing is sent.
      await sink.write(`${JSON.stringify(runtime.preview({ entity, action, params }), null, 2)}\n`);
      return 0;
    }
    if (!streaming) {
      const result = await runtime.execute({ entity, action, params, signal: io.interrupt, fields });
      const records = Array.isArray(result.data) ? result.data.slice(skip) : [result.data];
      if (format === 'json') await sink.write(`${JSON.stringify(Array.isArray(result.data) ? { ...result, data: records } : result, null, 2)}\n`);
      else {
        const writer = recordWriter(format, sink, columns, false);
        await writer.records(records);
        await writer.end();
        // Table and JSON Lines have no meta: say that the list goes on, and how to get the rest.
        const next = result.meta?.next_page;
        if (typeof next === 'string') {
          io.stderr.write(redact(`More records exist: --all prints every page, or --starting-after '${encodeResume(next, 0, scope)}' the next one.\n`));
        }
      }
      return 0;
    }
    if (!spec?.records) {
      throw new UsageError(`--all and --limit work on lists; ${entity}.${action} returns one record. Drop them.`);
    }
    const start = cursorParam && typeof params[cursorParam] === 'string' ? (params[cursorParam] as string) : null;
    return await stream(runtime, { entity, action, params, start, skip, limit, scope, fields }, recordWriter(format, sink, columns, true), io, config, tokenHint(manifest), redact);
  } catch (err) {
    return report(err, io, config, tokenHint(manifest), redact);
  } finally {
    if (!values.debug) unsubscribe(channels.retry.name, onRetry);
    await runtime.close();
  }
}

/** 130 after Ctrl-C, 143 after SIGTERM, as shells report them. */
function interruptedCode(io: CliIo): number {
  return io.interrupt.reason === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

async function stream(
  runtime: Runtime,
  call: { entity: string; action: string; params: Record<string, unknown>; start: string | null; skip: number; limit: number | undefined; scope: ResumeScope; fields: string[] | undefined },
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
  let once = false;
  const stopAt = call.limit ?? Number.POSITIVE_INFINITY;
  // Whether records remain after `position` (unknown before the first page: assume so).
  let more = true;
  const finish = async (code: number, why: string | undefined) => {
    await writer.end();
    progress.done();
    if (why) {
      const token = encodeResume(position.cursor, position.skip, call.scope);
      const next = !more ? 'Nothing is left.' : token === null ? 'Run it again to start over.' : `Resume with: --starting-after '${token}'`;
      io.stderr.write(redact(`${why} after ${printed} records. ${next}\n`));
    }
    return code;
  };
  try {
    for await (const page of runtime.pages({ entity: call.entity, action: call.action, params: call.params, signal: io.interrupt, fields: call.fields })) {
      const offset = first ? call.skip : 0;
      first = false;
      position = { cursor: page.cursor, skip: offset };
      const room = stopAt - printed;
      const batch = page.data.slice(offset, offset + room);
      await writer.records(batch);
      printed += batch.length;
      const restOfPage = offset + batch.length < page.data.length;
      position = restOfPage ? { cursor: page.cursor, skip: offset + batch.length } : { cursor: page.meta.next_page, skip: 0 };
      // A page the API answers only once (a scroll) cannot be fetched again, and a failed request
      // spends its cursor: anything but a clean page end resumes only by starting over.
      once = page.meta.once === true;
      if (once && restOfPage) position = { cursor: null, skip: 0 };
      more = restOfPage || page.meta.next_page !== null;
      progress.page(batch.length, page.meta.total_count);
      if (io.interrupt.aborted) return await finish(interruptedCode(io), 'Interrupted');
      if (printed >= stopAt) return await finish(0, more ? 'Stopped at --limit' : undefined);
    }
    return await finish(0, undefined);
  } catch (err) {
    if (err instanceof AbortedError && io.interrupt.aborted) return await finish(interruptedCode(io), 'Interrupted');
    await writer.end();
    progress.done();
    if (isConnectorError(err)) {
      // The API refused the cursor it was started from: offering it back would only fail again.
      const refusedStart = first && call.start !== null && err.status !== undefined && [400, 404, 410, 422].includes(err.status);
      if (refusedStart) {
        err.message += ' The API did not accept the --starting-after value: start the list without it.';
        err.resumeCursor = undefined;
      }
      // Anything printed is kept; the position says where to go on.
      else err.resumeCursor = once ? undefined : encodeResume(position.cursor, position.skip, call.scope);
      if (once) err.message += ' This list is read with a scroll the API serves only once: run the command again to start over.';
    }
    return report(err, io, config, hint, redact);
  }
}
