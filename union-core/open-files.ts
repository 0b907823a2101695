/**
 * Open descriptors of backing files, kept between READ, WRITE and COMMIT calls.
 *
 * NFSv3 has no open or close: a client streaming a file sends one call per MiB, and opening and
 * closing the file around each call cost a fifth of a READ's server CPU. Descriptors are kept per
 * (object, backing path, access), shared by concurrent calls, and closed once idle for a moment or
 * when too many are kept.
 *
 * The key holds the object's id and its backing path together: the path alone could name another
 * inode later (a name removed and made again), the id alone a stale path (after a copy-up or a
 * rename the object is read through its new path, and the old descriptor just idles out). When an
 * object's last name goes, `forget` closes its descriptors at once, so a removed file's space is
 * given back as soon as no call is using it.
 */

import { open, close, constants } from 'node:fs';
import { isErrno } from './errors.js';

/** What a descriptor is opened for. Lower files are only ever read. */
export type Access = 'read' | 'write';

interface Slot {
  id: bigint;
  fd: number;
  users: number;
  idleSince: number;
  /** Closed as soon as the last user is done (forgotten, or pushed out). */
  doomed: boolean;
}

/** Descriptors kept at most; past this, idle ones are closed oldest first. */
const MAX_KEPT = 256;
/** How long an unused descriptor stays open. */
const IDLE_MS = 2_000;

function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

async function openFor(path: string, access: Access): Promise<number> {
  if (access === 'write') return openFd(path, constants.O_RDWR);
  try {
    // O_NOATIME: serving a file never changes it (a lower's atime included).
    return await openFd(path, constants.O_RDONLY | constants.O_NOATIME);
  } catch (e) {
    // Refused for files the process does not own unless it is privileged.
    if (isErrno(e, 'EPERM')) return openFd(path, constants.O_RDONLY);
    throw e;
  }
}

function closeQuietly(fd: number): void {
  close(fd, () => {});
}

export class OpenFiles {
  private readonly slots = new Map<string, Slot>();
  /** Opens under way, shared by calls that want the same descriptor meanwhile. */
  private readonly opening = new Map<string, Promise<Slot>>();
  private sweeper: NodeJS.Timeout | undefined;

  /** Run `fn` with a descriptor of `path` (object `id`) open for `access`. */
  async use<T>(id: bigint, path: string, access: Access, fn: (fd: number) => Promise<T>): Promise<T> {
    const slot = await this.acquire(id, path, access);
    try {
      return await fn(slot.fd);
    } finally {
      this.release(slot);
    }
  }

  /** Close every descriptor of object `id` (its last name is gone). */
  forget(id: bigint): void {
    for (const [key, slot] of this.slots) {
      if (slot.id !== id) continue;
      this.slots.delete(key);
      this.retire(slot);
    }
  }

  /** Close everything (the union is closing; no call is running). */
  closeAll(): void {
    for (const slot of this.slots.values()) this.retire(slot);
    this.slots.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private async acquire(id: bigint, path: string, access: Access): Promise<Slot> {
    const key = `${id}\0${access}\0${path}`;
    const kept = this.slots.get(key);
    if (kept) {
      kept.users++;
      return kept;
    }
    let pending = this.opening.get(key);
    if (!pending) {
      pending = openFor(path, access).then(
        (fd) => {
          this.opening.delete(key);
          const slot: Slot = { id, fd, users: 0, idleSince: 0, doomed: false };
          this.slots.set(key, slot);
          this.trim();
          this.startSweeping();
          return slot;
        },
        (e: unknown) => {
          this.opening.delete(key);
          throw e;
        },
      );
      this.opening.set(key, pending);
    }
    const slot = await pending;
    // Pushed out between its opening and this continuation (trim): its descriptor is closed.
    if (slot.doomed) return this.acquire(id, path, access);
    slot.users++;
    return slot;
  }

  private release(slot: Slot): void {
    slot.users--;
    if (slot.users > 0) return;
    slot.idleSince = performance.now();
    if (slot.doomed) closeQuietly(slot.fd);
  }

  /** Close now if unused, else when its last user is done. */
  private retire(slot: Slot): void {
    slot.doomed = true;
    if (slot.users === 0) closeQuietly(slot.fd);
  }

  /** Over the bound: retire the oldest (Map order is opening order). */
  private trim(): void {
    if (this.slots.size <= MAX_KEPT) return;
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= MAX_KEPT / 2) break;
      this.slots.delete(key);
      this.retire(slot);
    }
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = performance.now();
    for (const [key, slot] of this.slots) {
      if (slot.users > 0 || now - slot.idleSince < IDLE_MS) continue;
      this.slots.delete(key);
      this.retire(slot);
    }
    if (this.slots.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
