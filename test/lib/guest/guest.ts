/**
 * Boots throw-away Linux guests under qemu so tests can drive a real kernel NFS client.
 *
 *   const guest = await bootGuest();
 *   const { code, stdout } = await guest.run('grep nfs /proc/filesystems');
 *   await guest.shutdown();
 *
 * Each guest is its own qemu process with its own user-mode network, in which the host's
 * loopback interface is HOST_ADDRESS_FROM_GUEST (10.0.2.2). Several may run at once.
 *
 * Emulation is TCG, not KVM: on nested hypervisors /dev/kvm exists but hangs stock kernels, and
 * tests must behave the same everywhere. The price is a slow guest CPU, so never time anything
 * performance-related through a guest.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import type tap from 'tap';
import { join } from 'node:path';
import { ChannelParser, encodeRunRequest, POWEROFF_REQUEST, type ChannelEvent } from './channel.js';
import { ensureGuestImage, guestUnavailableReason, type GuestImage } from './image.js';
import { HOSTNAME_PARAMETER } from './init-script.js';

export { GUEST_ADDRESS, HOST_ADDRESS_FROM_GUEST } from './init-script.js';
export { ensureGuestImage, guestUnavailableReason } from './image.js';
export { nfsMountCommand, type NfsMountOptions } from './nfs-mount.js';

/**
 * For tap's `skip` option: the reason guests cannot run here, or false when they can. With
 * FALLTHRU_GUEST_REQUIRED=1 (set it in CI) a missing prerequisite throws instead of skipping, so
 * a broken CI image cannot silently turn every guest test into a skip.
 */
export function skipUnlessGuestsCanRun(): string | false {
  const reason = guestUnavailableReason();
  if (reason && process.env.FALLTHRU_GUEST_REQUIRED === '1') {
    throw new Error(`guest tests are required (FALLTHRU_GUEST_REQUIRED=1) but cannot run: ${reason}`);
  }
  return reason ?? false;
}

/**
 * Call last in a guest test file. A test file whose tests have all ended must end too: tap waits
 * for the process, so a handle left open (a guest, a socket, a timer) would otherwise hold the
 * file until tap's file timeout, reported as a bare "timeout!" with no hint of the culprit. This
 * adds a last test that kills any guest still running and arms a watchdog: if the process is
 * still alive a while later, it names what keeps it alive on stderr and exits with a failure.
 */
export function endWithTheTests(t: typeof tap): void {
  t.test('every guest is gone when the tests end', async (t) => {
    const left = [...liveGuests];
    for (const guest of left) guest.kill();
    await Promise.all(left.map((guest) => guest.waitForExit()));
    t.equal(left.length, 0, 'no test left a guest running');
    const watchdog = setTimeout(() => {
      process.stderr.write(`# the test file did not end ${LINGER_LIMIT_MS} ms after its tests; still open: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(1);
    }, LINGER_LIMIT_MS);
    watchdog.unref();
  });
}

/** How long a guest test file may live on after its last test (see endWithTheTests). */
const LINGER_LIMIT_MS = 20_000;

export interface HostForward {
  /** TCP port inside the guest. */
  guestPort: number;
  /** Port on the host's 127.0.0.1; a free one is picked when omitted. */
  hostPort?: number;
}

export interface BootOptions {
  /** Guest RAM; the initramfs lives in it too. Default 256. */
  memoryMb?: number;
  /** Appended to the kernel command line (e.g. "sunrpc.tcp_slot_table_entries=4"). */
  cmdline?: string;
  /** TCP ports of the guest reachable from the host's loopback. */
  hostForwards?: HostForward[];
  /** Give up booting after this long. Default 90 s: two guests on a loaded 2-core CI box. */
  bootTimeoutMs?: number;
  /** Guest hostname, also used in error messages and console echo. Default guest1, guest2, ... */
  name?: string;
}

export interface RunOptions {
  /** The guest SIGKILLs the script's process group after this long. Default 60 s. */
  timeoutMs?: number;
  /** Reject when the script exits non-zero (the message carries its stderr). */
  check?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Host-measured wall time of the round trip. */
  durationMs: number;
}

/** Thrown by run() when the script hit its time limit; carries what it printed until then. */
export class GuestTimeoutError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GuestTimeoutError';
  }
}

const DEFAULT_MEMORY_MB = 256;
const DEFAULT_BOOT_TIMEOUT_MS = 90_000;
const DEFAULT_RUN_TIMEOUT_MS = 60_000;
/** How long after the guest's own time limit the host stops waiting and declares it wedged. */
const HOST_TIMEOUT_SLACK_MS = 30_000;
/** poweroff takes ~20 ms; longer means the guest is busy (a script still running) or wedged. */
const SHUTDOWN_GRACE_MS = 3_000;
/** Kernel console lines kept for error messages. */
const CONSOLE_TAIL_CHARS = 16_384;
/** After qemu exits, how long to wait for the rest of its console output. */
const CONSOLE_DRAIN_MS = 500;
/** Exit status of a process killed by SIGKILL, as the guest shell reports it. */
const KILLED_STATUS = 137;

/**
 * quiet/loglevel keep the console short; panic=-1 with qemu's -no-reboot turns a kernel panic into
 * a qemu exit instead of a hang; the i8042 options skip probing a keyboard nobody will use.
 */
// no_timer_check: on a busy host, emulated (TCG) time runs unevenly and the kernel's boot-time
// check of the IO-APIC timer can fail ("IO-APIC + timer doesn't work!" panic); guests of
// virtual machines skip it for the same reason.
const BASE_CMDLINE = 'console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check i8042.noaux i8042.nokbd i8042.nopnp';

/** Every live guest, so a test that forgets shutdown() cannot leave qemu running. */
const liveGuests = new Set<Guest>();
process.on('exit', () => {
  for (const guest of liveGuests) guest.kill();
});

let nextGuestNumber = 1;

export class Guest {
  /** Host ports forwarded to the guest, by guest port. */
  readonly hostPorts: ReadonlyMap<number, number>;
  /** From spawning qemu to the guest's ready line. */
  bootMs = 0;

  private readonly parser = new ChannelParser();
  private consoleTail = '';
  private channel: Socket | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextCommandId = 1;
  /** Parsed events nobody has asked for yet. */
  private readonly backlog: ChannelEvent[] = [];
  /** Set while nextEvent() sleeps; new data or qemu's exit wakes it. */
  private wakeWaiter: (() => void) | undefined;
  private exitedWith: string | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly qemu: ChildProcess,
    private readonly workDir: string,
    hostPorts: Map<number, number>,
  ) {
    this.hostPorts = hostPorts;
    const echo = process.env.FALLTHRU_GUEST_CONSOLE === '1';
    const keepConsole = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.consoleTail = (this.consoleTail + text).slice(-CONSOLE_TAIL_CHARS);
      if (echo) process.stderr.write(text.replace(/^/gm, `[${name}] `));
    };
    qemu.stdout?.on('data', keepConsole);
    qemu.stderr?.on('data', keepConsole);
    this.exited = new Promise((resolve) => {
      const onGone = (how: string): void => {
        if (this.exitedWith !== undefined) return;
        this.exitedWith = how;
        liveGuests.delete(this);
        this.channel?.destroy();
        rmSync(this.workDir, { recursive: true, force: true });
        this.wakeWaiter?.();
        resolve();
      };
      // 'exit' can come before the last console bytes are read from the pipes; 'close' comes
      // after them. Wait for 'close' (bounded, in case something else holds the pipes) so the
      // console tail in the failure message includes the guest's last words (a panic, say).
      let how = 'exited';
      let drainTimer: NodeJS.Timeout | undefined;
      qemu.on('exit', (code, signal) => {
        how = signal ? `signal ${signal}` : `exit code ${code}`;
        drainTimer = setTimeout(() => onGone(how), CONSOLE_DRAIN_MS);
      });
      qemu.on('close', () => {
        clearTimeout(drainTimer);
        onGone(how);
      });
      // Spawning itself failed (e.g. qemu not installed): there will be no 'exit'.
      qemu.on('error', (error) => onGone(`could not start: ${error.message}`));
    });
    liveGuests.add(this);
  }

  /** The host port that reaches `guestPort` in the guest (see BootOptions.hostForwards). */
  forwardedPort(guestPort: number): number {
    const port = this.hostPorts.get(guestPort);
    if (port === undefined) throw new Error(`${this.name}: guest port ${guestPort} is not forwarded`);
    return port;
  }

  /** The last part of the kernel console and qemu's own messages, for diagnostics. */
  console(): string {
    return this.consoleTail;
  }

  /** qemu's process id (for diagnostics such as measuring its CPU use). */
  get pid(): number | undefined {
    return this.qemu.pid;
  }

  get alive(): boolean {
    return this.exitedWith === undefined;
  }

  /**
   * Runs a busybox `sh` script in the guest (cwd /, stdin /dev/null) and resolves with its exit
   * status and output. Calls are queued: one script at a time per guest. A script may start
   * background jobs (`cmd &`) that outlive it; they are killed only if the script times out.
   */
  run(script: string, options: RunOptions = {}): Promise<RunResult> {
    const result = this.queue.then(() => this.runNow(script, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(script: string, options: RunOptions): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const id = `c${this.nextCommandId++}`;
    const started = performance.now();
    this.send(encodeRunRequest(id, timeoutMs / 1000, script));
    const event = await this.nextEvent(timeoutMs + HOST_TIMEOUT_SLACK_MS, `command ${id}`);
    if (event.kind !== 'result' || event.result.id !== id) {
      throw this.failure(`expected the result of ${id}, got ${JSON.stringify(event)}`);
    }
    const durationMs = performance.now() - started;
    const { code } = event.result;
    const stdout = event.result.stdout.toString('utf8');
    const stderr = event.result.stderr.toString('utf8');
    if (code === KILLED_STATUS && durationMs >= timeoutMs) {
      throw new GuestTimeoutError(
        `${this.name}: script timed out after ${timeoutMs} ms\n--- script ---\n${script}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
        stdout,
        stderr,
      );
    }
    if (options.check && code !== 0) {
      throw new Error(`${this.name}: script exited ${code}\n--- script ---\n${script}\n--- stderr ---\n${stderr}`);
    }
    return { code, stdout, stderr, durationMs };
  }

  /** Asks the guest to power off; kills qemu if it has not exited within a grace period. */
  async shutdown(): Promise<void> {
    if (!this.alive) return;
    try {
      this.send(POWEROFF_REQUEST);
    } catch {
      // Channel already gone: the kill below does the job.
    }
    const timer = setTimeout(() => this.kill(), SHUTDOWN_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills qemu at once. Safe to call more than once. */
  kill(): void {
    if (this.alive) this.qemu.kill('SIGKILL');
  }

  /** Resolves when qemu has exited. */
  waitForExit(): Promise<void> {
    return this.exited;
  }

  /** Internal: called by bootGuest once the command socket is connected. */
  attachChannel(channel: Socket): void {
    this.channel = channel;
    channel.on('data', (chunk: Buffer) => {
      this.backlog.push(...this.parser.push(chunk));
      this.wakeWaiter?.();
    });
    channel.on('error', () => undefined); // qemu exiting closes it; the exit handler reports.
  }

  /** Waits for the next protocol event; fails (and kills the guest) if none comes in time. */
  async nextEvent(timeoutMs: number, what: string): Promise<ChannelEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const event = this.backlog.shift();
      if (event) return event;
      if (!this.alive) throw this.failure(`waiting for ${what}: qemu has exited (${this.exitedWith})`);
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        this.kill();
        throw this.failure(`no answer to ${what} within ${timeoutMs} ms; guest killed`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wakeWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeWaiter = undefined;
    }
  }

  private send(line: string): void {
    if (!this.channel || !this.alive) throw this.failure('the guest is not running');
    this.channel.write(line);
  }

  failure(message: string): Error {
    return new Error(`${this.name}: ${message}\n--- console (tail) ---\n${this.consoleTail.trimEnd()}`);
  }
}

/** Quotes a string for the guest's sh: `guest.run(\`cat ${shellQuote(name)}\`)`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Boots a guest and resolves once it accepts commands. */
export async function bootGuest(options: BootOptions = {}): Promise<Guest> {
  const image = ensureGuestImage();
  const name = options.name ?? `guest${nextGuestNumber++}`;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/i.test(name)) throw new Error(`guest name ${JSON.stringify(name)} is not a valid hostname`);
  const workDir = mkdtempSync(join(tmpdir(), 'fallthru-guest-'));
  const socketPath = join(workDir, 'command.sock');
  const hostPorts = new Map<number, number>();
  for (const forward of options.hostForwards ?? []) {
    hostPorts.set(forward.guestPort, forward.hostPort ?? (await pickFreeLoopbackPort()));
  }
  const args = qemuArguments(image, name, options, socketPath, hostPorts);
  const started = performance.now();
  const [command, ...prefix] = [...parentDeathPrefix(), 'qemu-system-x86_64'];
  const qemu = spawn(command!, [...prefix, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guest = new Guest(name, qemu, workDir, hostPorts);
  // One deadline for the whole boot, not one per step.
  const deadline = started + (options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS);
  try {
    guest.attachChannel(await connectWhenListening(socketPath, guest, deadline - performance.now()));
    const ready = await guest.nextEvent(Math.max(0, deadline - performance.now()), 'the ready line');
    if (ready.kind !== 'ready') throw guest.failure(`expected the ready line, got ${JSON.stringify(ready)}`);
    if (ready.problems.length > 0) throw guest.failure(`guest came up with problems: ${ready.problems.join(' ')}`);
    guest.bootMs = performance.now() - started;
    return guest;
  } catch (error) {
    guest.kill();
    await guest.waitForExit();
    throw error;
  }
}

function qemuArguments(
  image: GuestImage,
  hostname: string,
  options: BootOptions,
  socketPath: string,
  hostPorts: Map<number, number>,
): string[] {
  const forwards = [...hostPorts].map(([guestPort, hostPort]) => `,hostfwd=tcp:127.0.0.1:${hostPort}-:${guestPort}`);
  return [
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-monitor', 'none',
    '-machine', 'pc',
    '-accel', 'tcg',
    '-cpu', 'max',
    '-smp', '1',
    '-m', String(options.memoryMb ?? DEFAULT_MEMORY_MB),
    '-no-reboot',
    '-kernel', image.vmlinuxPath,
    '-initrd', image.initramfsPath,
    '-append', `${BASE_CMDLINE} ${HOSTNAME_PARAMETER}=${hostname} ${options.cmdline ?? ''}`.trim(),
    // ttyS0: kernel console, to our stdout pipe. ttyS1: the command channel.
    '-serial', 'stdio',
    // wait=on: qemu does not start the guest before we are connected, so no byte is lost.
    '-chardev', `socket,id=command,path=${socketPath},server=on,wait=on`,
    '-serial', 'chardev:command',
    '-netdev', `user,id=net0,ipv6=off${forwards.join('')}`,
    '-device', 'virtio-net-pci,netdev=net0',
  ];
}

/**
 * `setpriv --pdeathsig KILL` (util-linux) makes qemu die with the test process even when that is
 * killed by a signal (tap's timeout), where no 'exit' handler runs.
 */
function parentDeathPrefix(): string[] {
  const onPath = (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir || '.', 'setpriv')));
  return onPath ? ['setpriv', '--pdeathsig', 'KILL'] : [];
}

/** qemu creates the socket a moment after it starts; retry until it accepts or qemu dies. */
async function connectWhenListening(socketPath: string, guest: Guest, timeoutMs: number): Promise<Socket> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!guest.alive) throw guest.failure('qemu exited before opening its command socket');
    if (existsSync(socketPath)) {
      try {
        return await new Promise<Socket>((resolve, reject) => {
          const socket = connect(socketPath, () => resolve(socket));
          socket.once('error', reject);
        });
      } catch {
        // Socket file exists but is not listening yet.
      }
    }
    if (performance.now() > deadline) throw guest.failure('qemu never opened its command socket');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Asks the kernel for a free port on 127.0.0.1 (released at once, for qemu to bind). */
function pickFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
