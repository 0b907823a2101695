/**
 * A tiny libpcap (classic, microsecond) file writer for tests: payloads are wrapped in synthetic
 * Ethernet + IPv4 + TCP/UDP packets so tshark can dissect what our codecs produce.
 *
 * TCP flows get a three-way handshake the first time they are used and correct sequence and
 * acknowledgement numbers afterwards, so tshark's TCP analysis raises no expert warnings ("ACKed
 * unseen segment", "previous segment not captured") that would hide real dissector complaints.
 * Payloads larger than one segment are split; tshark reassembles them.
 *
 * Everything is deterministic: timestamps advance one microsecond per packet.
 */

import { writeFileSync } from 'node:fs';

export interface Endpoint {
  /** Dotted-quad IPv4 address. */
  ip: string;
  port: number;
}

/** A client/server conversation; direction is chosen per packet. */
export interface Flow {
  client: Endpoint;
  server: Endpoint;
}

export type Direction = 'toServer' | 'toClient';

/** LINKTYPE_ETHERNET in the pcap global header. */
const LINKTYPE_ETHERNET = 1;
const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const SNAPLEN = 262_144;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** Largest TCP payload per synthetic segment (keeps IPv4 total length under 65535). */
const TCP_SEGMENT = 32_768;

const enum TcpFlag {
  FIN = 0x01,
  SYN = 0x02,
  PSH = 0x08,
  ACK = 0x10,
}

interface TcpState {
  /** Next sequence number the client / server will send. */
  clientSeq: number;
  serverSeq: number;
}

/** RFC 5531 section 11 record mark: last-fragment bit plus the fragment length. */
export function recordMark(payload: Buffer): Buffer {
  const mark = Buffer.alloc(4);
  mark.writeUInt32BE((0x8000_0000 | payload.length) >>> 0, 0);
  return Buffer.concat([mark, payload]);
}

function ipBytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return Buffer.from(parts);
}

/** Internet checksum (RFC 1071) over the concatenation of `parts`. */
function inetChecksum(parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd === undefined) odd = p[i];
      else {
        sum += (odd << 8) | p[i];
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Header(src: Buffer, dst: Buffer, proto: number, payloadLength: number, id: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45; // version 4, IHL 5 words
  h.writeUInt16BE(20 + payloadLength, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6); // don't fragment
  h[8] = 64; // TTL
  h[9] = proto;
  src.copy(h, 12);
  dst.copy(h, 16);
  h.writeUInt16BE(inetChecksum([h]), 10);
  return h;
}

function pseudoHeader(src: Buffer, dst: Buffer, proto: number, length: number): Buffer {
  const p = Buffer.alloc(12);
  src.copy(p, 0);
  dst.copy(p, 4);
  p[9] = proto;
  p.writeUInt16BE(length, 10);
  return p;
}

export class PcapWriter {
  private readonly packets: Buffer[] = [];
  private micros = 0;
  private ipId = 1;
  private readonly tcpFlows = new Map<string, TcpState>();

  constructor(private readonly startSeconds = 1_700_000_000) {}

  /** Number of packets written so far (handshake packets included). */
  get packetCount(): number {
    return this.packets.length / 2;
  }

  /**
   * Send `payload` over TCP in one direction of `flow`, opening the connection first if this is
   * the flow's first use. Returns the pcap frame numbers (1-based) of the data segments.
   */
  tcp(flow: Flow, direction: Direction, payload: Buffer): number[] {
    const state = this.tcpState(flow);
    const frames: number[] = [];
    let off = 0;
    do {
      const seg = payload.subarray(off, off + TCP_SEGMENT);
      frames.push(this.tcpSegment(flow, direction, state, TcpFlag.ACK | TcpFlag.PSH, seg));
      off += TCP_SEGMENT;
    } while (off < payload.length);
    return frames;
  }

  /** Send one RPC message over TCP with its record mark (RFC 5531 section 11). */
  tcpRpc(flow: Flow, direction: Direction, rpcMessage: Buffer): number[] {
    return this.tcp(flow, direction, recordMark(rpcMessage));
  }

  /** Send one UDP datagram in one direction of `flow`. Returns its frame number. */
  udp(flow: Flow, direction: Direction, payload: Buffer): number {
    const [from, to] = direction === 'toServer' ? [flow.client, flow.server] : [flow.server, flow.client];
    const src = ipBytes(from.ip);
    const dst = ipBytes(to.ip);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(from.port, 0);
    udp.writeUInt16BE(to.port, 2);
    udp.writeUInt16BE(8 + payload.length, 4);
    const sum = inetChecksum([pseudoHeader(src, dst, IPPROTO_UDP, 8 + payload.length), udp, payload]);
    udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
    return this.ipPacket(src, dst, IPPROTO_UDP, Buffer.concat([udp, payload]));
  }

  /** Close every open TCP flow with FIN exchanges (optional; keeps captures tidy). */
  closeAll(): void {
    for (const [key, state] of this.tcpFlows) {
      const flow = JSON.parse(key) as Flow;
      this.tcpSegment(flow, 'toServer', state, TcpFlag.FIN | TcpFlag.ACK, Buffer.alloc(0), 1);
      this.tcpSegment(flow, 'toClient', state, TcpFlag.FIN | TcpFlag.ACK, Buffer.alloc(0), 1);
      this.tcpSegment(flow, 'toServer', state, TcpFlag.ACK, Buffer.alloc(0));
    }
    this.tcpFlows.clear();
  }

  /** The complete capture file. */
  toBuffer(): Buffer {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(PCAP_MAGIC_USEC, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(SNAPLEN, 16);
    header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    return Buffer.concat([header, ...this.packets]);
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }

  private tcpState(flow: Flow): TcpState {
    const key = JSON.stringify({ client: flow.client, server: flow.server });
    let state = this.tcpFlows.get(key);
    if (state) return state;
    state = { clientSeq: 1000, serverSeq: 5000 };
    this.tcpFlows.set(key, state);
    // SYN and SYN-ACK each consume one sequence number.
    this.tcpSegment(flow, 'toServer', state, TcpFlag.SYN, Buffer.alloc(0), 1);
    this.tcpSegment(flow, 'toClient', state, TcpFlag.SYN | TcpFlag.ACK, Buffer.alloc(0), 1);
    this.tcpSegment(flow, 'toServer', state, TcpFlag.ACK, Buffer.alloc(0));
    return state;
  }

  private tcpSegment(
    flow: Flow,
    direction: Direction,
    state: TcpState,
    flags: number,
    payload: Buffer,
    phantomLength = 0,
  ): number {
    const toServer = direction === 'toServer';
    const [from, to] = toServer ? [flow.client, flow.server] : [flow.server, flow.client];
    const seq = toServer ? state.clientSeq : state.serverSeq;
    const ack = toServer ? state.serverSeq : state.clientSeq;
    const src = ipBytes(from.ip);
    const dst = ipBytes(to.ip);
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(from.port, 0);
    tcp.writeUInt16BE(to.port, 2);
    tcp.writeUInt32BE(seq >>> 0, 4);
    tcp.writeUInt32BE(flags & TcpFlag.ACK ? ack >>> 0 : 0, 8);
    tcp[12] = 5 << 4; // data offset: 5 words, no options
    tcp[13] = flags;
    tcp.writeUInt16BE(65_535, 14); // window
    const sum = inetChecksum([pseudoHeader(src, dst, IPPROTO_TCP, 20 + payload.length), tcp, payload]);
    tcp.writeUInt16BE(sum, 16);
    const advance = payload.length + phantomLength;
    if (toServer) state.clientSeq = (state.clientSeq + advance) >>> 0;
    else state.serverSeq = (state.serverSeq + advance) >>> 0;
    return this.ipPacket(src, dst, IPPROTO_TCP, Buffer.concat([tcp, payload]));
  }

  private ipPacket(src: Buffer, dst: Buffer, proto: number, transport: Buffer): number {
    const ip = ipv4Header(src, dst, proto, transport.length, this.ipId++);
    const eth = Buffer.alloc(14);
    // Locally administered MACs derived from the last IPv4 octet.
    eth.set([0x02, 0, 0, 0, 0, dst[3]], 0);
    eth.set([0x02, 0, 0, 0, 0, src[3]], 6);
    eth.writeUInt16BE(ETHERTYPE_IPV4, 12);
    const frame = Buffer.concat([eth, ip, transport]);
    const rec = Buffer.alloc(16);
    const t = this.micros++;
    rec.writeUInt32LE(this.startSeconds + Math.floor(t / 1_000_000), 0);
    rec.writeUInt32LE(t % 1_000_000, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    this.packets.push(rec, frame);
    return this.packets.length / 2;
  }
}
