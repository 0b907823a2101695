/** Helpers shared by the server tests (not a test file: tap runs *.test.js only). */

import type { Test } from 'tap';
import { DEFAULTS, type ExportConfig } from '../../server/config.js';
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

/** The export a user gets by giving only its layers. */
export function defaultExport(layers: Pick<ExportConfig, 'lowers' | 'upper' | 'work'>): ExportConfig {
  return {
    path: DEFAULTS.export,
    ...layers,
    readOnly: false,
    squash: DEFAULTS.squash,
    anonUid: DEFAULTS.anonUid,
    anonGid: DEFAULTS.anonGid,
    allow: [],
    secure: false,
    async: false,
  };
}
