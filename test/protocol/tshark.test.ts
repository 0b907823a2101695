/**
 * An independent dissector as oracle: write a capture holding a call and a reply of every NFSv3
 * procedure (TCP port 2049) and of every MOUNT v3 procedure plus v1 MNT (TCP port 20048), each
 * built by our codecs, and check that tshark decodes every packet as the program, version and
 * procedure we meant, matches each reply to its call by xid, and raises nothing above a "chat"
 * expert note (no Malformed packet, no warning, no error).
 *
 * Skips (with the reason) only when tshark is not installed.
 */

import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XdrWriter } from '../../protocol/xdr/index.js';
import { credentialsToAuth, encodeCallHeader, writeSuccessHeader } from '../../protocol/rpc/index.js';
import { AuthFlavor } from '../../protocol/rpc/types.js';
import { NFS3_PROCEDURES, NFS_PROGRAM, NFS_V3, Nfs3Proc, Nfsstat3, StableHow } from '../../protocol/nfs3/index.js';
import { MOUNT1_PROCEDURES, MOUNT3_PROCEDURES, MOUNT_PROGRAM } from '../../protocol/mount3/index.js';
import type { ProcedureCodec } from '../../protocol/nfs3/index.js';
import { PcapWriter, type Flow } from '../lib/pcap.js';
import { FH, FILE_ATTR, FILE_WCC, NFS3_GOLDEN, VERF } from '../lib/golden-nfs3.js';
import { MOUNT_GOLDEN } from '../lib/golden-mount3.js';

/** Expert-info severities as tshark reports them in _ws.expert.severity. */
const PI_CHAT = 0x0020_0000;

interface Expected {
  frame: number;
  xid: number;
  msgType: 0 | 1;
  program: number;
  version: number;
  procedure: number;
  label: string;
}

const NFS_FLOW: Flow = { client: { ip: '127.0.0.1', port: 901 }, server: { ip: '127.0.0.1', port: 2049 } };
const MOUNT_FLOW: Flow = { client: { ip: '127.0.0.1', port: 902 }, server: { ip: '127.0.0.1', port: 20048 } };
const CRED = credentialsToAuth({ flavor: AuthFlavor.AUTH_SYS, stamp: 7, machineName: 'client', uid: 1000, gid: 100, gids: [100, 4] });

function buildCapture(): { pcap: PcapWriter; expected: Expected[] } {
  const pcap = new PcapWriter();
  const expected: Expected[] = [];
  let xid = 0x4000;

  const exchange = (
    flow: Flow,
    program: number,
    version: number,
    procedure: number,
    codec: ProcedureCodec<unknown, unknown>,
    args: unknown,
    res: unknown,
    label: string,
  ): void => {
    xid++;
    const call = new XdrWriter(256);
    encodeCallHeader(call, { xid, program, version, procedure, cred: CRED });
    codec.encodeArgs(call, args);
    const reply = new XdrWriter(256);
    writeSuccessHeader(reply, xid);
    codec.encodeRes(reply, res);
    // tshark reports a PDU on the segment that completes it.
    const callFrame = pcap.tcpRpc(flow, 'toServer', call.toBuffer()).at(-1)!;
    const replyFrame = pcap.tcpRpc(flow, 'toClient', reply.toBuffer()).at(-1)!;
    expected.push({ frame: callFrame, xid, msgType: 0, program, version, procedure, label: `${label} call` });
    expected.push({ frame: replyFrame, xid, msgType: 1, program, version, procedure, label: `${label} reply` });
  };

  for (const g of NFS3_GOLDEN) {
    const codec = NFS3_PROCEDURES[g.proc as Nfs3Proc] as ProcedureCodec<unknown, unknown>;
    for (const reply of g.replies) {
      exchange(NFS_FLOW, NFS_PROGRAM, NFS_V3, g.proc, codec, g.args, reply.res, `NFS ${g.name} ${reply.label}`);
    }
  }
  // Large payloads span several TCP segments: tshark must reassemble them into one RPC record.
  const big = Buffer.alloc(256 * 1024, 0x61);
  exchange(
    NFS_FLOW, NFS_PROGRAM, NFS_V3, Nfs3Proc.WRITE,
    NFS3_PROCEDURES[Nfs3Proc.WRITE] as ProcedureCodec<unknown, unknown>,
    { file: FH, offset: 0n, count: big.length, stable: StableHow.UNSTABLE, data: big },
    { status: Nfsstat3.NFS3_OK, fileWcc: FILE_WCC, count: big.length, committed: StableHow.UNSTABLE, verf: VERF },
    'NFS WRITE 256 KiB',
  );
  exchange(
    NFS_FLOW, NFS_PROGRAM, NFS_V3, Nfs3Proc.READ,
    NFS3_PROCEDURES[Nfs3Proc.READ] as ProcedureCodec<unknown, unknown>,
    { file: FH, offset: 0n, count: big.length },
    { status: Nfsstat3.NFS3_OK, fileAttributes: FILE_ATTR, count: big.length, eof: false, data: big },
    'NFS READ 256 KiB',
  );
  for (const g of MOUNT_GOLDEN) {
    const table = g.version === 3 ? MOUNT3_PROCEDURES : MOUNT1_PROCEDURES;
    const codec = table[g.proc] as ProcedureCodec<unknown, unknown>;
    for (const reply of g.replies) {
      exchange(MOUNT_FLOW, MOUNT_PROGRAM, g.version, g.proc, codec, g.args, reply.res, `MOUNT v${g.version} ${g.name} ${reply.label}`);
    }
  }
  return { pcap, expected };
}

function tshark(args: string[]): string {
  const out = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${out.stderr}`);
  return out.stdout;
}

async function runTsharkCheck(t: Test): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fallthru-tshark-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'nfs3-mount3.pcap');
  const { pcap, expected } = buildCapture();
  pcap.writeFile(file);

  // MOUNT has no well-known port: bind 20048 (the usual mountd port) to the RPC dissector rather
  // than rely on its heuristic.
  // -2: two passes, so a call also learns which frame holds its reply.
  const common = ['-2', '-r', file, '-d', 'tcp.port==20048,rpc', '-o', 'tcp.desegment_tcp_streams:TRUE', '-o', 'rpc.desegment_rpc_over_tcp:TRUE'];
  const fields = tshark([
    ...common,
    '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=;',
    '-e', 'frame.number', '-e', 'rpc.xid', '-e', 'rpc.msgtyp', '-e', 'rpc.program',
    '-e', 'rpc.programversion', '-e', 'rpc.procedure', '-e', 'rpc.repframe', '-e', 'rpc.reqframe',
    '-e', '_ws.expert.severity', '-e', '_ws.malformed',
  ]);
  const rows = new Map<number, string[]>();
  for (const line of fields.split('\n')) {
    if (!line.trim()) continue;
    const cols = line.split('|');
    rows.set(Number(cols[0]), cols);
  }
  t.equal(rows.size, pcap.packetCount, 'tshark read every packet');

  const expectedFrames = new Set(expected.map((e) => e.frame));
  const callFrameOf = new Map<number, number>();
  const replyFrameOf = new Map<number, number>();
  for (const e of expected) {
    const cols = rows.get(e.frame);
    if (!cols) {
      t.fail(`${e.label}: frame ${e.frame} missing`);
      continue;
    }
    // tshark links each message to its partner in one of rpc.repframe / rpc.reqframe (which one
    // depends on the direction); take whichever is set.
    const [, xid, msgType, program, version, procedure, repFrame, reqFrame] = cols;
    const partner = Number(repFrame || reqFrame);
    const first = (v: string) => v.split(';')[0];
    t.same(
      {
        xid: Number(xid),
        msgType: Number(msgType),
        program: Number(first(program)),
        version: Number(first(version)),
        procedure: Number(first(procedure)),
      },
      { xid: e.xid, msgType: e.msgType, program: e.program, version: e.version, procedure: e.procedure },
      `${e.label} (frame ${e.frame})`,
    );
    if (e.msgType === 0) {
      callFrameOf.set(e.xid, e.frame);
      replyFrameOf.set(e.xid, partner);
    } else {
      t.equal(partner, callFrameOf.get(e.xid), `${e.label}: matched to its call`);
      t.equal(replyFrameOf.get(e.xid), e.frame, `${e.label}: its call points back to it`);
    }
  }
  for (const [frame, cols] of rows) {
    if (cols[1] && !expectedFrames.has(frame)) t.fail(`unexpected RPC frame ${frame}: ${cols.join('|')}`);
    const severities = cols[8] ? cols[8].split(';').map(Number) : [];
    const worst = Math.max(0, ...severities);
    if (worst > PI_CHAT) t.fail(`frame ${frame}: expert info of severity 0x${worst.toString(16)}`);
    if (cols[9]) t.fail(`frame ${frame}: malformed`);
  }

  const verbose = tshark([...common, '-V']);
  t.notMatch(verbose, /Malformed/i, 'no "Malformed" in the full dissection');
  t.notMatch(verbose, /Expert Info \((Warning|Error)/, 'no expert warnings or errors');
  t.match(verbose, /Network File System, READDIRPLUS Reply/, 'the full dissection reached NFS');
  t.match(verbose, /Mount Service/, 'and MOUNT');
}

const tsharkVersion = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
t.test(
  'tshark decodes every NFSv3 and MOUNT call and reply cleanly',
  { skip: tsharkVersion.error ? `tshark is not installed (${tsharkVersion.error.message})` : false },
  runTsharkCheck,
);
