// Logging with winston behind a small interface, so the rest of the code does
// not depend on winston. Readable lines by default, JSON on request, an
// optional log file that is reopened on SIGHUP (logrotate's copy-less rotate).
import fs from 'node:fs';
import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  debug(msg: string, meta?: Record<string, unknown>): void;
  isDebug(): boolean;
  setLevel(level: LogLevel): void;
  /** Reopen the log file (after logrotate moved it away). */
  reopen(): void;
  close(): Promise<void>;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'text' | 'json';
  /** Write here instead of stderr. */
  file?: string | null;
  /** Also keep writing to stderr when a file is set (foreground runs). */
  alsoStderr?: boolean;
}

// Anything that looks like a password option or env assignment is masked, so a
// stray argv or error text can never leak one into a log line.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(RSYNC_PASSWORD=)\S+/g, '$1***'],
  [/(--password=)\S+/g, '$1***'],
  [/(passwd=)[^&\s]+/g, '$1***'],
  [/(pswd=)[^&\s]+/g, '$1***'],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_PATTERNS) out = out.replace(re, rep);
  return out;
}

function textFormat(): winston.Logform.Format {
  return winston.format.printf((info) => {
    const { level, message, timestamp, ...rest } = info as Record<string, unknown>;
    const extra = Object.keys(rest).length
      ? ' ' +
        Object.entries(rest)
          .filter(([k]) => typeof k === 'string')
          .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
          .join(' ')
      : '';
    return redact(`${String(timestamp)} ${String(level).toUpperCase().padEnd(5)} ${String(message)}${extra}`);
  });
}

function jsonFormat(): winston.Logform.Format {
  return winston.format.printf((info) => redact(JSON.stringify(info)));
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = winston.format.combine(
    winston.format.timestamp(),
    opts.format === 'json' ? jsonFormat() : textFormat(),
  );
  const logger = winston.createLogger({ level: opts.level ?? 'info', format, transports: [] });

  let fileTransport: winston.transport | null = null;
  const openFile = (): void => {
    if (!opts.file) return;
    // Our own stream (not winston's File transport) so that reopen is exact:
    // close the old descriptor, open the path again, append.
    const stream = fs.createWriteStream(opts.file, { flags: 'a', mode: 0o640 });
    fileTransport = new winston.transports.Stream({ stream });
    logger.add(fileTransport);
  };

  if (opts.file) {
    openFile();
    if (opts.alsoStderr) logger.add(new winston.transports.Stream({ stream: process.stderr }));
  } else {
    logger.add(new winston.transports.Stream({ stream: process.stderr }));
  }

  const log = (level: LogLevel) => (msg: string, meta?: Record<string, unknown>) => {
    logger.log(level, msg, meta ?? {});
  };

  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    isDebug: () => logger.isLevelEnabled('debug'),
    setLevel(level) {
      logger.level = level;
    },
    reopen() {
      if (!opts.file || !fileTransport) return;
      const old = fileTransport as winston.transports.StreamTransportInstance;
      logger.remove(old);
      (old as unknown as { _stream?: fs.WriteStream })._stream?.end();
      openFile();
    },
    close() {
      return new Promise((resolve) => {
        logger.on('finish', () => resolve());
        logger.end();
        setTimeout(resolve, 500).unref();
      });
    },
  };
}

/** A logger that drops everything (unit tests, --check). */
export function silentLogger(): Logger {
  const noop = (): void => {};
  return {
    error: noop,
    warn: noop,
    info: noop,
    debug: noop,
    isDebug: () => false,
    setLevel: noop,
    reopen: noop,
    close: async () => {},
  };
}
