/**
 * The binder as one RpcProgram: program 100000, versions 2 (port mapper), 3 and 4 (rpcbind),
 * all answering from one mapping table. Every call is counted for GETSTAT on the way in.
 */

import { silentLogger, type Logger } from '../rpc/logger.js';
import type { CallContext, ProcedureDef, RpcProgram } from '../rpc/types.js';
import { PMAP_PROGRAM, PortmapVersion } from './constants.js';
import { pmapV2Procedures } from './pmap-procedures.js';
import type { BinderState } from './procedure-kit.js';
import { rpcbProcedures } from './rpcb-procedures.js';
import { PortmapRegistry } from './registry.js';
import { PortmapStats } from './stats.js';

export interface PortmapProgramOptions {
  registry?: PortmapRegistry;
  stats?: PortmapStats;
  log?: Logger;
}

export interface PortmapProgram extends RpcProgram {
  registry: PortmapRegistry;
  stats: PortmapStats;
}

/** Wrap each procedure so the call is counted before it runs (failed decodes are not counted). */
function counted(table: Array<ProcedureDef | undefined>, vers: number, stats: PortmapStats): Array<ProcedureDef | undefined> {
  return table.map((def, proc) =>
    def && {
      ...def,
      handle: (args: unknown, ctx: CallContext) => {
        stats.call(vers, proc);
        return def.handle(args, ctx);
      },
    },
  );
}

/** Build program 100000 over `registry` (a new, empty one by default). */
export function createPortmapProgram(options: PortmapProgramOptions = {}): PortmapProgram {
  const state: BinderState = {
    registry: options.registry ?? new PortmapRegistry(),
    stats: options.stats ?? new PortmapStats(),
    log: options.log ?? silentLogger,
  };
  const versions = new Map<number, ReadonlyArray<ProcedureDef | undefined>>([
    [PortmapVersion.PMAP_V2, counted(pmapV2Procedures(state), PortmapVersion.PMAP_V2, state.stats)],
    [PortmapVersion.RPCB_V3, counted(rpcbProcedures(state, 3), PortmapVersion.RPCB_V3, state.stats)],
    [PortmapVersion.RPCB_V4, counted(rpcbProcedures(state, 4), PortmapVersion.RPCB_V4, state.stats)],
  ]);
  return { program: PMAP_PROGRAM, name: 'portmap', versions, registry: state.registry, stats: state.stats };
}
