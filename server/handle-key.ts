/**
 * The per-export secret behind file handles, kept in the export's work directory
 * (work/server/handle-key) so handles stay valid across restarts and die with the work directory:
 * a union recreated from scratch gets a new key and a new export id, and old handles fail their MAC
 * (BADHANDLE) instead of naming whatever object now has the same fileid.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { HANDLE_SCHEMES, type HandleKey, type HandleScheme } from './file-handle.js';

const FILE_NAME = 'handle-key';
/**
 * Version 1 files predate handle schemes: their exports keep scheme 1 (file-handle.ts). Version 2
 * names the scheme; new keys get the latest.
 */
const FORMAT_VERSION = 2;
const NEW_SCHEME: HandleScheme = 2;

/** Read the export's key, creating it (durably, atomically) on first use. Throws on a corrupt file. */
export async function loadHandleKey(workDir: string): Promise<HandleKey> {
  const dir = join(workDir, 'server');
  const path = join(dir, FILE_NAME);
  const existing = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (existing !== undefined) return parseKey(existing, path);

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fresh: HandleKey = { exportId: randomBytes(4).readUInt32BE(0) || 1, key: randomBytes(32), scheme: NEW_SCHEME };
  const text = JSON.stringify({ version: FORMAT_VERSION, exportId: fresh.exportId, key: fresh.key.toString('hex'), scheme: fresh.scheme }) + '\n';
  // Write a temporary, fsync it, rename over, fsync the directory: a crash leaves the old state
  // or the new one, never a half key.
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return fresh;
}

function parseKey(text: string, path: string): HandleKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not a fallthru handle key (bad JSON)`);
  }
  const p = parsed as { version?: unknown; exportId?: unknown; key?: unknown; scheme?: unknown };
  if (p.version !== 1 && p.version !== FORMAT_VERSION) throw new Error(`${path}: unsupported handle key version ${String(p.version)}`);
  if (typeof p.exportId !== 'number' || !Number.isInteger(p.exportId) || p.exportId <= 0 || p.exportId > 0xffffffff) {
    throw new Error(`${path}: bad exportId`);
  }
  if (typeof p.key !== 'string' || !/^[0-9a-f]{64}$/.test(p.key)) throw new Error(`${path}: bad key`);
  const scheme = p.version === 1 ? 1 : p.scheme;
  if (!HANDLE_SCHEMES.includes(scheme as HandleScheme)) throw new Error(`${path}: unsupported handle scheme ${String(p.scheme)}`);
  return { exportId: p.exportId, key: Buffer.from(p.key, 'hex'), scheme: scheme as HandleScheme };
}
