/**
 * The NFSv3 mount command a guest runs against our server on the host.
 *
 * The guest has no mount.nfs, rpcbind or statd: busybox `mount` passes the option string
 * straight to the kernel, whose own text parser does the work. Hence:
 *  - `addr=` names the server explicitly (nothing in userspace resolves the `host:` part);
 *  - `port=` and `mountport=` point at our single TCP port, so the kernel never asks a portmapper;
 *  - `mountproto=tcp` keeps the MOUNT call on TCP too;
 *  - `nolock`: without statd in the guest, lockd cannot be started for the mount.
 */

import { HOST_ADDRESS_FROM_GUEST } from './init-script.js';

export interface NfsMountOptions {
  /** Host TCP port serving NFS (and MOUNT unless mountPort is given). */
  port: number;
  /** Host TCP port serving MOUNT; default `port`. */
  mountPort?: number;
  /** Export path on the server. Default "/". */
  exportPath?: string;
  /** Mount point in the guest, created if missing. Default /mnt. */
  mountpoint?: string;
  /**
   * More kernel NFS options, e.g. ["lookupcache=positive"] or ["noac"] for multi-client tests,
   * ["soft", "timeo=20", "retrans=2"] where the server may go away.
   */
  extraOptions?: string[];
}

export function nfsMountCommand(options: NfsMountOptions): string {
  const { port, mountPort = port, exportPath = '/', mountpoint = '/mnt', extraOptions = [] } = options;
  const kernelOptions = [
    `addr=${HOST_ADDRESS_FROM_GUEST}`,
    'vers=3',
    'proto=tcp',
    `port=${port}`,
    `mountport=${mountPort}`,
    'mountproto=tcp',
    'nolock',
    ...extraOptions,
  ].join(',');
  return `mkdir -p ${mountpoint} && mount -t nfs -o ${kernelOptions} ${HOST_ADDRESS_FROM_GUEST}:${exportPath} ${mountpoint}`;
}
