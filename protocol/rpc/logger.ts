/**
 * Structured logging: one JSON object per line, so logs can be grepped and parsed alike.
 *
 * Tracing is per subsystem and off by default: `FALLTHRU_TRACE=rpc,nfs3` turns on the `rpc` and
 * `nfs3` tracers (`all` or `*` turns on every one). A tracer is looked up once, when the component
 * is built, so a disabled tracer costs one null check per call.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

const LEVEL_RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** A logger writing JSON lines (`{"t":…,"level":…,"msg":…,…fields}`) to a stream. */
export function jsonLogger(
  out: { write(line: string): unknown } = process.stderr,
  minLevel: LogLevel = 'info',
): Logger {
  const floor = LEVEL_RANK[minLevel];
  return {
    log(level, msg, fields) {
      // Traces are filtered by subsystem, not by level.
      if (level !== 'trace' && LEVEL_RANK[level] < floor) return;
      out.write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields }, jsonSafe) + '\n');
    },
  };
}

/** Discards everything (tests, tools that must stay quiet). */
export const silentLogger: Logger = { log() {} };

/** JSON.stringify cannot print bigints or errors usefully; this replacer can. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** Whether `subsystem` is listed in a FALLTHRU_TRACE-style value. */
export function traceEnabled(subsystem: string, setting = process.env.FALLTHRU_TRACE): boolean {
  if (!setting) return false;
  return setting
    .split(',')
    .map((s) => s.trim())
    .some((s) => s === subsystem || s === 'all' || s === '*');
}

export type Tracer = (msg: string, fields?: LogFields) => void;

/** A trace function for `subsystem`, or null when tracing it is off. */
export function tracerFor(subsystem: string, logger: Logger, setting?: string): Tracer | null {
  if (!traceEnabled(subsystem, setting)) return null;
  return (msg, fields) => logger.log('trace', msg, { sub: subsystem, ...fields });
}
