/**
 * Run a portmap test scenario inside a private network namespace (so port 111 is ours and no
 * packet leaves the machine) with a private mount namespace holding a fresh tmpfs on /run (so
 * rpcinfo and rpcbind use their own /run/rpcbind.sock, never the host's), in a private PID
 * namespace tied to the unshare process (--kill-child): if a scenario is killed, every daemon it
 * started dies with it instead of lingering in an unreachable namespace.
 *
 * A scenario is a compiled script that prints one JSON object as its last stdout line; the test
 * asserts on it. Inside scenarios, `runTool` runs a command asynchronously so the scenario's own
 * servers keep answering while the tool talks to them.
 */

import { execFile, spawn, spawnSync } from 'node:child_process';

const UNSHARE = ['-n', '-m', '-p', '--fork', '--kill-child', '--mount-proc'];
const SETUP = 'mount -t tmpfs tmpfs /run && ip link set lo up && exec "$@"';

/** Why namespaces cannot be made here (not root, no unshare...), or undefined when they can. */
export function netnsUnavailableReason(): string | undefined {
  const probe = spawnSync('unshare', [...UNSHARE, 'sh', '-c', SETUP, 'sh', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return `unshare not runnable: ${probe.error.message}`;
  if (probe.status !== 0) return `cannot create network+mount namespaces: ${probe.stderr.trim()}`;
  return undefined;
}

/** Missing tools, as a reason to skip, or undefined when all of `tools` are on PATH. */
export function missingTools(tools: string[]): string | undefined {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length ? `not installed: ${missing.join(', ')}` : undefined;
}

/** Run `node script args...` in fresh namespaces; resolves with its JSON result. */
export function runScenario<T>(script: string, args: string[] = [], timeoutMs = 90_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', [...UNSHARE, 'sh', '-c', SETUP, 'sh', process.execPath, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`scenario exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`scenario printed no JSON result\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }
    });
  });
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion without blocking the event loop (20 s cap). */
export function runTool(cmd: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
