import { methodCredentials, neededCredentials, primaryCredential } from '../../src/auth/choose.js';
import { pagedOf, pagingParams } from '../../src/manifest/paging.js';
import type { ActionSpec, Manifest, ParamSpec } from '../../src/manifest/types.js';
import { camel, title } from './names.js';
import { describeField, recordFields, renderParamType, renderType } from '../../src/manifest/render-type.js';

const EXECUTE_HOST = 'http://localhost:8080';

/** A cell of a markdown table: pipes escaped, no line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function anchor(entity: string, action: string): string {
  return `${title(entity)} ${title(action)}`.toLowerCase().replace(/\s+/g, '-');
}

/** A parameter's `example` as JSON, else a placeholder of its type. */
function sampleValue(p: ParamSpec): string {
  if (p.example !== undefined) return JSON.stringify(p.example);
  const type = p.type;
  return type === 'integer' || type === 'number' ? '0' : type === 'boolean' ? 'true' : type === 'object' ? '{}' : type === 'array' ? '[]' : '"<str>"';
}

/**
 * `reference.md`: the connector reference, in the layout of the published Intercom
 * reference, every table generated from the manifest.
 */
export function generateReference(manifest: Manifest): string {
  const name = manifest.connector.title ?? title(manifest.connector.name);
  const variable = camel(manifest.connector.name);
  const out: string[] = [];
  out.push(`# ${name} full reference`, '');
  out.push(`This is the full reference documentation for the ${name} agent connector.`, '');
  out.push(
    `The TypeScript examples use the generated client (\`createClient\` from this package); the API examples call an execute endpoint of the form \`POST /api/v1/connectors/instances/{id}/execute\`, shown here at \`${EXECUTE_HOST}\`.`,
    '',
  );
  out.push('## Supported entities and actions', '');
  out.push(`The ${name} connector supports the following entities and actions.`, '');
  out.push('| Entity | Actions |', '|--------|---------|');
  for (const [entity, e] of Object.entries(manifest.entities)) {
    const links = Object.keys(e.actions).map((a) => `[${title(a)}](#${anchor(entity, a)})`);
    out.push(`| ${e.title ?? title(entity)} | ${links.join(', ')} |`);
  }
  out.push('');

  for (const [entity, e] of Object.entries(manifest.entities)) {
    out.push(`### ${e.title ?? title(entity)}`, '');
    if (e.agent_fields) out.push(`Fields an agent gets by default (MCP tools; \`fields\` asks for others): ${e.agent_fields.map((f) => `\`${f}\``).join(', ')}.`, '');
    for (const [action, a] of Object.entries(e.actions)) out.push(...operation(manifest, variable, entity, action, a));
  }

  out.push(...authentication(manifest, name, variable));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

function operation(manifest: Manifest, variable: string, entity: string, action: string, a: ActionSpec): string[] {
  const out: string[] = [];
  const params = Object.entries(a.params);
  const required = params.filter(([, p]) => p.required);
  out.push(`#### ${title(entity)} ${title(action)}`, '');
  if (a.description) out.push(a.description, '');

  out.push('**TypeScript**', '', '```ts');
  if (required.length === 0) out.push(`await ${variable}.${entity}.${action}()`);
  else {
    out.push(`await ${variable}.${entity}.${action}({`);
    for (const [n, p] of required) out.push(`  ${n}: ${sampleValue(p)},`);
    out.push('})');
  }
  out.push('```', '');

  const body: Record<string, unknown> = { entity, action };
  if (required.length) body.params = Object.fromEntries(required.map(([n, p]) => [n, JSON.parse(sampleValue(p))]));
  out.push('**API**', '', '```bash');
  out.push(`curl --location '${EXECUTE_HOST}/api/v1/connectors/instances/{your_connector_instance_id}/execute' \\`);
  out.push("--header 'Content-Type: application/json' \\");
  out.push("--header 'Authorization: Bearer {your_auth_token}' \\");
  out.push(`--data '${JSON.stringify(body, null, 4).replace(/\n}$/, '\n}')}'`);
  out.push('```', '');

  if (params.length) {
    out.push('**Parameters**', '');
    out.push('| Parameter Name | Type | Required | Description |', '|----------------|------|----------|-------------|');
    for (const [n, p] of params) {
      out.push(`| \`${n}\` | \`${cell(renderParamType(p))}\` | ${p.required ? 'Yes' : 'No'} | ${cell(p.description ?? '')} |`);
    }
    out.push('');
  }

  out.push('<details>', '<summary><b>Response Schema</b></summary>', '');
  out.push('**Records**', '');
  out.push('| Field Name | Type | Description |', '|------------|------|-------------|');
  for (const [field, schema] of recordFields(a.record, manifest.schemas)) {
    out.push(`| \`${field}\` | \`${cell(renderType(schema, manifest.schemas))}\` | ${cell(describeField(schema, manifest.schemas))} |`);
  }
  out.push('');
  if (a.records) {
    out.push('**Meta**', '');
    out.push('| Field Name | Type | Description |', '|------------|------|-------------|');
    out.push(`| \`next_page\` | \`string \\| null\` | Cursor of the next page; pass it back as \`${pagingParams(manifest, a).cursor ?? 'the cursor'}\`. Null on the last page. |`);
    if (pagedOf(manifest, a)?.total) out.push('| `total_count` | `integer` | How many records the whole list holds, when the API says. |');
    out.push('');
  }
  out.push('</details>', '');
  return out;
}

function authentication(manifest: Manifest, name: string, variable: string): string[] {
  const out: string[] = ['## Authentication', ''];
  const methods = manifest.auth.methods.filter((m) => m.type !== 'none');
  const credentials = Object.entries(manifest.auth.credentials);
  if (methods.length === 0 || credentials.length === 0) {
    out.push(`The ${name} connector needs no credentials.`, '');
    return out;
  }
  out.push(`The ${name} connector supports the following authentication methods.`, '');
  const placeholder = (n: string) => `<${manifest.auth.credentials[n]?.description ?? n}>`;
  for (const method of methods) {
    const fields = methodCredentials(method, manifest);
    // One method named after its type reads best as its credential ("Access Token Authentication").
    const heading = methods.length === 1 ? title(primaryCredential(manifest) ?? fields[0] ?? method.id) : title(method.id);
    out.push(`### ${heading} Authentication`, '');
    out.push('| Field Name | Type | Required | Description |', '|------------|------|----------|-------------|');
    const needed = neededCredentials(method, manifest);
    for (const n of fields) {
      const c = manifest.auth.credentials[n]!;
      out.push(`| \`${n}\` | \`${c.type}\` | ${needed.includes(n) ? 'Yes' : 'No'} | ${cell(c.description ?? '')} |`);
    }
    out.push('');
    out.push('#### Example', '', '**TypeScript**', '', '```ts');
    out.push(`const ${variable} = createClient({`, '  credentials: {');
    for (const n of fields) out.push(`    ${n}: '${placeholder(n)}',`);
    out.push('  },');
    const variables = Object.keys(manifest.server.variables ?? {});
    if (variables.length) out.push(`  config: { ${variables.map((v) => `${v}: '<${manifest.server.variables![v]!.description ?? v}>'`).join(', ')} },`);
    out.push('})', '```', '');
    for (const n of fields) {
      const c = manifest.auth.credentials[n]!;
      if (c.env) out.push(`Command-line and server hosts read \`${n}\` from the \`${c.env}\` environment variable.`, '');
    }
    const body = {
      ...(manifest.connector.definition_id ? { connector_definition_id: manifest.connector.definition_id } : {}),
      auth_config: Object.fromEntries(fields.map((n) => [n, placeholder(n)])),
      ...(variables.length ? { config: Object.fromEntries(variables.map((v) => [v, `<${v}>`])) } : {}),
      name: `My ${name} Connector`,
    };
    out.push('**API**', '', '```bash');
    out.push(`curl --location '${EXECUTE_HOST}/api/v1/connectors/instances' \\`);
    out.push("--header 'Content-Type: application/json' \\");
    out.push("--header 'Authorization: Bearer {your_auth_token}' \\");
    out.push(`--data '${JSON.stringify(body, null, 2)}'`);
    out.push('```', '');
  }
  const variables = Object.entries(manifest.server.variables ?? {});
  if (variables.length) {
    out.push('## Configuration', '');
    out.push('| Field Name | Type | Required | Description |', '|------------|------|----------|-------------|');
    for (const [n, v] of variables) out.push(`| \`${n}\` | \`string\` | ${v.default === undefined ? 'Yes' : 'No'} | ${cell(v.description ?? '')}${v.env ? ` (hosts read it from \`${v.env}\`)` : ''} |`);
    out.push('');
  }
  return out;
}
