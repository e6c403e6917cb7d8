import { createRuntime, type Runtime } from '../src/index.js';
import { primaryCredential } from '../src/auth/choose.js';
import { credentialsFromEnv } from '../src/auth/env.js';
import { resolveBaseUrl, serverVariables } from '../src/config.js';
import type { Values } from '../src/host/command.js';
import { configFrom, connectionOptions, credentialsFrom } from '../src/host/options.js';
import { accessOf } from '../src/manifest/access.js';
import { loadDefaultManifest } from '../src/manifest/default.js';
import { startSandbox, type Sandbox } from './server.js';

interface Row {
  operation: string;
  records: number | string;
  pages: number | string;
  ms: string;
  note: string;
}

/**
 * Runs every read of the manifest (searches with their documented example query), plus one
 * full pagination, and prints a table; on the sandbox only, also a create and a get of what
 * it made. A real workspace is never written to.
 * Against the built-in sandbox by default. With a token (INTERCOM_ACCESS_TOKEN, --token or
 * --token-file), or a --base-url (CONNECTOR_BASE_URL), against that server instead, with
 * the command line's flags (--region, --timeout, --max-retries...); it says which host it
 * calls before the first call. Returns the exit code.
 */
export async function runDemo(out: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env, values: Values = {}): Promise<number> {
  const manifest = await loadDefaultManifest();
  const connection = connectionOptions(values, manifest, env);
  const tokenGiven = typeof values.token === 'string' || typeof values['token-file'] === 'string' || Object.keys(credentialsFromEnv(manifest, env)).length > 0;
  const useSandbox = connection.baseUrl === undefined && !tokenGiven;

  const sandbox = useSandbox ? await startSandbox({ counts: { contacts: 1000 } }) : undefined;
  const options = sandbox
    ? { ...connection, manifest, baseUrl: sandbox.url, credentials: { [primaryCredential(manifest)!]: sandbox.token } }
    : { ...connection, manifest, credentials: credentialsFrom(manifest, values, env), ...(connection.baseUrl === undefined ? { config: configFrom(manifest, env) } : {}) };
  let runtime: Runtime;
  try {
    const target = resolveBaseUrl(manifest, options, serverVariables(manifest, options.config, options.baseUrl !== undefined));
    runtime = await createRuntime(options);
    out(sandbox ? `Running against the built-in sandbox at ${sandbox.url}` : `Running against ${target.origin}${target.pathname.replace(/\/$/, '')} (read-only calls)`);
  } catch (err) {
    await sandbox?.close();
    throw err;
  }

  const rows: Row[] = [];
  let failures = 0;
  try {
    for (const [entity, e] of Object.entries(manifest.entities)) {
      let firstId: string | undefined;
      for (const [action, spec] of Object.entries(e.actions)) {
        if (accessOf(spec) === 'write') continue;
        const params: Record<string, unknown> = {};
        for (const [name, p] of Object.entries(spec.params)) if (p.required && p.example !== undefined) params[name] = p.example;
        if (action === 'get') {
          if (firstId === undefined) {
            rows.push({ operation: `${entity}.get`, records: '-', pages: '-', ms: '-', note: 'skipped: the list returned no record' });
            continue;
          }
          params.id = firstId;
        }
        const started = performance.now();
        try {
          const { data, meta } = await runtime.execute({ entity, action, params });
          const records = Array.isArray(data) ? data : [data];
          firstId ??= (records[0] as { id?: string } | undefined)?.id;
          rows.push({
            operation: `${entity}.${action}`,
            records: records.length,
            pages: 1,
            ms: (performance.now() - started).toFixed(1),
            note: meta ? `next_page: ${meta.next_page === null ? 'null' : 'yes'}` : `id ${String((data as { id?: unknown }).id)}`,
          });
        } catch (err) {
          failures++;
          rows.push({ operation: `${entity}.${action}`, records: '-', pages: '-', ms: (performance.now() - started).toFixed(1), note: `${(err as Error).name}: ${(err as Error).message}` });
        }
      }
    }
    rows.push(await fullPagination(runtime, 'contacts', sandbox));
    if (sandbox) rows.push(...(await createAndRead(runtime)));
  } finally {
    await runtime.close();
    await sandbox?.close();
  }

  printTable(rows, out);
  if (failures > 0) {
    out(`${failures} operation(s) failed.`);
    return 1;
  }
  return 0;
}

async function fullPagination(rt: Runtime, entity: string, sandbox: Sandbox | undefined): Promise<Row> {
  const started = performance.now();
  const before = sandbox?.requestCount ?? 0;
  let records = 0;
  const ids = new Set<string>();
  for await (const r of rt.paginate({ entity, action: 'list', params: { per_page: 150 } })) {
    records++;
    ids.add(String(r.id));
  }
  const pages = sandbox ? sandbox.requestCount - before : '?';
  const dupes = records - ids.size;
  return {
    operation: `${entity}.list (all pages)`,
    records,
    pages,
    ms: (performance.now() - started).toFixed(1),
    note: dupes === 0 ? 'every record once' : `${dupes} duplicates!`,
  };
}

/** A write, on the sandbox only: a contact is created, then read back by its new id. */
async function createAndRead(rt: Runtime): Promise<Row[]> {
  type Written = { id?: unknown; email?: unknown };
  const started = performance.now();
  const email = `grace.hopper.${Date.now()}@example.org`;
  const data = (await rt.execute({ entity: 'contacts', action: 'create', params: { email, name: 'Grace Hopper', role: 'user' } })).data as Written;
  const created: Row = { operation: 'contacts.create (sandbox only)', records: 1, pages: 1, ms: (performance.now() - started).toFixed(1), note: `id ${String(data.id)}` };
  const read = performance.now();
  const back = (await rt.execute({ entity: 'contacts', action: 'get', params: { id: String(data.id) } })).data as Written;
  return [created, { operation: 'contacts.get (the new one)', records: 1, pages: 1, ms: (performance.now() - read).toFixed(1), note: back.email === email ? 'reads back what was written' : 'MISMATCH' }];
}

function printTable(data: Row[], out: (line: string) => void): void {
  const cols: (keyof Row)[] = ['operation', 'records', 'pages', 'ms', 'note'];
  const width = (c: keyof Row) => Math.max(c.length, ...data.map((r) => String(r[c]).length));
  const line = (cells: string[]) =>
    cells.map((s, i) => (i === 0 || i === 4 ? s.padEnd(width(cols[i]!)) : s.padStart(width(cols[i]!)))).join('  ').trimEnd();
  out(line(cols));
  out(cols.map((c) => '-'.repeat(width(c))).join('  '));
  for (const r of data) out(line(cols.map((c) => String(r[c]))));
}
