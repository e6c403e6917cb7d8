/**
 * Types that key an operation's params and result by entity and action, the way octokit
 * keys them by route. Codegen emits one `Operations` map per manifest; without one, the
 * runtime accepts any entity and action, loosely typed.
 */

export interface ListMeta {
  /** Pass back as the cursor parameter to get the next page; null on the last page. */
  next_page: string | null;
  /** How many records the whole list holds, when the API says. */
  total_count?: number;
  /**
   * True when this page came from a request the API answers only once (a scroll moves on with
   * each request): the page cannot be fetched again, and next_page may be sent only once, in
   * order. A stop in the middle of such a page resumes only by starting the list over.
   */
  once?: true;
}

export interface ListResult<R> {
  data: R[];
  meta: ListMeta;
}

export interface GetResult<R> {
  data: R;
}

export interface OperationTypes {
  params: object;
  record: unknown;
  result: unknown;
}

export type OperationMap = { [entity: string]: { [action: string]: OperationTypes } };

type AnyRecord = Record<string, unknown>;

/** What an operation looks like when no generated map says more. */
export interface UntypedOperation {
  params: AnyRecord;
  record: AnyRecord;
  result: { data: AnyRecord[] | AnyRecord; meta?: ListMeta };
}

export type UntypedOperations = { [entity: string]: { [action: string]: UntypedOperation } };

/** `params` may be left out when the operation has no required parameter. */
export type ParamsArg<P> = {} extends P ? { params?: P } : { params: P };

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type EntityOf<Ops> = keyof Ops & string;
export type ActionOf<Ops, E extends keyof Ops> = keyof Ops[E] & string;
type Op<Ops, E extends keyof Ops, A extends keyof Ops[E]> = Ops[E][A] extends OperationTypes ? Ops[E][A] : never;

export type ParamsOf<Ops, E extends keyof Ops, A extends keyof Ops[E]> = Op<Ops, E, A>['params'];
export type ResultOf<Ops, E extends keyof Ops, A extends keyof Ops[E]> = Op<Ops, E, A>['result'];
export type RecordOf<Ops, E extends keyof Ops, A extends keyof Ops[E]> = Op<Ops, E, A>['record'];

/** The actions of an entity that return pages (their result has `meta`). */
export type ListActionOf<Ops, E extends keyof Ops> = {
  [A in keyof Ops[E]]: Op<Ops, E, A>['result'] extends { meta?: ListMeta } ? A : never;
}[keyof Ops[E]] &
  string;

export type OperationRequest<Ops, E extends keyof Ops, A extends keyof Ops[E]> = {
  entity: E;
  action: A;
} & ParamsArg<ParamsOf<Ops, E, A>> &
  CallOptions;
