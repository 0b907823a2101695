/**
 * Port mapper (v2) and rpcbind (v3, v4) constants, RFC 1833. One program number serves all three
 * versions; v2 speaks (protocol, port) pairs, v3/v4 speak netids and universal addresses.
 */

/** RFC 1833 sections 2.1 and 3.1: the binder's program number and well-known port. */
export const PMAP_PROGRAM = 100000;
export const PMAP_PORT = 111;

export const enum PortmapVersion {
  PMAP_V2 = 2,
  RPCB_V3 = 3,
  RPCB_V4 = 4,
}

/** RFC 1833 section 3.1: port mapper v2 procedures. */
export const enum PmapProc {
  NULL = 0,
  SET = 1,
  UNSET = 2,
  GETPORT = 3,
  DUMP = 4,
  CALLIT = 5,
}

/** RFC 1833 section 2.1: rpcbind v3 procedures 0-8; v4 renames 5 to BCAST and adds 9-12. */
export const enum RpcbProc {
  NULL = 0,
  SET = 1,
  UNSET = 2,
  GETADDR = 3,
  DUMP = 4,
  CALLIT = 5,
  GETTIME = 6,
  UADDR2TADDR = 7,
  TADDR2UADDR = 8,
  GETVERSADDR = 9,
  INDIRECT = 10,
  GETADDRLIST = 11,
  GETSTAT = 12,
}

/** Number of procedure counters in an rpcb_stat (RPCBSTAT_HIGHPROC, RFC 1833 section 2.1). */
export const RPCBSTAT_HIGHPROC = 13;
/** rpcb_stat_byvers holds one rpcb_stat per binder version: index 0 = v2, 1 = v3, 2 = v4. */
export const RPCBVERS_STAT = 3;

/** IP protocol numbers carried in a v2 `mapping.prot`. */
export const enum IpProto {
  TCP = 6,
  UDP = 17,
}

/** Network identifiers (netconfig names) of the transports we know. */
export type Netid = 'tcp' | 'udp' | 'tcp6' | 'udp6';
export const NETIDS: readonly Netid[] = ['tcp', 'udp', 'tcp6', 'udp6'];

/** netconfig nc_semantics, reported in rpcb_entry (RFC 1833 section 2.1). */
export const enum NcSemantics {
  NC_TPI_CLTS = 1,
  NC_TPI_COTS = 2,
  NC_TPI_COTS_ORD = 3,
  NC_TPI_RAW = 4,
}

/**
 * RFC 1833 leaves netid, uaddr and owner strings unbounded. Real ones are a few dozen bytes; this
 * cap lets a decoder refuse a 4 GiB length before allocating for it.
 */
export const MAX_RPCB_STRING = 1024;

/** Cap on linked-list replies a client decodes (DUMP, GETADDRLIST, GETSTAT address lists). */
export const MAX_LIST_ENTRIES = 65536;

/** Cap on CALLIT/INDIRECT argument and result bodies (one UDP datagram). */
export const MAX_RMTCALL_BYTES = 65536;

/**
 * Owner strings. rpcbind lets an owner unset only its own mappings, and "superuser" unset any
 * (the owner of a v3/v4 SET is derived from the caller, never taken from the argument).
 */
export const OWNER_SUPERUSER = 'superuser';
export const OWNER_UNKNOWN = 'unknown';
