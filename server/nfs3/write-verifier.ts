/**
 * The WRITE/COMMIT verifier (RFC 1813 section 3.3.7). Constant for one server instance and
 * different after every start, so a client whose UNSTABLE writes were lost in a crash notices and
 * resends them. It also changes after a failed flush: data acknowledged as unstable may then be
 * gone, and only a new verifier makes clients write it again.
 */

import { randomBytes } from 'node:crypto';

export class WriteVerifier {
  private current = WriteVerifier.fresh();

  get value(): Buffer {
    return this.current;
  }

  /** After a failed fsync: every earlier unstable write must be resent. */
  rotate(): void {
    this.current = WriteVerifier.fresh();
  }

  // Start time in seconds plus 32 random bits: unique across restarts even with a clock set backwards.
  private static fresh(): Buffer {
    const v = randomBytes(8);
    v.writeUInt32BE((Date.now() / 1000) >>> 0, 0);
    return v;
  }
}
