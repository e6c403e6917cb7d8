import { readFile, writeFile } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import { UsageError, type HostCommand } from '../host/command.js';
import { parseManifest } from '../manifest/load.js';
import { ImportError, importSpec, parseSpec, type ImportReport } from './index.js';

const MAX_SPEC_BYTES = 32 * 1024 * 1024;

/**
 * `import SPEC [-o FILE]`: an OpenAPI document as a manifest. The manifest goes to FILE (or
 * stdout), one summary line to stderr; it is checked by the loader before it is written.
 */
export const importCommand: HostCommand = {
  summary: 'Write a manifest from an OpenAPI 3.0/3.1 document (with or without x-airbyte-* extensions)',
  usage: 'import <spec.yaml|spec.json|-> [-o connector.yaml]',
  options: { out: { type: 'string', short: 'o' } } as Record<string, { type: 'string' }>,
  async run({ values, positionals, io }) {
    const [spec, extra] = positionals;
    if (!spec || extra !== undefined) throw new UsageError('name one OpenAPI document: import <spec.yaml> [-o connector.yaml] (or - for stdin).');
    const text = spec === '-' ? await readStdin() : await readFile(spec, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new ConfigurationError(`cannot read ${spec} (${err.code ?? err.message}); check the path.`);
    });
    if (Buffer.byteLength(text) > MAX_SPEC_BYTES) throw new ConfigurationError(`${spec} is over ${MAX_SPEC_BYTES} bytes; is it an OpenAPI document?`);
    const source = spec === '-' ? 'stdin' : spec;
    let result: ReturnType<typeof importSpec>;
    try {
      result = importSpec(parseSpec(text, source), source);
    } catch (err) {
      if (err instanceof ImportError) throw new ConfigurationError(err.message);
      throw err;
    }
    const out = typeof values.out === 'string' ? values.out : undefined;
    // What is written must load: the loader is the judge, with its file:line:column.
    parseManifest(result.yaml, out ?? 'the imported manifest');
    if (out) await writeFile(out, result.yaml);
    else io.stdout.write(result.yaml);
    io.stderr.write(`${summary(result.report, out)}\n`);
    return 0;
  },
};

/** One line: what was imported (by action), what was skipped and why. */
export function summary(report: ImportReport, out: string | undefined): string {
  const kinds = new Map<string, number>();
  for (const o of report.imported) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const reasons = new Map<string, string[]>();
  for (const s of report.skipped) reasons.set(s.reason, [...(reasons.get(s.reason) ?? []), s.id]);
  const skipped = report.skipped.length
    ? `; skipped ${report.skipped.length}: ${[...reasons].map(([r, ids]) => `${r}: ${ids.join(', ')}`).join('; ')}`
    : '; skipped none';
  return `Imported ${report.imported.length} of ${report.total} operations (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})${out ? ` into ${out}` : ''}${skipped}.`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SPEC_BYTES) throw new ConfigurationError(`the document on stdin is over ${MAX_SPEC_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
