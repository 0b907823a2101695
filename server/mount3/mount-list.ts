/**
 * Who has mounted what (MOUNT DUMP/UMNT/UMNTALL). Informational only, as in every NFSv3 server:
 * a client that never unmounts stays listed, and access is decided per call, not by this list.
 * Kept in memory and bounded, so a client mounting in a loop cannot grow it without limit.
 */

import type { Mountbody } from '../../protocol/mount3/codec.js';

const MAX_ENTRIES = 4096;

export class MountList {
  private readonly entries = new Map<string, Mountbody>();

  add(hostname: string, directory: string): void {
    const key = `${hostname}\0${directory}`;
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { hostname, directory });
  }

  remove(hostname: string, directory: string): void {
    this.entries.delete(`${hostname}\0${directory}`);
  }

  removeHost(hostname: string): void {
    for (const [key, m] of this.entries) if (m.hostname === hostname) this.entries.delete(key);
  }

  list(): Mountbody[] {
    return [...this.entries.values()];
  }
}
