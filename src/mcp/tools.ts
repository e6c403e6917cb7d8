/**
 * MCP tool definitions generated from a connector manifest: one tool per operation,
 * named `<entity>_<action>`, with the operation's params as a JSON Schema. Pure: no I/O,
 * nothing specific to one connector.
 */
import { accessOf, type Access } from '../manifest/access.js';
import { pagingParams } from '../manifest/paging.js';
import { declaredFields } from '../manifest/record-fields.js';
import type { ActionSpec, JsonSchema, Manifest, ParamSpec } from '../manifest/types.js';
import { WHOLE_RECORD } from '../response/project.js';
import { refsToDefs } from './inline-refs.js';
import { toolOutputSchema } from './output-schema.js';

/** A tool's input schema: a JSON Schema object, passed to MCP clients as is. */
export interface ToolInputSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties: false;
  [key: string]: unknown;
}

/** What tools/list announces for one tool. */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  inputSchema: ToolInputSchema;
  /** The shape of structuredContent (MCP 2025-06-18 and later). */
  outputSchema: Record<string, unknown>;
  annotations: { title: string; readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: true };
}

/** A tool with the operation it runs. */
export interface OperationTool {
  definition: ToolDefinition;
  entity: string;
  action: string;
  /** True when the operation returns a list of records. */
  list: boolean;
  /** The parameter that carries the cursor, for paginated lists. */
  cursorParam: string | undefined;
  /** The parameter that sets the page size, when the API has one. */
  pageSizeParam: string | undefined;
  /** Names and types of the operation's params, for error messages. */
  params: Record<string, ParamSpec>;
  /** Reads or writes upstream: write tools are served only with --allow-writes. */
  access: Access;
  /** `GET /contacts`, for messages. */
  request: string;
  /** The argument that selects fields (`fields`, unless the operation has a parameter of that name). */
  fieldsArg: string;
  /** The fields returned when the caller names none (the entity's agent_fields); undefined: whole records. */
  defaultFields: string[] | undefined;
}

export interface ToolOptions {
  /**
   * Descriptions that replace the manifest's, by tool name (e.g. wording tuned for agents).
   * The pagination hint is still appended to list tools.
   */
  descriptions?: Record<string, string>;
}

const NAME_PATTERN = /[^A-Za-z0-9_-]/g;

/** The MCP name of an operation: `<entity>_<action>`, restricted to the characters MCP allows. */
export function toolName(entity: string, action: string): string {
  return `${entity}_${action}`.replace(NAME_PATTERN, '_').slice(0, 64);
}

/** One tool per operation of the manifest, in manifest order. */
export function buildTools(manifest: Manifest, options: ToolOptions = {}): OperationTool[] {
  const tools: OperationTool[] = [];
  const seen = new Set<string>();
  for (const [entity, e] of Object.entries(manifest.entities)) {
    for (const [action, a] of Object.entries(e.actions)) {
      const name = toolName(entity, action);
      if (seen.has(name)) throw new Error(`two operations map to the MCP tool name "${name}"; rename one of them.`);
      seen.add(name);
      const { cursor: cursorParam, pageSize: pageSizeParam } = pagingParams(manifest, a);
      const title = `${e.title ?? entity}: ${action}`;
      const list = a.records !== undefined;
      // An operation's own `fields` parameter keeps its name; the selection takes another.
      const fieldsArg = Object.hasOwn(a.params, 'fields') ? 'response_fields' : 'fields';
      const input = inputSchema(a.params, cursorParam, manifest.schemas);
      input.properties[fieldsArg] = fieldsProperty(e.agent_fields, declaredFields(a.record, manifest.schemas));
      tools.push({
        definition: {
          name,
          title,
          description: describeTool(a, options.descriptions?.[name], cursorParam, pageSizeParam),
          inputSchema: input,
          outputSchema: toolOutputSchema({ list, cursorParam, record: a.record, fields: e.agent_fields }, manifest.schemas),
          annotations: { title, ...annotations(a) },
        },
        entity,
        action,
        list,
        cursorParam,
        pageSizeParam,
        params: a.params,
        access: accessOf(a),
        request: `${a.method} ${a.path}`,
        fieldsArg,
        defaultFields: e.agent_fields,
      });
    }
  }
  return tools;
}

/**
 * What a client may assume of a tool, from its method: only reads are read-only (a search
 * over POST declared idempotent reads); an update (PUT, PATCH) or a DELETE may destroy what
 * was there, a create (POST) does not; GET, PUT and DELETE (and writes the manifest declares
 * idempotent) have no further effect when repeated.
 */
function annotations(a: ActionSpec): Omit<ToolDefinition['annotations'], 'title'> {
  const read = accessOf(a) === 'read';
  return {
    readOnlyHint: read,
    // A create does not destroy; an idempotent POST that writes is a create-or-update, which may overwrite.
    destructiveHint: !read && (a.method !== 'POST' || a.idempotent === true),
    idempotentHint: a.method === 'GET' || a.method === 'PUT' || a.method === 'DELETE' || a.idempotent === true,
    openWorldHint: true,
  };
}

/** The argument that selects the fields of each record. */
function fieldsProperty(agentFields: string[] | undefined, known: string[] | undefined): Record<string, unknown> {
  const byDefault = agentFields ? `Default: ${agentFields.join(', ')}.` : 'Default: whole records.';
  const available = known ? ` Top-level fields: ${known.join(', ')}.` : '';
  return {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    minItems: 1,
    description:
      `The fields of each record to return, as dotted paths (e.g. "custom_attributes.plan"; a path through a list applies to each item). ${byDefault} ` +
      `["${WHOLE_RECORD}"] returns whole records (larger, so fewer fit in one answer).${available}`,
  };
}

function sentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
}

function describeTool(a: ActionSpec, override: string | undefined, cursorParam: string | undefined, pageSizeParam: string | undefined): string {
  const base = sentence(override ?? a.description ?? `${a.method} ${a.path}`);
  if (a.records === undefined) return `${base} Returns {"record": {...}}.`;
  if (!cursorParam) return `${base} Returns {"records": [...], "next_page": null}: every record in one result.`;
  const size = pageSizeParam ? ` Use ${pageSizeParam} to choose the page size.` : '';
  return (
    `${base} Results are paginated: returns {"records": [...], "next_page": "..." | null}. ` +
    `While next_page is not null, call again with ${cursorParam} set to next_page (and the same other arguments) to get the next page.${size}`
  );
}

function inputSchema(params: Record<string, ParamSpec>, cursorParam: string | undefined, schemas: Record<string, JsonSchema>): ToolInputSchema {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  // Shared schemas the parameters reach, written once under $defs: one self-contained document.
  const defs: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(params)) {
    const prop: Record<string, unknown> = { type: p.type };
    for (const k of ['items', 'properties', 'additionalProperties', 'minItems', 'maxItems'] as const) {
      if (p[k] !== undefined) prop[k] = refsToDefs(p[k], schemas, defs);
    }
    if (p.schema) Object.assign(prop, refsToDefs(p.schema, schemas, defs));
    let description = p.description ?? '';
    if (name === cursorParam) description = `${sentence(description)} Pass the next_page of the previous result; omit it for the first page.`.trim();
    if (description) prop.description = description;
    if (p.enum) prop.enum = [...p.enum];
    if (p.minimum !== undefined) prop.minimum = p.minimum;
    if (p.maximum !== undefined) prop.maximum = p.maximum;
    // An empty path segment would address another resource: the runtime refuses it too.
    const minLength = p.minLength ?? (p.in === 'path' && p.type === 'string' ? 1 : undefined);
    if (minLength !== undefined) prop.minLength = minLength;
    if (p.maxLength !== undefined) prop.maxLength = p.maxLength;
    if (p.pattern !== undefined) prop.pattern = p.pattern;
    if (p.default !== undefined) prop.default = p.default;
    properties[name] = prop;
    if (p.required) required.push(name);
  }
  const schema: ToolInputSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length) schema.required = required;
  if (Object.keys(defs).length) schema.$defs = defs;
  return schema;
}

/** `per_page (integer, 1..150), starting_after (string)`: the params of a tool, for error messages. */
export function describeParams(params: Record<string, ParamSpec>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return 'none (call it with {})';
  return entries
    .map(([name, p]) => {
      const bits: string[] = [p.type];
      if (p.required) bits.push('required');
      if (p.enum) bits.push(`one of ${p.enum.map((v) => JSON.stringify(v)).join('|')}`);
      if (p.minimum !== undefined || p.maximum !== undefined) bits.push(`${p.minimum ?? ''}..${p.maximum ?? ''}`);
      return `${name} (${bits.join(', ')})`;
    })
    .join(', ');
}
