/** The help texts of the command line: one source for `--help`, `help <command>` and `<command> --help`. */
import type { CliConfig } from '../host/command.js';
import { BASE_URL_ENV } from '../host/options.js';
import { EXIT_CODES, EXIT_INTERRUPTED, EXIT_TERMINATED } from './exit-codes.js';

export const BUILT_IN = ['execute', 'list', 'describe', 'completion'] as const;


function globalOptions(config: CliConfig): string {
  return `Options for every command:
  --token-file <path>    The API token from a file's first line (- for stdin); by default the environment variable the manifest names
  --token <token>        The API token on the command line (visible to other users in ps: prefer the above)
  --base-url <url>       Call another server, e.g. the sandbox (or set ${BASE_URL_ENV})
  --allow-insecure-http  Allow a plain-http --base-url that is not on this machine (the token travels in clear)
  --region <name>        One of the manifest's regions
  --api-version <v>      Override the pinned API version
  --manifest <path>      Run another connector's manifest
  --timeout <ms>         Time per attempt (default 30000)
  --max-retries <n>      Retries for transient failures (default 4)
  --debug                Log requests, responses and retries to stderr (never the token)
  --help                 Help for a command: ${config.name} execute --help

HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured.`;
}

export function mainHelp(config: CliConfig): string {
  const host = Object.entries(config.commands ?? {}).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `Usage: ${config.name} <command> [options]

Commands:
  execute    Run one operation: execute <entity> <action> [--param key=value]...
  list       The entities and actions of the manifest (--format json)
  describe   Parameters and record fields of an operation: describe contacts.list (--format json)
  completion Print a shell completion script: completion bash | completion zsh
${host.join('\n')}

${globalOptions(config)}

Exit codes:
  0 success, 1 unexpected error, ${EXIT_INTERRUPTED} interrupted (Ctrl-C), ${EXIT_TERMINATED} terminated (SIGTERM)
${EXIT_CODES.map(([name, code]) => `  ${String(code).padStart(2)} ${name}`).join('\n')}
`;
}

export function commandHelp(config: CliConfig, command: string): string {
  if (command === 'execute') {
    return `Usage: ${config.name} execute <entity> <action> [options]

Runs one operation and prints { data, meta } as JSON.

  --param, -p key=value   A parameter, converted to the type the manifest declares (repeatable)
  --params '<json>'       Parameters as a JSON object (--param wins on the same key)
  --all                   Follow every page; stream records as JSON Lines
  --limit <n>             Stop after n records (implies --all)
  --format <f>            json, jsonl or table (default: json, or jsonl with --all)
  --starting-after <c>    Resume the same list from a token printed by an earlier run
  --fields <a,b.c>        Keep only these fields of each record (dotted paths, nesting kept; * for all)
  --dry-run               Print the request (method, URL, headers with the token redacted, body); send nothing

On a terminal, stderr shows progress. Ctrl-C (or SIGTERM) stops cleanly and prints where to resume.

${globalOptions(config)}

Examples:
  ${config.name} execute contacts list --param per_page=5
  ${config.name} execute contacts list --all --limit 1000 > contacts.jsonl
  ${config.name} execute contacts get --param id=<id>
  ${config.name} execute contacts list --fields id,email,custom_attributes.plan_tier --format table
  ${config.name} execute tags create --param name=vip --dry-run
`;
  }
  if (command === 'list') return `Usage: ${config.name} list [--format text|json]\n\nThe entities of the manifest and their actions.\n`;
  if (command === 'describe') {
    return `Usage: ${config.name} describe <entity>.<action> [--format text|json]\n\nParameters (name, type, limits, required, description), record fields and meta of an operation.\n`;
  }
  if (command === 'completion') {
    return `Usage: ${config.name} completion bash|zsh

Prints a completion script for commands, entities, actions, parameters and flags. Install it with:
  bash: ${config.name} completion bash > ~/.local/share/bash-completion/completions/${config.name}
  zsh:  add  source <(${config.name} completion zsh)  to ~/.zshrc
`;
  }
  const host = config.commands?.[command];
  return host ? `Usage: ${config.name} ${host.usage}\n\n${host.summary}\n` : mainHelp(config);
}
