/**
 * MCP tools over a context store: one `<entity>_store_search` per synced entity. They read
 * the local copy that `sync` keeps (no request upstream, no rate limit spent) and every
 * answer says how fresh it is, so an agent can tell a stale answer from a live one.
 */
import { isConnectorError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { compileProjection, WHOLE_RECORD } from '../response/project.js';
import type { ContextStore, StoreFilter, StoreQuery } from '../store/types.js';
import { syncedEntities, syncedRecord } from '../sync/sync.js';
import { recordsThatFit } from './budget.js';
import type { CallToolResult, ToolCaller } from './server.js';
import type { ToolDefinition } from './tools.js';

const FILTER_HELP =
  'A filter { "field": "email", "operator": "~", "value": "example.com" } or a group { "operator": "AND" | "OR", "value": [filters or groups] }. ' +
  'Fields are dotted paths of the record ("custom_attributes.plan"). Operators: =, !=, IN, NIN (lists), >, <, >=, <= (numbers; timestamps are Unix seconds, compared exactly), ~, !~, ^, $ (strings: contains, not, starts, ends). Strings match ignoring case.';

interface StoreTool {
  definition: ToolDefinition;
  entity: string;
  defaultFields: string[] | undefined;
  project: (fields: unknown) => ((r: Record<string, unknown>) => Record<string, unknown>) | undefined;
}

/** The store tools of a manifest: one per entity that declares a sync. */
export function buildStoreTools(manifest: Manifest): StoreTool[] {
  return syncedEntities(manifest).map(([entity]) => {
    const { record } = syncedRecord(manifest, entity)!;
    const defaultFields = manifest.entities[entity]!.agent_fields;
    const name = `${entity}_store_search`;
    return {
      entity,
      defaultFields,
      project: (fields) => compileProjection(fields, record, manifest.schemas, name),
      definition: {
        name,
        title: `Search the local copy of ${manifest.entities[entity]!.title ?? entity}`,
        description:
          `Searches the local copy of ${entity} that sync keeps: fast, and no request upstream. The copy may lag: each answer's freshness says when its oldest record was synced (oldest_record_synced_at) and the last checkpoint. ` +
          `Use the live tools when the answer must be current to the minute. Returns {"data": [...], "next_cursor": "..." | null, "freshness": {...}}; while next_cursor is not null, call again with cursor set to it.`,
        inputSchema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            where: { type: 'object', description: FILTER_HELP },
            sort: { type: 'object', additionalProperties: false, required: ['field'], properties: { field: { type: 'string' }, order: { type: 'string', enum: ['ascending', 'descending'] } } },
            limit: { type: 'integer', minimum: 1, maximum: 100, description: 'Records per answer (default 20).' },
            cursor: { type: 'string', description: 'The next_cursor of the previous answer to the same search.' },
            fields: { type: 'array', items: { type: 'string' }, description: `Fields to return, as dotted paths; ["${WHOLE_RECORD}"] for whole records.${defaultFields ? ` Default: ${defaultFields.join(', ')}.` : ''}` },
          },
        },
        outputSchema: {
          type: 'object',
          required: ['data', 'next_cursor', 'freshness'],
          properties: {
            data: { type: 'array', items: { type: 'object' } },
            next_cursor: { type: ['string', 'null'] },
            freshness: { type: 'object', description: 'oldest_record_synced_at, checkpoint, last_synced_at' },
            note: { type: 'string' },
          },
        },
        annotations: { title: `Search the local copy of ${entity}`, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
    };
  });
}

/**
 * Answers store tool calls within the output budget: a page that does not fit keeps the
 * records that do, and its next_cursor goes on right after them (nothing skipped).
 */
export function storeToolCaller(tools: StoreTool[], store: () => Promise<ContextStore>, caller: Pick<ToolCaller, 'budget' | 'answer' | 'refusal'>) {
  const byName = new Map(tools.map((t) => [t.definition.name, t]));
  const budget = caller.budget;
  return {
    has: (name: string) => byName.has(name),
    async call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
      const tool = byName.get(name)!;
      try {
        const fields = args.fields ?? tool.defaultFields;
        const project = tool.project(fields);
        const query: StoreQuery = { where: args.where as StoreFilter | undefined, sort: args.sort as StoreQuery['sort'], cursor: args.cursor as string | undefined };
        const s = await store();
        const search = async (limit: number, note?: string) => {
          const answer = await s.search(tool.entity, { ...query, limit });
          const out: Record<string, unknown> = { ...answer, data: project ? answer.data.map(project) : answer.data, ...(note ? { note } : {}) };
          return { out, text: JSON.stringify(out) };
        };
        const first = await search(args.limit === undefined ? 20 : (args.limit as number));
        if (Buffer.byteLength(first.text) <= budget) return caller.answer(first.out, first.text);
        // The records that fit, searched again for the cursor that starts right after the last one kept.
        const keep = recordsThatFit(first.out.data as unknown[], { ...first.out, data: [] }, budget);
        const cut =
          keep > 0
            ? await search(keep, `Only ${keep} records fit this server's output budget of ${budget} bytes; next_cursor continues right after them. Ask for fewer fields to get more per answer.`)
            : // One record larger than the budget: it comes whole (the store cannot send half a record), and the note says so.
              await search(1, `This record alone is larger than this server's output budget of ${budget} bytes, so the answer is over it; next_cursor continues right after it. Ask for fewer fields.`);
        return caller.answer(cut.out, cut.text);
      } catch (err) {
        const message = isConnectorError(err) || err instanceof Error ? err.message : String(err);
        return caller.refusal(`Error [${isConnectorError(err) ? err.code : 'STORE_ERROR'}]: ${message}`);
      }
    },
  };
}
