/**
 * A stub that answers just enough ONC RPC for the guest kernel to mount an empty directory over
 * NFSv3 and list it. It exists to prove the guest harness end to end (and to show which calls a
 * real client makes) before the real server exists; it is not a server. MOUNT and NFS share one
 * TCP port, as they will on ours. Anything it does not know gets PROG_UNAVAIL / PROC_UNAVAIL.
 */

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const MOUNT_PROGRAM = 100005;
const NFS_PROGRAM = 100003;

const ACCEPT_SUCCESS = 0;
const ACCEPT_PROG_UNAVAIL = 1;
const ACCEPT_PROC_UNAVAIL = 3;

/** The one file handle we hand out: the root directory. */
const ROOT_HANDLE = Buffer.from('fallthru-stub-root');
const ROOT_FILEID = 1n;

export interface StubCall {
  program: number;
  version: number;
  procedure: number;
  /** Host-side view of the client's source port. */
  sourcePort: number;
}

export interface StubNfsServer {
  port: number;
  /** Every call received, in order. */
  calls: StubCall[];
  close(): Promise<void>;
}

/** Minimal XDR writer: big-endian words, 8-byte hypers, padded opaques. */
class Words {
  private readonly parts: Buffer[] = [];
  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.parts.push(b);
    return this;
  }
  opaque(data: Buffer): this {
    this.u32(data.length);
    this.parts.push(data, Buffer.alloc((4 - (data.length % 4)) % 4));
    return this;
  }
  bytes(data: Buffer): this {
    this.parts.push(data);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** fattr3 of the root: a 0777 directory owned by root. */
function rootAttributes(w: Words): Words {
  const now = BigInt(Math.floor(Date.now() / 1000)) << 32n; // nfstime3: seconds, nanoseconds
  return w
    .u32(2) // NF3DIR
    .u32(0o777)
    .u32(2) // nlink
    .u32(0) // uid
    .u32(0) // gid
    .u64(4096n) // size
    .u64(4096n) // used
    .u32(0)
    .u32(0) // rdev
    .u64(0x5354n) // fsid
    .u64(ROOT_FILEID)
    .u64(now)
    .u64(now)
    .u64(now);
}

const postOpRootAttributes = (w: Words): Words => rootAttributes(w.u32(1));

/** Result body for a procedure, or undefined for PROC_UNAVAIL. `args` follows the RPC header. */
function answer(program: number, procedure: number, args: Buffer): Buffer | undefined {
  const w = new Words();
  if (procedure === 0) return w.build(); // NULL, for both programs
  if (program === MOUNT_PROGRAM && procedure === 1) {
    // MNT: status OK, the root handle, AUTH_UNIX only.
    return w.u32(0).opaque(ROOT_HANDLE).u32(1).u32(1).build();
  }
  if (program !== NFS_PROGRAM) return undefined;
  switch (procedure) {
    case 1: // GETATTR
      return rootAttributes(w.u32(0)).build();
    case 4: // ACCESS: grant whatever was asked (the word after the handle)
      return postOpRootAttributes(w.u32(0)).u32(args.readUInt32BE(4 + roundUp4(args.readUInt32BE(0)))).build();
    case 17: // READDIRPLUS: empty directory
      return postOpRootAttributes(w.u32(0)).u64(0n).u32(0).u32(1).build();
    case 18: // FSSTAT
      postOpRootAttributes(w.u32(0));
      for (let i = 0; i < 6; i++) w.u64(1n << 30n);
      return w.u32(0).build();
    case 19: // FSINFO
      postOpRootAttributes(w.u32(0)).u32(65536).u32(65536).u32(4096).u32(65536).u32(65536).u32(4096).u32(65536);
      return w.u64(1n << 40n).u32(0).u32(1).u32(0x1b).build(); // maxfilesize, time_delta 1ns, LINK|SYMLINK|HOMOGENEOUS|CANSETTIME
    case 20: // PATHCONF
      return postOpRootAttributes(w.u32(0)).u32(32000).u32(255).u32(1).u32(0).u32(0).u32(1).build();
    default:
      return undefined;
  }
}

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}

function reply(xid: number, acceptStat: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const message = new Words().u32(xid).u32(1).u32(0).u32(0).u32(0).u32(acceptStat).bytes(body).build();
  return new Words().u32((0x80000000 | message.length) >>> 0).bytes(message).build();
}

/** Handles one complete RPC call message (record marker already removed). */
function handleCall(message: Buffer, socket: Socket, calls: StubCall[]): void {
  const xid = message.readUInt32BE(0);
  const program = message.readUInt32BE(12);
  const version = message.readUInt32BE(16);
  const procedure = message.readUInt32BE(20);
  calls.push({ program, version, procedure, sourcePort: socket.remotePort ?? 0 });
  // Skip credential and verifier (flavor, opaque body) to reach the arguments.
  let offset = 24;
  for (let i = 0; i < 2; i++) offset += 8 + roundUp4(message.readUInt32BE(offset + 4));
  const known = (program === MOUNT_PROGRAM && version === 3) || (program === NFS_PROGRAM && version === 3);
  if (!known) {
    socket.write(reply(xid, ACCEPT_PROG_UNAVAIL));
    return;
  }
  const body = answer(program, procedure, message.subarray(offset));
  socket.write(body ? reply(xid, ACCEPT_SUCCESS, body) : reply(xid, ACCEPT_PROC_UNAVAIL));
}

export async function startStubNfsServer(): Promise<StubNfsServer> {
  const calls: StubCall[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let fragments: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const marker = pending.readUInt32BE(0);
        const length = marker & 0x7fffffff;
        if (pending.length < 4 + length) break;
        fragments.push(pending.subarray(4, 4 + length));
        pending = pending.subarray(4 + length);
        if (marker & 0x80000000) {
          handleCall(Buffer.concat(fragments), socket, calls);
          fragments = [];
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
