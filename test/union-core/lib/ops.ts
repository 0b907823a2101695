/**
 * The operations the harness drives, as plain data (so a failing one can be printed and replayed),
 * and how to apply one to any FsUnderTest.
 */
import { deterministicBytes } from './prng.js';
import { type FsResult, type FsUnderTest, parentOf } from './fs-under-test.js';

export type Op =
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'write'; path: string; offset: number; length: number; dataSeed: number; create: boolean; exclusive: boolean; mode: number }
  | { op: 'truncate'; path: string; size: number }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'link'; existing: string; path: string }
  | { op: 'readdir'; path: string }
  | { op: 'stat'; path: string }
  | { op: 'readFile'; path: string }
  | { op: 'readlink'; path: string };

export type OpName = Op['op'];

export const MUTATING: ReadonlySet<OpName> = new Set([
  'mkdir', 'write', 'truncate', 'chmod', 'unlink', 'rmdir', 'rename', 'symlink', 'link',
]);

export function writeData(op: Extract<Op, { op: 'write' }>): Buffer {
  return deterministicBytes(op.dataSeed, op.length);
}

export function applyOp(fs: FsUnderTest, op: Op): Promise<FsResult<unknown>> {
  switch (op.op) {
    case 'mkdir': return fs.mkdir(op.path, op.mode);
    case 'write': return fs.write(op.path, op.offset, writeData(op), op);
    case 'truncate': return fs.truncate(op.path, op.size);
    case 'chmod': return fs.chmod(op.path, op.mode);
    case 'unlink': return fs.unlink(op.path);
    case 'rmdir': return fs.rmdir(op.path);
    case 'rename': return fs.rename(op.from, op.to);
    case 'symlink': return fs.symlink(op.target, op.path);
    case 'link': return fs.link(op.existing, op.path);
    case 'readdir': return fs.readdir(op.path);
    case 'stat': return fs.stat(op.path);
    case 'readFile': return fs.readFile(op.path);
    case 'readlink': return fs.readlink(op.path);
  }
}

/** The paths an op names (sources first). */
export function opPaths(op: Op): string[] {
  switch (op.op) {
    case 'rename': return [op.from, op.to];
    case 'link': return [op.existing, op.path];
    default: return [op.path];
  }
}

/** Paths whose state an op can change or reveal: the named paths and their directories. */
export function touchedPaths(op: Op): string[] {
  const out = new Set<string>();
  for (const p of opPaths(op)) {
    out.add(parentOf(p));
    out.add(p);
  }
  return [...out];
}

export function formatOp(op: Op): string {
  const mode = (m: number) => `0${m.toString(8)}`;
  switch (op.op) {
    case 'mkdir': return `mkdir ${op.path} ${mode(op.mode)}`;
    case 'write': {
      const flags = [op.create && 'O_CREAT', op.exclusive && 'O_EXCL'].filter(Boolean).join('|') || '-';
      return `write ${op.path} off=${op.offset} len=${op.length} seed=${op.dataSeed} ${flags} ${mode(op.mode)}`;
    }
    case 'truncate': return `truncate ${op.path} ${op.size}`;
    case 'chmod': return `chmod ${op.path} ${mode(op.mode)}`;
    case 'rename': return `rename ${op.from} -> ${op.to}`;
    case 'symlink': return `symlink ${op.path} -> ${op.target}`;
    case 'link': return `link ${op.existing} => ${op.path}`;
    default: return `${op.op} ${op.path}`;
  }
}
