/**
 * Seeded generator of RPC call records for the fuzz test: well-formed calls with a known expected
 * status (SUCCESS, every accept/reject error), and mutations of them (truncation, junk, flipped
 * bytes, lying lengths, bad discriminants, pure noise) whose outcome is only "never crash, and any
 * reply must be well formed".
 */

import { AuthFlavor } from '../../protocol/rpc/index.js';
import { ECHO_MAX, TEST_PROGRAM, TEST_VERSION_HIGH, TEST_VERSION_LOW, TestProc } from './rpc-test-program.js';
import { xdrWords } from './rpc-raw.js';

/** mulberry32: small, fast, good enough for test data, and reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export interface FuzzRecord {
  body: Buffer;
  /** describeReply() text the server must answer with; undefined when mutated (any reply, or none). */
  expect?: string;
  /** For a well-formed ECHO: the bytes that must come back. */
  echo?: Buffer;
}

/** Procedures of the test program that finish without timers or huge replies. */
export const FUZZ_PROCEDURES: readonly number[] = [TestProc.NULL, TestProc.ECHO, TestProc.UNION, TestProc.HYPERS, TestProc.THROW, TestProc.REJECT, TestProc.WHOAMI];

export class FuzzRecords {
  private readonly rnd: () => number;

  constructor(
    seed: number,
    private xid: number,
  ) {
    this.rnd = seededRandom(seed);
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  private bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  private padded(b: Buffer): Buffer {
    return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  }

  private opaque(b: Buffer): Buffer {
    return Buffer.concat([xdrWords(b.length), this.padded(b)]);
  }

  /** A credential and the status it forces (undefined: acceptable). */
  private credential(): { bytes: Buffer; deny?: string } {
    const r = this.int(10);
    if (r < 5) return { bytes: xdrWords(AuthFlavor.AUTH_NONE, 0) };
    if (r < 8) {
      const gids = Array.from({ length: this.int(17) }, () => this.int(70000));
      const name = this.padded(Buffer.from('host' + this.int(1000)));
      const body = Buffer.concat([xdrWords(this.int(1 << 30), name.length), name, xdrWords(this.int(70000), this.int(70000), gids.length, ...gids)]);
      // The name was padded with NULs inside its declared length: still a valid AUTH_SYS body.
      return { bytes: Buffer.concat([xdrWords(AuthFlavor.AUTH_SYS), this.opaque(body)]) };
    }
    if (r < 9) return { bytes: Buffer.concat([xdrWords(AuthFlavor.AUTH_SYS), this.opaque(this.bytes(this.int(40)))]), deny: 'maybe' };
    return { bytes: Buffer.concat([xdrWords(this.pick([AuthFlavor.AUTH_DH, AuthFlavor.RPCSEC_GSS, 77])), this.opaque(this.bytes(this.int(20)))]), deny: 'AUTH_ERROR AUTH_BADCRED' };
  }

  /** Arguments for a procedure: valid (with the expected status) or deliberately garbage. */
  private args(proc: number): { bytes: Buffer; expect: string; echo?: Buffer } {
    const garbage = this.int(5) === 0;
    switch (proc) {
      case TestProc.ECHO: {
        if (garbage) return { bytes: xdrWords(ECHO_MAX + 1 + this.int(1000)), expect: 'GARBAGE_ARGS' };
        const data = this.bytes(this.int(ECHO_MAX + 1));
        return { bytes: this.opaque(data), expect: 'SUCCESS', echo: data };
      }
      case TestProc.UNION: {
        if (garbage) return { bytes: xdrWords(4 + this.int(100), 0, 0), expect: 'GARBAGE_ARGS' };
        const kind = 1 + this.int(3);
        const arm = kind === 1 ? xdrWords(this.int(1 << 30)) : kind === 2 ? this.opaque(Buffer.from('s'.repeat(this.int(33)))) : this.bytes(8);
        return { bytes: Buffer.concat([xdrWords(kind), arm]), expect: 'SUCCESS' };
      }
      case TestProc.HYPERS:
        return garbage ? { bytes: this.bytes(this.int(24)), expect: 'GARBAGE_ARGS' } : { bytes: this.bytes(24), expect: 'SUCCESS' };
      case TestProc.THROW:
      case TestProc.REJECT:
        return { bytes: Buffer.alloc(0), expect: 'SYSTEM_ERR' };
      default:
        return { bytes: Buffer.alloc(0), expect: 'SUCCESS' };
    }
  }

  /** A well-formed call with a known outcome. */
  wellFormed(): FuzzRecord {
    const xid = this.xid++ >>> 0;
    const route = this.int(20);
    let program = TEST_PROGRAM;
    let version = this.int(2) ? TEST_VERSION_LOW : TEST_VERSION_HIGH;
    let proc: number = this.pick(FUZZ_PROCEDURES);
    let routeExpect: string | undefined;
    if (route === 0) [program, routeExpect] = [TEST_PROGRAM + 1000 + this.int(1000), 'PROG_UNAVAIL'];
    else if (route === 1) [version, routeExpect] = [this.pick([0, 1, 4, 0xffffffff]), `PROG_MISMATCH ${TEST_VERSION_LOW}..${TEST_VERSION_HIGH}`];
    else if (route === 2) [proc, routeExpect] = [this.pick([9, 10, 1000, 0xffffffff]), 'PROC_UNAVAIL'];
    const cred = this.credential();
    const args = this.args(proc);
    const rpcvers = route === 3 ? 3 : 2;
    const body = Buffer.concat([xdrWords(xid, 0, rpcvers, program, version, proc), cred.bytes, xdrWords(0, 0), args.bytes]);
    // Precedence of the server's checks: rpcvers, credential, routing, arguments.
    let expect: string | undefined =
      rpcvers !== 2 ? 'RPC_MISMATCH 2..2' : cred.deny ?? routeExpect ?? args.expect;
    if (expect === 'maybe') expect = undefined; // random AUTH_SYS bytes might decode
    return { body, expect, echo: expect === 'SUCCESS' ? args.echo : undefined };
  }

  /** A mutation of a well-formed call, or noise. */
  mutated(): FuzzRecord {
    const base = Buffer.from(this.wellFormed().body);
    switch (this.int(7)) {
      case 0: // truncated anywhere
        return { body: base.subarray(0, this.int(base.length)) };
      case 1: // junk appended (tolerated trailing bytes, or garbage after a truncation)
        return { body: Buffer.concat([base.subarray(0, this.int(base.length + 1)), this.bytes(this.int(64))]) };
      case 2: // a few random bytes flipped
        for (let i = 1 + this.int(8); i > 0 && base.length > 0; i--) base[this.int(base.length)] ^= 1 + this.int(255);
        return { body: base };
      case 3: {
        // a word (often a length or discriminant) replaced with an extreme value
        const at = this.int(Math.max(1, base.length >> 2)) * 4;
        if (at + 4 <= base.length) base.writeUInt32BE(this.pick([0, 1, 2, 3, 0x7fffffff, 0xffffffff, 401, 65, 17, base.length]) >>> 0, at);
        return { body: base };
      }
      case 4: // header fields scrambled: msg_type, rpcvers, prog, vers, proc
        if (base.length >= 24) base.writeUInt32BE(this.int(0x1_0000_0000) >>> 0, 4 + 4 * this.int(5));
        return { body: base };
      case 5: // pure noise that may start like a call
        return { body: Buffer.concat([xdrWords(this.xid++, 0, 2), this.bytes(this.int(200))]) };
      default: // pure noise
        return { body: this.bytes(this.int(300)) };
    }
  }

  /** Either kind, mostly mutated. */
  next(): FuzzRecord {
    return this.int(5) < 2 ? this.wellFormed() : this.mutated();
  }
}
