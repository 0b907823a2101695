/**
 * Drive portmap procedures the way the dispatcher does, without a socket: decode the argument
 * bytes with the procedure's decoder, run the handler with a CallContext, encode the result.
 */

import { AuthFlavor, type CallContext, type Credentials, type RpcProgram } from '../../protocol/rpc/types.js';
import { XdrReader, XdrWriter } from '../../protocol/xdr/index.js';

export function callContext(over: Partial<CallContext> = {}): CallContext {
  return {
    xid: 1,
    program: 100000,
    version: 2,
    procedure: 0,
    cred: { flavor: AuthFlavor.AUTH_NONE },
    transport: 'tcp',
    remoteAddress: '127.0.0.1',
    remotePort: 800,
    localPort: 111,
    ...over,
  };
}

export function authSys(uid: number): Credentials {
  return { flavor: AuthFlavor.AUTH_SYS, stamp: 0, machineName: 'test', uid, gid: uid, gids: [] };
}

/** Result bytes of program/vers/proc called with `args`; throws if the procedure is absent. */
export async function callProcedure(
  program: RpcProgram,
  vers: number,
  proc: number,
  args: Buffer,
  ctx: Partial<CallContext> = {},
): Promise<Buffer> {
  const def = program.versions.get(vers)?.[proc];
  if (!def) throw new Error(`no procedure ${vers}/${proc}`);
  const r = new XdrReader(args);
  const decoded = def.decode(r);
  if (!r.atEnd()) throw new Error('arguments not fully consumed');
  const result = await def.handle(decoded, callContext({ version: vers, procedure: proc, ...ctx }));
  const w = new XdrWriter(64);
  def.encode(w, result);
  return w.toBuffer();
}
