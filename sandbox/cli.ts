#!/usr/bin/env node
/**
 * The `intercom-connector` binary. `--version` answers before the rest of the command line
 * is loaded: it is what scripts and MCP clients call first, and it should cost a Node start.
 */
import { readFileSync } from 'node:fs';
import { tuneForShortRun } from '../src/host/short-run.js';
import { packageFile } from '../src/package-files.js';

/** Commands that keep running (servers): they want fully optimised code. */
const LONG_RUNNING = new Set(['serve', 'mcp', 'sandbox']);

const { version } = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${version}\n`);
} else {
  if (!argv.some((a) => LONG_RUNNING.has(a))) tuneForShortRun();
  const { main } = await import('./commands.js');
  process.exitCode = await main(argv, version);
}
