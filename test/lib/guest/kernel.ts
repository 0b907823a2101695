/**
 * Finds a bootable distribution kernel on this machine and turns its bzImage into the ELF
 * `vmlinux` that qemu can start through the PVH entry point.
 *
 * Why vmlinux and not the bzImage: under TCG the bzImage's real-mode setup plus its in-guest
 * decompression cost seconds per boot; decompressing once on the host and handing qemu the ELF
 * skips both.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_LIMIT_MS } from './image.js';

export interface KernelInfo {
  /** Kernel release, e.g. the directory name under the modules tree. */
  version: string;
  /** The compressed bzImage the distribution installed. */
  bzImagePath: string;
  /** `<modules root>/<version>`: holds `modules.dep` and the `.ko` files. */
  modulesDir: string;
}

/** The module we cannot do without: if it is missing the kernel is useless to us. */
const REQUIRED_MODULE = 'nfsv3';

/** Where distributions put kernels and their modules. */
const BOOT_DIR = '/boot';
const MODULE_ROOTS = ['/usr/lib/modules', '/lib/modules'];

/**
 * Picks the newest kernel that has both a bzImage and an NFSv3 module. The running kernel is
 * irrelevant (it may be a container host's); `FALLTHRU_GUEST_KERNEL=<version>` pins one.
 */
export function findKernel(): KernelInfo | undefined {
  const pinned = process.env.FALLTHRU_GUEST_KERNEL;
  const candidates = listKernelVersions().filter((v) => !pinned || v === pinned);
  candidates.sort(compareVersionsDescending);
  for (const version of candidates) {
    const bzImagePath = join(BOOT_DIR, `vmlinuz-${version}`);
    const modulesDir = MODULE_ROOTS.map((root) => join(root, version)).find((dir) =>
      existsSync(join(dir, 'modules.dep')),
    );
    if (!modulesDir || !existsSync(bzImagePath)) continue;
    if (!hasModule(modulesDir, REQUIRED_MODULE)) continue;
    return { version, bzImagePath, modulesDir };
  }
  return undefined;
}

function listKernelVersions(): string[] {
  if (!existsSync(BOOT_DIR)) return [];
  return readdirSync(BOOT_DIR)
    .filter((name) => name.startsWith('vmlinuz-'))
    .map((name) => name.slice('vmlinuz-'.length));
}

function hasModule(modulesDir: string, name: string): boolean {
  const dep = readFileSync(join(modulesDir, 'modules.dep'), 'utf8');
  return dep.split('\n').some((line) => moduleNameOf(line.split(':')[0] ?? '') === name);
}

/** `kernel/fs/nfs/nfsv3.ko.xz` → `nfsv3`. modprobe treats `-` and `_` alike; so do we. */
export function moduleNameOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

function compareVersionsDescending(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A decompressor that reads the payload on stdin and writes the ELF to stdout. */
interface Decompressor {
  magic: Buffer;
  command: string;
  args: string[];
}

/**
 * The payload formats a distribution kernel may use. `--single-stream` / `-q` make the tools
 * ignore the 4-byte uncompressed size the kernel build appends after the stream.
 */
const DECOMPRESSORS: Decompressor[] = [
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), command: 'xz', args: ['-dc', '--single-stream'] },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), command: 'zstd', args: ['-dcq'] },
  { magic: Buffer.from([0x1f, 0x8b]), command: 'gzip', args: ['-dcq'] },
  { magic: Buffer.from([0x5d, 0x00, 0x00]), command: 'xz', args: ['-dc', '--format=lzma'] },
  { magic: Buffer.from([0x04, 0x22, 0x4d, 0x18]), command: 'lz4', args: ['-dcq'] },
  { magic: Buffer.from([0x42, 0x5a, 0x68]), command: 'bzip2', args: ['-dcq'] },
];

/** Offsets in the x86 boot protocol header (Documentation/arch/x86/boot.rst). */
const SETUP_SECTS_OFFSET = 0x1f1;
const HEADER_MAGIC_OFFSET = 0x202;
const PAYLOAD_OFFSET_OFFSET = 0x248;
const PAYLOAD_LENGTH_OFFSET = 0x24c;
const SECTOR = 512;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * Returns the uncompressed ELF kernel inside a bzImage. The boot header says exactly where the
 * compressed payload is (boot protocol 2.08+), so unlike the kernel's `extract-vmlinux` we do not
 * have to scan for magic numbers; the magic only tells us which decompressor to run.
 */
export function extractVmlinux(bzImage: Buffer): Buffer {
  if (bzImage.toString('latin1', HEADER_MAGIC_OFFSET, HEADER_MAGIC_OFFSET + 4) !== 'HdrS') {
    throw new Error('not a bzImage: boot header magic "HdrS" missing');
  }
  // A zero setup_sects means 4, for historical reasons.
  const setupSectors = bzImage[SETUP_SECTS_OFFSET] || 4;
  const protectedModeStart = (setupSectors + 1) * SECTOR;
  const payloadStart = protectedModeStart + bzImage.readUInt32LE(PAYLOAD_OFFSET_OFFSET);
  const payloadLength = bzImage.readUInt32LE(PAYLOAD_LENGTH_OFFSET);
  const payload = bzImage.subarray(payloadStart, payloadStart + payloadLength);
  const decompressor = DECOMPRESSORS.find((d) => payload.subarray(0, d.magic.length).equals(d.magic));
  if (!decompressor) {
    throw new Error(`unknown bzImage payload compression (first bytes ${payload.subarray(0, 6).toString('hex')})`);
  }
  const result = spawnSync(decompressor.command, decompressor.args, {
    input: payload,
    maxBuffer: 1 << 30,
    timeout: CHILD_LIMIT_MS,
  });
  if (result.error) throw new Error(`cannot run ${decompressor.command}: ${result.error.message}`);
  const elf = result.stdout;
  // A truncated payload still yields an ELF header, so the exit status matters too.
  if (result.status !== 0 || !elf || !elf.subarray(0, 4).equals(ELF_MAGIC)) {
    throw new Error(`${decompressor.command} did not produce an ELF kernel: ${result.stderr?.toString().trim()}`);
  }
  return elf;
}
