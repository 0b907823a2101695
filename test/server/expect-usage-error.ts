import type { Test } from 'tap';
import { UsageError } from '../../server/config-values.js';

/** Assert that `fn` throws a UsageError whose message is one line matching `message`. */
export function expectUsageError(t: Test, fn: () => unknown, message: RegExp, what = String(message)): void {
  try {
    fn();
    t.fail(`${what}: no error`);
  } catch (e) {
    t.ok(e instanceof UsageError, `${what}: a UsageError`);
    t.notMatch((e as Error).message, /\n/, `${what}: one line`);
    t.match((e as Error).message, message, what);
  }
}
