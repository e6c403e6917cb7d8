// ../shared, the folder beside this checkout that holds the shared specs (the Intercom
// reference, the reference system's connector specs). Tests that compare against it skip
// without it on a developer's machine, saying so; in CI (CI set, as .ci/run sets it) a
// missing folder is a failure: a skip there would pass the suite without checking anything.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const SHARED = join(fileURLToPath(new URL('../../..', import.meta.url)), 'shared');

/** Whether this run is CI's: CI set to anything but empty, 0 or false. */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * True when `path` (in ../shared) exists. Otherwise: in CI, fails the test, naming what is
 * missing and where it is expected; elsewhere, skips it with that reason and returns false.
 */
export function requireShared(t: TestContext, path: string, what: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(path)) return true;
  const missing = `${what} is not at ${path} (expected in ../shared, the folder beside this checkout: ${SHARED})`;
  if (inCi(env)) assert.fail(`${missing}. CI must provide it: check out the shared specs beside the repository. Without CI set, this test is skipped instead.`);
  t.skip(`${missing}; skipped (with CI set, this fails)`);
  return false;
}
