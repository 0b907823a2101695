/**
 * Start the reference for a round: nfs-ganesha (VFS FSAL) exporting a kernel overlayfs of the
 * same layers, inside the round's namespace.
 *
 * Setup facts that cost time to learn:
 * - overlayfs is exportable only with index=on,nfs_export=on (file handles must survive copy-up).
 * - ganesha registers with rpcbind at start even with fixed ports, so rpcbind runs first, in the
 *   namespace (its socket lives in the namespace's private /run). Debian's `rpcbind -h ADDR`
 *   crashes; plain `rpcbind -f -w` is fine in a loopback-only namespace.
 * - Bind_addr stays unset inside a private namespace; Mount_Path_Pseudo = true lets clients mount
 *   the pseudo path /union, as they mount fallthru's export.
 * - The open-file limit is raised for both servers alike: ganesha sizes its descriptor cache
 *   from it, and at 20,000 it fills up within a 20k-entry directory and answers JUKEBOX.
 * - A long-lived ganesha slows down run after run, so every round starts a fresh one.
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveCommand, oneLine, sleep, startDaemon, type Daemon } from './proc.js';
import { EXPORT_PATH, MOUNT_PORT, NFS_PORT, type ServerUnderTest, type StartParams } from './server.js';

/** Why ganesha cannot be run here, or undefined when it can. */
export function ganeshaUnavailableReason(): string | undefined {
  const missing = ['ganesha.nfsd', 'rpcbind', 'rpcinfo'].filter((c) => !haveCommand(c));
  if (!haveVfsFsal()) missing.push('nfs-ganesha-vfs');
  return missing.length ? `not installed: ${missing.join(', ')} (apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind)` : undefined;
}

/** The VFS FSAL plugin: /usr/lib/<multiarch>/ganesha/libfsalvfs.so on Debian. */
function haveVfsFsal(): boolean {
  const dirs = ['/usr/lib', '/usr/lib64'].flatMap((d) => [join(d, 'ganesha'), ...subdirs(d).map((s) => join(d, s, 'ganesha'))]);
  return dirs.some((d) => existsSync(join(d, 'libfsalvfs.so')));
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function config(mnt: string, state: string): string {
  return `# written by bench/e2e/ganesha.ts for one benchmark round
NFS_CORE_PARAM {
  Protocols = 3;
  NFS_Port = ${NFS_PORT};
  MNT_Port = ${MOUNT_PORT};
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Mount_Path_Pseudo = true;
}
NFSV4 {
  Graceless = true;
  RecoveryRoot = "${join(state, 'recovery')}";
}
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
  Export_Id = 1;
  Path = "${mnt}";
  Pseudo = "${EXPORT_PATH}";
  Access_Type = RW;
  Squash = No_Root_Squash;
  SecType = sys;
  Protocols = 3;
  Transports = TCP;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
`;
}

export async function startGanesha(p: StartParams): Promise<ServerUnderTest> {
  const { ns, dirs } = p;
  const overlay = `lowerdir=${p.layers.lowers.join(':')},upperdir=${dirs.upper},workdir=${dirs.work},index=on,nfs_export=on`;
  await ns.run('mount overlay', 'mount', ['-t', 'overlay', 'overlay', '-o', overlay, dirs.mnt], 30_000);

  const conf = join(dirs.state, 'ganesha.conf');
  const log = join(dirs.state, 'ganesha.log');
  writeFileSync(conf, config(dirs.mnt, dirs.state));
  const daemons: Daemon[] = [];
  const stopAll = async () => {
    for (const d of daemons.reverse()) await d.stop('SIGTERM', 15_000);
  };
  try {
    const rpcbind = ns.start('rpcbind', 'rpcbind', ['-f', '-w']);
    daemons.push(rpcbind);
    await waitForRpcbind(p, rpcbind);
    const ganesha = ns.start('ganesha', 'ganesha.nfsd', ['-F', '-f', conf, '-L', log, '-p', join(dirs.state, 'ganesha.pid')], {
      nofile: p.nofile,
    });
    daemons.push(ganesha);
    let dead: string | undefined;
    void ganesha.exited.then(({ code, signal }) => {
      dead = `ganesha exited ${code ?? signal}: ${oneLine(ganesha.tail()) || lastLogLine(log)}`;
    });
    return {
      kind: 'ganesha',
      pid: ganesha.pid,
      nfsPort: NFS_PORT,
      mountPort: MOUNT_PORT,
      exportPath: EXPORT_PATH,
      deadReason: () => dead,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

async function waitForRpcbind(p: StartParams, rpcbind: Daemon): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await p.ns.run('rpcinfo', 'rpcinfo', ['-p', '127.0.0.1'], 5_000);
      return;
    } catch (e) {
      if (rpcbind.child.exitCode !== null) throw new Error(`rpcbind exited: ${oneLine(rpcbind.tail())}`);
      if (Date.now() > deadline) throw new Error(`rpcbind not answering: ${e instanceof Error ? e.message : String(e)}`);
    }
    await sleep(100);
  }
}

function lastLogLine(log: string): string {
  try {
    return oneLine(readFileSync(log, 'utf8'));
  } catch {
    return 'no log';
  }
}
