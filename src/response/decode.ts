import { compileGetter, type Getter } from '../dotted-path.js';
import { ResponseError } from '../errors.js';
import type { ActionSpec } from '../manifest/types.js';
import type { Normalizer } from './normalize.js';

type Rec = Record<string, unknown>;

/** A 2xx answer in the connector's terms: a page of records, or one record (null for "no content"). */
export type Decoded = { records: Rec[] } | { record: Rec | null };

/** Sees each record once decoded (schema validation); `which` names it in messages. */
export type RecordInspector = (record: unknown, which: string, status: number) => void;

export type Decoder = (status: number, body: unknown, inspect: RecordInspector | undefined) => Decoded;

/**
 * Compiled once per operation: where the records (or the one record) are, reshaped as the
 * record schema says. Lists: `records` (`$` for a bare array); a null or missing collection
 * is an error unless declared `missing: empty`. Single records may sit in an envelope
 * (`unwrap`). 204/205 (no content) is an empty page, or a null record.
 */
export function compileDecoder(name: string, action: Pick<ActionSpec, 'records' | 'unwrap' | 'method'>, normalize: Normalizer | undefined): Decoder {
  const noContent = (status: number, body: unknown) => status === 204 || status === 205 || (body === undefined && action.method !== 'GET');
  if (action.records) {
    const at: Getter = compileGetter(action.records.path);
    const missingIsEmpty = action.records.missing === 'empty';
    return (status, body, inspect) => {
      if (noContent(status, body)) return { records: [] };
      const found = at(body);
      if ((found === undefined || found === null) && missingIsEmpty) return { records: [] };
      if (!Array.isArray(found)) {
        const what = body === undefined ? 'an empty body' : found === undefined ? 'nothing there' : found === null ? 'null' : typeof found;
        throw new ResponseError(
          `${name}: expected the records array at "${action.records!.path}" of the response, found ${what}. ` +
            "The API changed or the manifest's `records` path is wrong" +
            (found === null || found === undefined ? ' (declare `missing: empty` if the API leaves an empty list out).' : '.'),
          { status },
        );
      }
      const records = found as Rec[];
      if (normalize) for (const r of records) if (r !== null && typeof r === 'object') normalize(r);
      if (inspect) records.forEach((r, i) => inspect(r, `record ${i}`, status));
      return { records };
    };
  }
  const unwrap = action.unwrap ? compileGetter(action.unwrap) : undefined;
  return (status, body, inspect) => {
    if (noContent(status, body)) return { record: null };
    const value = unwrap ? unwrap(body) : body;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const where = unwrap ? ` at "${action.unwrap}"` : '';
      throw new ResponseError(
        `${name}: expected a JSON object${where}, got ${value === undefined ? (body === undefined ? 'an empty body' : 'nothing') : Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.` +
          (unwrap ? " The API changed or the manifest's `unwrap` path is wrong." : ''),
        { status },
      );
    }
    normalize?.(value as Rec);
    inspect?.(value, 'the record', status);
    return { record: value as Rec };
  };
}
