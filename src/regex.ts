import type * as Re2 from 're2-wasm';
import { lazy } from './lazy.js';

/**
 * The one place manifest patterns run: RE2 (compiled to WebAssembly), whose matching time is
 * linear in the input whatever the pattern, so no pattern (`^(a+)+$`) and no input can stall
 * a host. It has no lookaround and no backreferences; the loader refuses those by name.
 * Loaded on first use: manifests without patterns never pay for it.
 */
const re2 = lazy<typeof Re2>('re2-wasm');

export interface Pattern {
  test(text: string): boolean;
}

/** A compiled pattern; throws a SyntaxError naming what RE2 cannot do. */
export function compilePattern(source: string): Pattern {
  return new (re2().RE2)(source, 'u');
}

/** Why a pattern cannot be used, or undefined when it can. */
export function patternIssue(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (err) {
    const detail = (err as Error).message.replace(/^Invalid regular expression: \/.*\/u: /, '');
    return `${JSON.stringify(source)} is not a pattern this engine runs (${detail}). Patterns run in linear time (RE2 syntax): no lookaround (?=, ?!) and no backreferences (\\1)`;
  }
}

/** A factory for ajv's `code.regExp` option: record schemas validate with the same engine. */
export const regExpEngine = Object.assign((pattern: string, flags: string): Pattern => new (re2().RE2)(pattern, flags.includes('u') ? flags : `${flags}u`), {
  // ajv's standalone code names the engine; the engine never writes standalone code.
  code: 'require("re2-wasm").RE2',
});
