import { ResponseError } from '../errors.js';
import type { RecordValidator } from './validate.js';

/** A record field whose value does not match the manifest's schema, reported once per operation and field. */
export interface SchemaDrift {
  operation: string;
  field: string;
  message: string;
  /** The id of the first record found drifting, when it has one. */
  recordId?: unknown;
}

/** Checks one decoded record of an operation against its schema. */
export type RecordChecks = (op: { name: string }, record: unknown, which: string, status: number) => void;

/**
 * Drift reports: `strict` throws a ResponseError naming the first wrong field; `warn`
 * reports each drifting field once per operation (a runtime's lifetime) and keeps the records.
 */
export function checkRecords(validators: Map<string, RecordValidator>, mode: 'warn' | 'strict', onDrift?: (drift: SchemaDrift) => void): RecordChecks {
  const drifted = new Set<string>();
  const report =
    onDrift ?? ((d: SchemaDrift) => process.emitWarning(`${d.operation}: ${d.message} (record ${JSON.stringify(d.recordId)})`, { code: 'CONNECTOR_SCHEMA_DRIFT' }));
  return (op, record, which, status) => {
    const problems = validators.get(op.name)?.(record);
    if (problems === undefined) return;
    const id = (record as { id?: unknown } | null)?.id;
    if (mode === 'strict') {
      throw new ResponseError(
        `${op.name}: ${which}${id === undefined ? '' : ` (id ${JSON.stringify(id)})`} does not match the manifest's record schema: ${problems[0]!.message}. ` +
          'The API changed, or the manifest declares the field wrongly.',
        { status },
      );
    }
    for (const p of problems) {
      const key = `${op.name}\u0000${p.field}`;
      if (drifted.has(key)) continue;
      drifted.add(key);
      report({ operation: op.name, field: p.field, message: p.message, recordId: id });
    }
  };
}
