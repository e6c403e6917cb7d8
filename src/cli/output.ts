import { once } from 'node:events';
import { renderType } from '../manifest/render-type.js';
import { resolveSchema } from '../manifest/resolve-schema.js';
import type { JsonSchema } from '../manifest/types.js';

export type Format = 'json' | 'jsonl' | 'table';

/** Writes to a stream, waiting when it is full: memory stays flat however fast records come. */
export class Sink {
  constructor(readonly stream: NodeJS.WritableStream) {}

  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}

/** Prints records in one format, all at once or as they stream in. */
export interface RecordWriter {
  records(records: readonly Record<string, unknown>[]): Promise<void>;
  end(): Promise<void>;
}

const MAX_COLUMNS = 6;
const PREFERRED = ['id', 'name', 'title', 'email', 'state', 'role', 'created_at', 'updated_at'];
const MAX_WIDTH = 32;

/** The columns of a table: the id, then the record's first scalar fields. */
export function tableColumns(record: JsonSchema | undefined, schemas: Record<string, JsonSchema>): string[] {
  if (!record) return [];
  const props = (resolveSchema(record, schemas).properties ?? {}) as Record<string, JsonSchema>;
  const scalar = Object.entries(props)
    .filter(([, s]) => /^(string|integer|number|boolean)( \| null)?$/.test(renderType(s, schemas)))
    .map(([name]) => name)
    .filter((name) => name !== 'type');
  // Fields a person looks for first, when the record has them; then the others in order.
  const first = PREFERRED.filter((c) => scalar.includes(c));
  return [...first, ...scalar.filter((c) => !first.includes(c))].slice(0, MAX_COLUMNS);
}

export function recordWriter(format: Format, sink: Sink, columns: string[], stream: boolean): RecordWriter {
  if (format === 'jsonl') {
    return {
      records: (rs) => sink.write(rs.map((r) => `${JSON.stringify(r)}\n`).join('')),
      end: async () => {},
    };
  }
  if (format === 'json') {
    // A JSON array written piece by piece: valid JSON without holding every record.
    let first = true;
    return {
      records: async (rs) => {
        if (rs.length === 0) return;
        const body = rs.map((r) => JSON.stringify(r)).join(',\n  ');
        await sink.write(`${first ? '[\n  ' : ',\n  '}${body}`);
        first = false;
      },
      end: () => sink.write(first ? '[]\n' : '\n]\n'),
    };
  }
  let widths: number[] | undefined;
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return s.length > MAX_WIDTH ? `${s.slice(0, MAX_WIDTH - 1)}…` : s;
  };
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths![i]!)).join('  ').trimEnd()}\n`;
  return {
    async records(rs) {
      if (rs.length === 0) return;
      if (!widths) {
        // The first batch sets the widths: a stream cannot look ahead.
        widths = columns.map((c) => Math.min(MAX_WIDTH, Math.max(c.length, ...rs.map((r) => cell(r[c]).length))));
        await sink.write(line(columns) + line(widths.map((w) => '-'.repeat(w))));
      }
      await sink.write(rs.map((r) => line(columns.map((c) => cell(r[c])))).join(''));
    },
    end: async () => {
      if (!widths && !stream) await sink.write('(no records)\n');
    },
  };
}
