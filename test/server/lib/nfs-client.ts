/**
 * A typed NFSv3 + MOUNT client for tests, built on RpcClient and the protocol codecs (the same
 * ones the server uses, so these tests check behaviour, not wire format — tshark and the real
 * clients check that).
 */

import { MOUNT_PROGRAM, MOUNT_V3, MountProc } from '../../../protocol/mount3/constants.js';
import { MOUNT3_PROCEDURES } from '../../../protocol/mount3/procedures.js';
import { NFS_PROGRAM, NFS_V3, NFS3_PROCEDURES, Nfs3Proc, type Nfs3Args, type Nfs3Res } from '../../../protocol/nfs3/index.js';
import { AuthFlavor, RpcClient, type CallOptions, type Credentials } from '../../../protocol/rpc/index.js';

export function authSys(uid: number, gid: number, gids: number[] = []): Credentials {
  return { flavor: AuthFlavor.AUTH_SYS, stamp: 1, machineName: 'test', uid, gid, gids };
}

export class NfsTestClient {
  private constructor(
    readonly rpc: RpcClient,
    private readonly mountRpc: RpcClient,
  ) {}

  /**
   * `localAddress` binds both connections' source address (127.0.0.2 is "another client" on
   * loopback); `localPort` / `mountLocalPort` bind the NFS / MOUNT source ports (below 1024 needs root).
   */
  static async connect(opts: {
    host?: string;
    nfsPort: number;
    mountPort: number;
    cred?: Credentials;
    transport?: 'tcp' | 'udp';
    localAddress?: string;
    localPort?: number;
    mountLocalPort?: number;
  }): Promise<NfsTestClient> {
    const host = opts.host ?? '127.0.0.1';
    const transport = opts.transport ?? 'tcp';
    const cred = opts.cred ?? authSys(0, 0);
    const { localAddress } = opts;
    const rpc = await RpcClient.connect({ transport, host, port: opts.nfsPort, cred, localAddress, localPort: opts.localPort });
    const mountRpc =
      opts.mountPort === opts.nfsPort
        ? rpc
        : await RpcClient.connect({ transport, host, port: opts.mountPort, cred, localAddress, localPort: opts.mountLocalPort });
    return new NfsTestClient(rpc, mountRpc);
  }

  async call<P extends Nfs3Proc>(proc: P, args: Nfs3Args<P>, opts?: CallOptions): Promise<Nfs3Res<P>> {
    const codec = NFS3_PROCEDURES[proc];
    const r = await this.rpc.call(NFS_PROGRAM, NFS_V3, proc, (w) => codec.encodeArgs(w, args as never), opts);
    return codec.decodeRes(r) as Nfs3Res<P>;
  }

  /** MNT: the root handle of `path`, or throws with the mount status. */
  async mount(path: string, opts?: CallOptions): Promise<Buffer> {
    const codec = MOUNT3_PROCEDURES[MountProc.MNT];
    const r = await this.mountRpc.call(MOUNT_PROGRAM, MOUNT_V3, MountProc.MNT, (w) => codec.encodeArgs(w, path), opts);
    const res = codec.decodeRes(r);
    if (res.status !== 0) throw Object.assign(new Error(`MNT ${path}: status ${res.status}`), { mountStatus: res.status });
    return res.fhandle;
  }

  async mountCall<P extends MountProc>(proc: P, args: unknown, opts?: CallOptions): Promise<unknown> {
    const codec = MOUNT3_PROCEDURES[proc] as any;
    const r = await this.mountRpc.call(MOUNT_PROGRAM, MOUNT_V3, proc, (w) => codec.encodeArgs(w, args), opts);
    return codec.decodeRes(r);
  }

  close(): void {
    this.rpc.close();
    if (this.mountRpc !== this.rpc) this.mountRpc.close();
  }
}
