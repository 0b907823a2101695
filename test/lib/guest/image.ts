/**
 * Builds (once) and caches what a guest boots from: the ELF kernel and an initramfs holding a
 * static busybox, the kernel modules for virtio networking and the NFSv3 client, and our init.
 *
 * Artifacts live in `<repo>/.cache/guest/` (or `$FALLTHRU_GUEST_CACHE`). File names carry the
 * kernel version and a hash of every input, so a kernel update or an edited init script yields a
 * new file instead of a stale boot. Writes go to a temporary name and are renamed into place, so
 * parallel test processes may race to build without ever booting a half-written file.
 */

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildCpio, type CpioEntry } from './cpio.js';
import { INIT_SCRIPT, MODULE_LIST_PATH, MODULES_DIR } from './init-script.js';
import { extractVmlinux, findKernel, type KernelInfo } from './kernel.js';
import { resolveModuleLoadOrder } from './modules.js';

/** Bump when the image layout changes in a way the hashed inputs do not capture. */
const IMAGE_FORMAT = 'fallthru-guest-image-v1';

export interface GuestImage {
  kernel: KernelInfo;
  vmlinuxPath: string;
  initramfsPath: string;
  /** Modules the init loads, in order (for diagnostics). */
  modules: string[];
  /** True when both artifacts came from the cache. */
  cached: boolean;
}

/** `<repo>/.cache/guest`, the repo being the nearest ancestor of this file with a package.json. */
export function defaultCacheDir(): string {
  if (process.env.FALLTHRU_GUEST_CACHE) return resolve(process.env.FALLTHRU_GUEST_CACHE);
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (no package.json above the guest module)');
    dir = parent;
  }
  return join(dir, '.cache', 'guest');
}

/** The busybox binary on PATH; it must be static because the initramfs has no libc. */
export function findStaticBusybox(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir || '.', 'busybox');
    if (existsSync(candidate) && statSync(candidate).isFile() && isStaticElf(readFileSync(candidate))) {
      return candidate;
    }
  }
  return undefined;
}

/** A 64-bit ELF without a PT_INTERP program header needs no dynamic loader. */
function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const PT_INTERP = 3;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return false;
  }
  return true;
}

function sha256(...parts: (Buffer | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Reads a module, decompressing it if the distribution ships `.ko.xz` / `.ko.zst` / `.ko.gz`:
 * busybox insmod hands the bytes straight to the kernel, which may not decompress them itself.
 */
function readModule(path: string): Buffer {
  const data = readFileSync(path);
  if (path.endsWith('.gz')) return gunzipSync(data);
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : undefined;
  return tool ? execFileSync(tool, ['-dcq'], { input: data, maxBuffer: 1 << 28, timeout: CHILD_LIMIT_MS }) : data;
}

/**
 * Limit for the helper programs the image build runs synchronously (decompressors, busybox):
 * they block the event loop, where no test timeout can fire, so a stuck one must fail by itself.
 */
export const CHILD_LIMIT_MS = 120_000;

function writeAtomically(path: string, data: Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

/** Why guests cannot run here, or undefined when they can. Tests skip with this reason. */
export function guestUnavailableReason(): string | undefined {
  if (!findKernel()) return 'no kernel with an NFSv3 module found (install linux-image-amd64)';
  if (!findStaticBusybox()) return 'no static busybox on PATH (install busybox-static)';
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore', timeout: CHILD_LIMIT_MS });
  } catch {
    return 'qemu-system-x86_64 not found (install qemu-system-x86)';
  }
  return undefined;
}

/** Returns the cached image, building whatever is missing. Synchronous: it is a one-off cost. */
export function ensureGuestImage(cacheDir = defaultCacheDir()): GuestImage {
  const kernel = findKernel();
  if (!kernel) throw new Error('no kernel with an NFSv3 module found under /boot and the modules tree');
  const busyboxPath = findStaticBusybox();
  if (!busyboxPath) throw new Error('no static busybox on PATH (install busybox-static)');
  mkdirSync(cacheDir, { recursive: true });

  const bzImage = readFileSync(kernel.bzImagePath);
  const vmlinuxPath = join(cacheDir, `vmlinux-${kernel.version}-${sha256(IMAGE_FORMAT, bzImage)}`);
  const vmlinuxCached = existsSync(vmlinuxPath);
  if (!vmlinuxCached) writeAtomically(vmlinuxPath, extractVmlinux(bzImage));

  const modules = resolveModuleLoadOrder(kernel.modulesDir);
  const moduleData = modules.map((m) => readModule(join(kernel.modulesDir, m.relativePath)));
  const busybox = readFileSync(busyboxPath);
  const key = sha256(IMAGE_FORMAT, kernel.version, INIT_SCRIPT, busybox, ...modules.map((m) => m.name), ...moduleData);
  const initramfsPath = join(cacheDir, `initramfs-${kernel.version}-${key}.cpio.gz`);
  const initramfsCached = existsSync(initramfsPath);
  if (!initramfsCached) {
    const cpio = buildCpio(initramfsEntries(busybox, busyboxPath, modules, moduleData));
    // Level 1: the guest decompresses this under emulation, where every cycle is expensive.
    writeAtomically(initramfsPath, gzipSync(cpio, { level: 1 }));
  }
  return {
    kernel,
    vmlinuxPath,
    initramfsPath,
    modules: modules.map((m) => m.name),
    cached: vmlinuxCached && initramfsCached,
  };
}

function initramfsEntries(
  busybox: Buffer,
  busyboxPath: string,
  modules: { name: string }[],
  moduleData: Buffer[],
): CpioEntry[] {
  const applets = execFileSync(busyboxPath, ['--list'], { encoding: 'utf8', timeout: CHILD_LIMIT_MS })
    .split('\n')
    .map((a) => a.trim())
    .filter((a) => a && a !== 'busybox');
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    ...applets.map((applet): CpioEntry => ({ kind: 'symlink', path: `bin/${applet}`, target: 'busybox' })),
    // One directory of applets, reachable under every conventional name.
    { kind: 'symlink', path: 'sbin', target: 'bin' },
    { kind: 'dir', path: 'usr' },
    { kind: 'symlink', path: 'usr/bin', target: '../bin' },
    { kind: 'symlink', path: 'usr/sbin', target: '../bin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'dir', path: 'proc' },
    { kind: 'dir', path: 'sys' },
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
    { kind: 'dir', path: 'run' },
    { kind: 'dir', path: 'mnt' },
    { kind: 'dir', path: 'root', mode: 0o700 },
    { kind: 'dir', path: 'etc' },
    // Names for the ids scenarios use with chown/ls; nobody is the usual NFS squash target.
    { kind: 'file', path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { kind: 'file', path: 'etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    { kind: 'dir', path: 'etc/guest' },
    { kind: 'file', path: MODULE_LIST_PATH, data: modules.map((m) => `${m.name}\n`).join('') },
    { kind: 'dir', path: 'lib' },
    { kind: 'dir', path: 'lib/modules' },
    { kind: 'dir', path: MODULES_DIR },
    ...modules.map((m, i): CpioEntry => ({ kind: 'file', path: `${MODULES_DIR}/${m.name}.ko`, data: moduleData[i]! })),
    { kind: 'file', path: 'init', data: INIT_SCRIPT, mode: 0o755 },
  ];
  return entries;
}
