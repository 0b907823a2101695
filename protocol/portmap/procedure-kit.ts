/**
 * Building blocks shared by the v2 and v3/v4 procedure tables: the void codec, result encoders
 * for the scalar replies, and the state every handler works on.
 */

import type { Logger } from '../rpc/logger.js';
import type { ProcedureDef } from '../rpc/types.js';
import type { XdrWriter } from '../xdr/index.js';
import type { PortmapRegistry } from './registry.js';
import type { PortmapStats } from './stats.js';

/** What the binder procedures read and change. */
export interface BinderState {
  registry: PortmapRegistry;
  stats: PortmapStats;
  log: Logger;
}

export const decodeVoid = (): void => undefined;
export const encodeVoid = (): void => {};
export const encodeBool = (w: XdrWriter, v: boolean): void => void w.bool(v);
export const encodeUint32 = (w: XdrWriter, v: number): void => void w.uint32(v);
export const encodeString = (w: XdrWriter, v: string): void => void w.string(v);

/** Procedure 0 of every version: no arguments, no results (RFC 5531 section 12 convention). */
export const NULL_PROCEDURE: ProcedureDef<void, void> = {
  name: 'NULL',
  decode: decodeVoid,
  handle: () => undefined,
  encode: encodeVoid,
};
