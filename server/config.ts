/**
 * The server's configuration after parsing (from CLI flags or a config file): what `startServer`
 * takes. Parsing and validation of user input live in cli.ts / config-file.ts; this file is only the
 * shape and the defaults, so every entry point agrees on them.
 */

/** How AUTH_SYS identities are mapped before permission checks (exports(5) semantics). */
export type SquashMode = 'root' | 'all' | 'none';

/** How the MOUNT and NFS services are announced to clients. */
export type PortmapSetting = 'builtin' | 'system' | 'none' | 'auto';

/** One IPv4/IPv6 network, already parsed ("10.0.0.0/8", "127.0.0.1" = /32). */
export interface ClientRule {
  /** The text the user wrote, for logs and EXPORT replies. */
  spec: string;
  /** Network address in canonical form (IPv4 dotted quad or IPv6). */
  address: string;
  prefixLength: number;
}

export interface ExportConfig {
  /** Path clients mount, e.g. "/union". Unique among exports. */
  path: string;
  /** Read-only lower directories, highest first. */
  lowers: string[];
  upper: string;
  work: string;
  /** Refuse every change with NFS3ERR_ROFS. */
  readOnly: boolean;
  squash: SquashMode;
  anonUid: number;
  anonGid: number;
  /** Clients allowed to mount and use this export; empty = everyone. */
  allow: ClientRule[];
  /** Require a reserved (< 1024) source port. */
  secure: boolean;
  /**
   * Answer changes before they are on stable storage (knfsd's `async`; UnionOptions.async): faster
   * creations, removals and SETATTRs, at the price of losing the last ones acknowledged in a
   * power cut. Default false (sync), as the protocol asks.
   */
  async: boolean;
}

export interface ServerConfig {
  exports: ExportConfig[];
  /** Address to bind every service to. */
  bind: string;
  /** NFS port (TCP+UDP); 0 = ephemeral (tests). */
  nfsPort: number;
  /** MOUNT port (TCP+UDP); 0 = ephemeral (tests). */
  mountPort: number;
  portmap: PortmapSetting;
  /** Port of the built-in portmapper / where a system rpcbind is probed; default 111. */
  portmapPort: number;
}

export const DEFAULTS = {
  export: '/union',
  bind: '127.0.0.1',
  nfsPort: 2049,
  mountPort: 20048,
  portmap: 'auto' as PortmapSetting,
  portmapPort: 111,
  squash: 'root' as SquashMode,
  /** nobody/nogroup on Linux. */
  anonUid: 65534,
  anonGid: 65534,
};
