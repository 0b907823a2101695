/** Validation of single path components, and the lower-layer whiteout name forms. */

import { fail } from './errors.js';

const MAX_NAME_BYTES = 255;

/** Prefix of whiteout files in image layers (`.wh.<name>`), never shown in the union. */
export const WHITEOUT_PREFIX = '.wh.';
/** Marker that makes a lower directory opaque to the layers below it. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Check a name a caller wants to create or look up. "." and ".." are only valid for lookup
 * (`allowDots`); `/` and NUL never are. Names of the image-layer whiteout form are refused for
 * creation because the union could not show them back when its upper is later used as a lower.
 */
export function checkName(name: string, opts: { allowDots?: boolean; creating?: boolean } = {}): void {
  if (name.length === 0) fail('EINVAL', 'empty name');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) fail('ENAMETOOLONG', 'name longer than 255 bytes');
  if (name.includes('/') || name.includes('\0')) fail('EINVAL', 'name contains / or NUL');
  if ((name === '.' || name === '..') && !opts.allowDots) fail(opts.creating ? 'EEXIST' : 'EINVAL', `"${name}" not allowed here`);
  if (opts.creating && name.startsWith(WHITEOUT_PREFIX)) fail('EINVAL', 'names starting with .wh. are reserved');
}

/** True for directory entries of a lower layer that are whiteout bookkeeping, not content. */
export function isWhiteoutName(name: string): boolean {
  return name.startsWith(WHITEOUT_PREFIX);
}
