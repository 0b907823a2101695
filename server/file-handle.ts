/**
 * NFSv3 file handles (RFC 1813 section 2.4: opaque, at most 64 bytes, valid across restarts).
 *
 * A handle names an object's stable identity, never a path, so it survives copy-up, renames and
 * server restarts. 32 bytes (also a valid MOUNT v1 fhandle):
 *
 *   0  version (1)        1  reserved (0)        2..3  reserved (0)
 *   4..7   export id      8..15  fileid          16..19  generation (the union's epoch)
 *   20..31 MAC: HMAC-SHA256(export key, bytes 0..19), first 12 bytes
 *
 * The MAC makes a forged or altered handle fail (BADHANDLE) instead of naming some other object:
 * fileids are predictable, so without it any client could reach any object by guessing.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

export const HANDLE_SIZE = 32;
const VERSION = 1;
const MAC_OFFSET = 20;
const MAC_SIZE = 12;

export interface HandleFields {
  exportId: number;
  fileid: bigint;
  generation: number;
}

/** Read the unauthenticated fields of a handle, or undefined if it cannot be one of ours. */
export function peekHandle(fh: Buffer): HandleFields | undefined {
  if (fh.length !== HANDLE_SIZE || fh[0] !== VERSION || fh[1] !== 0 || fh.readUInt16BE(2) !== 0) return undefined;
  return { exportId: fh.readUInt32BE(4), fileid: fh.readBigUInt64BE(8), generation: fh.readUInt32BE(16) };
}

/** Makes and checks the handles of one export. */
export class HandleCodec {

  constructor(
    private readonly exportId: number,
    private readonly key: Buffer,
  ) {}

  encode(fileid: bigint, generation: number): Buffer {
    const fh = Buffer.allocUnsafe(HANDLE_SIZE);
    this.writeFields(fh, fileid, generation);
    this.mac(fh).copy(fh, MAC_OFFSET, 0, MAC_SIZE);
    return fh;
  }

  /**
   * True when `fh` (already peeked as this export's) carries a valid MAC: an HMAC and a
   * constant-time compare. ServedExport.authentic answers most calls from its MAC memo first.
   */
  verify(fh: Buffer): boolean {
    if (fh.length !== HANDLE_SIZE) return false;
    return timingSafeEqual(this.mac(fh).subarray(0, MAC_SIZE), fh.subarray(MAC_OFFSET, MAC_OFFSET + MAC_SIZE));
  }

  /**
   * Word `i` (0 or 1) of a handle's MAC, read as a 48-bit number (exact in a double), for memos
   * that keep handles as rows of numbers rather than as Buffers (see ServedExport.handleOf).
   */
  static macWord(fh: Buffer, i: 0 | 1): number {
    return fh.readUIntBE(MAC_OFFSET + 6 * i, 6);
  }

  /** The handle `encode` made, rebuilt from its MAC words without computing the MAC again. */
  withMac(fileid: bigint, generation: number, hi: number, lo: number): Buffer {
    const fh = Buffer.allocUnsafe(HANDLE_SIZE);
    this.writeFields(fh, fileid, generation);
    fh.writeUIntBE(hi, MAC_OFFSET, 6);
    fh.writeUIntBE(lo, MAC_OFFSET + 6, 6);
    return fh;
  }

  private writeFields(fh: Buffer, fileid: bigint, generation: number): void {
    fh[0] = VERSION;
    fh[1] = 0;
    fh.writeUInt16BE(0, 2);
    fh.writeUInt32BE(this.exportId, 4);
    fh.writeBigUInt64BE(fileid, 8);
    fh.writeUInt32BE(generation >>> 0, 16);
  }

  private mac(fh: Buffer): Buffer {
    return createHmac('sha256', this.key).update(fh.subarray(0, MAC_OFFSET)).digest();
  }
}
