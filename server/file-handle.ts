/**
 * NFSv3 file handles (RFC 1813 section 2.4: opaque, at most 64 bytes, valid across restarts).
 *
 * A handle names an object's stable identity, never a path, so it survives copy-up, renames and
 * server restarts. 32 bytes (also a valid MOUNT v1 fhandle):
 *
 *   0  version (the MAC scheme)   1  reserved (0)   2..3  reserved (0)
 *   4..7   export id      8..15  fileid          16..19  generation (the union's epoch)
 *   20..31 MAC of bytes 4..19 under the export's key, first 12 bytes
 *
 * The MAC makes a forged or altered handle fail (BADHANDLE) instead of naming some other object:
 * fileids are predictable, so without it any client could reach any object by guessing.
 *
 * Two schemes; an export keeps the one its key was made for (handle-key.ts), so its handles never
 * change under a mounted client:
 *   1  HMAC-SHA256 of bytes 0..19. Exports created before scheme 2.
 *   2  AES-256 of bytes 4..19, exactly one block: a block cipher is a pseudorandom function on
 *      inputs of its block size, so its truncated output is a MAC for them. Node builds an HMAC
 *      anew for each message (~4 µs, with its garbage: an eighth of a big listing's CPU), where
 *      one long-lived ECB cipher encrypts a whole READDIRPLUS page's blocks in one call (~0.1 µs
 *      a handle).
 */

import { createCipheriv, createHmac, timingSafeEqual, type Cipher } from 'node:crypto';

export const HANDLE_SIZE = 32;
const FIELDS_OFFSET = 4;
const MAC_OFFSET = 20;
const MAC_SIZE = 12;
/** The MAC input of scheme 2: export id, fileid, generation (one AES block). */
const BLOCK = MAC_OFFSET - FIELDS_OFFSET;

export type HandleScheme = 1 | 2;
export const HANDLE_SCHEMES: readonly HandleScheme[] = [1, 2];

export interface HandleFields {
  exportId: number;
  fileid: bigint;
  generation: number;
}

/** What an export's handles are made with (handle-key.ts keeps it). */
export interface HandleKey {
  /** Random 32-bit id naming the export inside every handle (also its fsid). */
  exportId: number;
  /** 32 bytes. */
  key: Buffer;
  scheme: HandleScheme;
}

/** Read the unauthenticated fields of a handle, or undefined if it cannot be one of ours. */
export function peekHandle(fh: Buffer): HandleFields | undefined {
  if (fh.length !== HANDLE_SIZE || !HANDLE_SCHEMES.includes(fh[0] as HandleScheme) || fh[1] !== 0 || fh.readUInt16BE(2) !== 0) {
    return undefined;
  }
  return { exportId: fh.readUInt32BE(4), fileid: fh.readBigUInt64BE(8), generation: fh.readUInt32BE(16) };
}

/** Makes and checks the handles of one export. */
export class HandleCodec {
  private readonly exportId: number;
  private readonly scheme: HandleScheme;
  private readonly key: Buffer;
  /** Scheme 2's cipher: ECB without padding keeps no state between blocks, so it lives on. */
  private readonly cipher: Cipher | undefined;

  constructor({ exportId, key, scheme }: HandleKey) {
    this.exportId = exportId;
    this.scheme = scheme;
    this.key = key;
    if (scheme === 2) {
      this.cipher = createCipheriv('aes-256-ecb', key, null);
      this.cipher.setAutoPadding(false);
    }
  }

  encode(fileid: bigint, generation: number): Buffer {
    return this.encodeMany([fileid], generation)[0];
  }

  /**
   * The handles of `fileids`, their MACs computed together (one cipher call under scheme 2). Built
   * byte by byte in two buffers: Buffer's copy and BigInt writers each allocate, and a listing
   * makes a handle per entry.
   */
  encodeMany(fileids: readonly bigint[], generation: number): Buffer[] {
    const n = fileids.length;
    const blocks = Buffer.allocUnsafe(BLOCK * n);
    const fields = new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength);
    for (let i = 0; i < n; i++) {
      fields.setUint32(i * BLOCK, this.exportId);
      fields.setBigUint64(i * BLOCK + 4, fileids[i]);
      fields.setUint32(i * BLOCK + 12, generation >>> 0);
    }
    const macs = this.cipher?.update(blocks);
    const all = Buffer.allocUnsafe(HANDLE_SIZE * n);
    const handles = new Array<Buffer>(n);
    for (let i = 0; i < n; i++) {
      const at = i * HANDLE_SIZE;
      all[at] = this.scheme;
      all[at + 1] = all[at + 2] = all[at + 3] = 0;
      copyBytes(blocks, i * BLOCK, all, at + FIELDS_OFFSET, BLOCK);
      if (macs) copyBytes(macs, i * BLOCK, all, at + MAC_OFFSET, MAC_SIZE);
      handles[i] = all.subarray(at, at + HANDLE_SIZE);
    }
    if (!macs) for (const fh of handles) copyBytes(this.hmac(fh), 0, fh, MAC_OFFSET, MAC_SIZE);
    return handles;
  }

  /**
   * True when `fh` (already peeked as this export's) is of this export's scheme and carries a
   * valid MAC, compared in constant time. ServedExport.authentic answers most calls from its MAC
   * memo first.
   */
  verify(fh: Buffer): boolean {
    if (fh.length !== HANDLE_SIZE || fh[0] !== this.scheme) return false;
    const mac = this.cipher ? this.cipher.update(fh.subarray(FIELDS_OFFSET, MAC_OFFSET)) : this.hmac(fh);
    return timingSafeEqual(mac.subarray(0, MAC_SIZE), fh.subarray(MAC_OFFSET, MAC_OFFSET + MAC_SIZE));
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
    fh[0] = this.scheme;
    fh[1] = 0;
    fh.writeUInt16BE(0, 2);
    fh.writeUInt32BE(this.exportId, 4);
    fh.writeBigUInt64BE(fileid, 8);
    fh.writeUInt32BE(generation >>> 0, 16);
  }

  /** Scheme 1's MAC: over the version byte too, as handles of that scheme always had it. */
  private hmac(fh: Buffer): Buffer {
    return createHmac('sha256', this.key).update(fh.subarray(0, MAC_OFFSET)).digest();
  }
}

function copyBytes(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number, length: number): void {
  for (let k = 0; k < length; k++) to[toAt + k] = from[fromAt + k];
}
