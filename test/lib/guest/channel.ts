/**
 * Host side of the command channel protocol described in init-script.ts: encodes requests and
 * turns the guest's byte stream back into events. Kept free of qemu so it can be unit-tested.
 */

import { MARK_BEGIN, MARK_END, MARK_READY, MARK_STDERR } from './init-script.js';

export interface CommandResult {
  id: string;
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export type ChannelEvent =
  | { kind: 'ready'; problems: string[] }
  | { kind: 'result'; result: CommandResult };

/**
 * `run <id> <seconds> <length>\n` followed by `length` bytes of base64 script ending in "\n".
 * The header is short so the guest's byte-at-a-time `read` is cheap; the body it takes in bulk.
 */
export function encodeRunRequest(id: string, timeoutSeconds: number, script: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(id)) throw new Error(`bad command id ${JSON.stringify(id)}`);
  const seconds = Math.max(1, Math.ceil(timeoutSeconds));
  const body = `${Buffer.from(script).toString('base64')}\n`;
  return `run ${id} ${seconds} ${body.length}\n${body}`;
}

export const POWEROFF_REQUEST = 'poweroff\n';

/**
 * Incremental parser. Anything outside a begin…end frame that is not the ready marker is
 * ignored: nothing else should write to the channel, but a stray line must not wedge the parser.
 */
export class ChannelParser {
  private pending = '';
  private frame: { id: string; section: 'stdout' | 'stderr'; stdout: string[]; stderr: string[] } | undefined;

  /** Feeds bytes; returns the events completed by them, in order. */
  push(chunk: Buffer | string): ChannelEvent[] {
    // latin1 maps bytes 1:1, so a multi-byte sequence split across chunks cannot be mangled.
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const events: ChannelEvent[] = [];
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, newline).replace(/\r$/, '');
      this.pending = this.pending.slice(newline + 1);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ChannelEvent | undefined {
    const [marker, ...rest] = line.split(' ');
    if (marker === MARK_READY) return { kind: 'ready', problems: rest.filter(Boolean) };
    if (marker === MARK_BEGIN) {
      this.frame = { id: rest[0] ?? '', section: 'stdout', stdout: [], stderr: [] };
      return undefined;
    }
    if (!this.frame) return undefined;
    if (marker === MARK_STDERR && rest[0] === this.frame.id) {
      this.frame.section = 'stderr';
      return undefined;
    }
    if (marker === MARK_END && rest[0] === this.frame.id) {
      const frame = this.frame;
      this.frame = undefined;
      return {
        kind: 'result',
        result: {
          id: frame.id,
          code: Number.parseInt(rest[1] ?? '', 10),
          stdout: Buffer.from(frame.stdout.join(''), 'base64'),
          stderr: Buffer.from(frame.stderr.join(''), 'base64'),
        },
      };
    }
    this.frame[this.frame.section].push(line.trim());
    return undefined;
  }
}
