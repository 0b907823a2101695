/**
 * A private network + mount namespace for one server and its load generator: only a loopback
 * interface (no packet can leave the machine, and each server can have the standard ports), and a
 * tmpfs on /run so rpcbind's socket and lock never meet the host's.
 *
 * The namespace is held by a `sleep` process; everything else enters it with nsenter, which
 * executes the command in place, so the PID we spawn is the server's own PID (for /proc/PID/stat).
 * Every process, the holder included, is started under `setpriv --pdeathsig KILL`: if the harness
 * dies, even by SIGKILL, the kernel kills them, the namespace empties and its mounts (the overlay)
 * go away with it. close() is the normal path.
 */

import { startDaemon, runCommand, haveCommand, type Daemon } from './proc.js';

const HOLD =
  'mount -t tmpfs -o mode=755 tmpfs /run && ip link set lo up && echo ready && exec sleep 2147483647';

export interface EnterOptions {
  /** Open-file limit (soft = hard) for the command; both servers get the same. */
  nofile?: number;
}

export class Netns {
  private constructor(
    readonly label: string,
    private readonly holder: Daemon,
  ) {}

  /** Why namespaces cannot be used here, or undefined when they can. */
  static unavailableReason(): string | undefined {
    if (process.getuid?.() !== 0) return 'needs root (network namespaces, mounts)';
    const missing = ['unshare', 'nsenter', 'setpriv', 'prlimit', 'ip'].filter((c) => !haveCommand(c));
    return missing.length ? `not installed: ${missing.join(', ')}` : undefined;
  }

  static async create(label: string): Promise<Netns> {
    const holder = startDaemon(`namespace ${label}`, 'setpriv', [
      '--pdeathsig', 'KILL', 'unshare', '--net', '--mount', '--propagation', 'private', 'sh', '-c', HOLD,
    ]);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      holder.child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      void holder.exited.then(() => resolve(false));
    });
    if (!ready) {
      await holder.stop('SIGKILL');
      throw new Error(`cannot create the network namespace for ${label}: ${holder.tail() || 'no answer in 10 s'}`);
    }
    return new Netns(label, holder);
  }

  /** The argv that runs `cmd args` inside the namespace (with a death signal and limits). */
  argv(cmd: string, args: string[], opts: EnterOptions = {}): [string, string[]] {
    const limit = opts.nofile ? ['prlimit', `--nofile=${opts.nofile}:${opts.nofile}`] : [];
    const enter = ['nsenter', '-t', String(this.holder.pid), '--net', '--mount', '--'];
    return ['setpriv', ['--pdeathsig', 'KILL', ...limit, ...enter, cmd, ...args]];
  }

  /** Start a long-lived process inside the namespace. */
  start(label: string, cmd: string, args: string[], opts: EnterOptions & { stdin?: boolean } = {}): Daemon {
    const [c, a] = this.argv(cmd, args, opts);
    return startDaemon(label, c, a, { stdin: opts.stdin });
  }

  /** Run a command inside the namespace to completion. */
  run(label: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
    const [c, a] = this.argv(cmd, args);
    return runCommand(label, c, a, timeoutMs);
  }

  /** Kill the holder: once the processes inside are gone too, so are the namespace and its mounts. */
  async close(): Promise<void> {
    await this.holder.stop('SIGKILL');
  }
}
