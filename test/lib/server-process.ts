/**
 * The server in a child process (test/lib/serve-entry.ts), so a test can SIGKILL it mid-flight and
 * start it again on the same ports with the same layers: what a crash and restart look like to
 * clients.
 *
 *   const server = new ServerProcess(config);   // config.nfsPort/mountPort may be 0
 *   await server.start();                        // ports chosen on the first start are kept
 *   await server.kill('SIGKILL');
 *   await server.start();                        // same ports, same layers
 *   await server.stop();                         // SIGTERM, clean close
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../../server/config.js';

const ENTRY = fileURLToPath(new URL('./serve-entry.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** stderr kept for error messages. */
const LOG_TAIL_CHARS = 8192;
/** Right after a SIGKILL the old sockets may linger a moment; retry a start that hits EADDRINUSE. */
const ADDRESS_IN_USE_RETRIES = 20;

export interface ServerPorts {
  nfsPort: number;
  mountPort: number;
  portmapMode: string;
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logTail = '';
  private ports: ServerPorts | undefined;
  /** Times the server was started. */
  starts = 0;

  constructor(readonly config: ServerConfig) {}

  get nfsPort(): number {
    return this.requirePorts().nfsPort;
  }

  get mountPort(): number {
    return this.requirePorts().mountPort;
  }

  get portmapMode(): string {
    return this.requirePorts().portmapMode;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server's stderr (its warnings and errors), last part. */
  log(): string {
    return this.logTail;
  }

  /** Starts the server; after the first start, on the ports that start got. */
  async start(): Promise<ServerPorts> {
    if (this.running) throw new Error('server process already running');
    const config = this.ports ? { ...this.config, nfsPort: this.ports.nfsPort, mountPort: this.ports.mountPort } : this.config;
    for (let attempt = 0; ; attempt++) {
      try {
        this.ports = await this.spawnOnce(config);
        this.starts++;
        return this.ports;
      } catch (e) {
        const inUse = /already in use/.test(String(e));
        if (!inUse || !this.ports || attempt >= ADDRESS_IN_USE_RETRIES) throw e;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.exited;
  }

  /** Kills (SIGKILL by default) and starts again on the same ports. */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<ServerPorts> {
    await this.kill(signal);
    return this.start();
  }

  /** Clean shutdown: SIGTERM, then SIGKILL if it has not exited in 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }

  private requirePorts(): ServerPorts {
    if (!this.ports) throw new Error('server process never started');
    return this.ports;
  }

  private spawnOnce(config: ServerConfig): Promise<ServerPorts> {
    const child = spawn(process.execPath, [ENTRY, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdin!.on('error', () => undefined);
    child.stderr!.on('data', (chunk: Buffer) => {
      this.logTail = (this.logTail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
      if (process.env.FALLTHRU_SERVER_LOG === '1') process.stderr.write(chunk);
    });
    return new Promise((resolve, reject) => {
      let stdout = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`server process ${why}\n--- server stderr ---\n${this.logTail.trimEnd()}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const newline = stdout.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        try {
          resolve(JSON.parse(stdout.slice(0, newline)) as ServerPorts);
        } catch {
          fail(`printed ${JSON.stringify(stdout.slice(0, newline))} instead of its ports`);
        }
      });
      child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
    });
  }
}
