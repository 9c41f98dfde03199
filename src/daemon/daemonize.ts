// `-d`: run in the background, but say whether that worked.
//
// sersync2 forks, sleeps one second and exits 0 whatever happens next (spec
// §8, §9.13). Here the parent re-runs this same program with the same argv as
// a detached child (a new session: no controlling terminal, not killed with
// the shell) and waits on an IPC channel until the child reports that it is
// watching (exit 0) or why it could not start (exit non-zero, with the child's
// own error text). The parent never starts the engine.
//
// The child keeps the launch directory (relative -o, failLog and --log-file
// paths keep working, as with sersync2) and the umask (sersync2 set it to 0,
// which made its files world-writable; we don't). Unlike sersync2 it does not
// keep the terminal: stdin is /dev/null and stdout/stderr go to --log-file,
// or to /dev/null without one (as `sersync2 -d >/dev/null 2>&1` would).
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Set in the child's environment; removed by the child as soon as it starts. */
export const DAEMON_CHILD_ENV = 'SERSYNC_TS_DAEMON_CHILD';
/** Seconds the parent waits for "ready" (watching a huge tree takes time). */
export const READY_TIMEOUT_ENV = 'SERSYNC_TS_DAEMON_READY_TIMEOUT';
export const DEFAULT_READY_TIMEOUT_S = 120;

type Msg = { type: 'ready'; pid: number } | { type: 'error'; message: string; code?: number };

const wasChild = process.env[DAEMON_CHILD_ENV] === '1';

/** True in the background process started by `-d`. */
export function isDaemonChild(): boolean {
  return wasChild;
}

export function readyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[READY_TIMEOUT_ENV]);
  return (Number.isFinite(v) && v > 0 ? v : DEFAULT_READY_TIMEOUT_S) * 1000;
}

export interface ParentOptions {
  /** The command-line arguments, as given (the child gets the same). */
  argv: string[];
  logFile: string | null;
  out(s: string): void;
  err(s: string): void;
  timeoutMs?: number;
}

/** The parent side of `-d`. Resolves to the parent's exit code. */
export async function runDaemonParent(o: ParentOptions): Promise<number> {
  let outFd: number;
  try {
    outFd = o.logFile ? fs.openSync(o.logFile, 'a', 0o640) : fs.openSync('/dev/null', 'w');
  } catch (e) {
    o.err(`sersync2: cannot open the log file ${o.logFile}: ${(e as Error).message}\n`);
    return 1;
  }
  o.out('daemon start，sersync run behind the console \n');
  if (!o.logFile) o.out('(no --log-file: the daemon\'s messages are discarded)\n');

  const script = process.argv[1];
  const child = spawn(process.execPath, [...process.execArgv, script, ...o.argv], {
    detached: true,
    stdio: ['ignore', outFd, outFd, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  fs.closeSync(outFd);

  const timeoutMs = o.timeoutMs ?? readyTimeoutMs();
  const outcome = await new Promise<
    | { kind: 'ready'; pid: number }
    | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; message: string | null }
    | { kind: 'timeout' }
    | { kind: 'spawn'; error: Error }
  >((resolve) => {
    let message: string | null = null;
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    child.on('message', (m: Msg) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve({ kind: 'ready', pid: m.pid });
      } else if (m?.type === 'error') {
        message = m.message;
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ kind: 'spawn', error });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ kind: 'exit', code, signal, message });
    });
  });

  switch (outcome.kind) {
    case 'ready':
      if (child.connected) child.disconnect();
      child.unref();
      o.out(`sersync-ts daemon running, pid ${outcome.pid}\n`);
      return 0;
    case 'spawn':
      o.err(`sersync2: cannot start the daemon: ${outcome.error.message}\n`);
      return 1;
    case 'timeout':
      child.kill('SIGTERM');
      if (child.connected) child.disconnect();
      child.unref();
      o.err(
        `sersync2: the daemon (pid ${child.pid}) did not report that it is watching within ${Math.round(timeoutMs / 1000)} s; ` +
          `stopped it. A very large tree needs longer: set ${READY_TIMEOUT_ENV}=<seconds>` +
          `${o.logFile ? `; see ${o.logFile}` : ''}\n`,
      );
      return 1;
    case 'exit': {
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      if (outcome.message && outcome.message.trim()) o.err(outcome.message.endsWith('\n') ? outcome.message : `${outcome.message}\n`);
      o.err(`sersync2: the daemon ${how} before it was watching${o.logFile ? `; see ${o.logFile}` : ''}\n`);
      return outcome.code && outcome.code > 0 ? outcome.code : 1;
    }
  }
}

// ---------------------------------------------------------------- child side

let ready = false;
let capturing = false;
let captured = '';
const CAPTURE_MAX = 8000;
let followFd: number | null = null;

type WriteFn = typeof process.stdout.write;

function patchStream(stream: NodeJS.WriteStream, tee: boolean): void {
  const original = stream.write.bind(stream) as WriteFn;
  const patched = ((chunk: string | Uint8Array, encOrCb?: unknown, cb?: unknown): boolean => {
    const callback = (typeof encOrCb === 'function' ? encOrCb : cb) as ((e?: Error | null) => void) | undefined;
    const encoding = typeof encOrCb === 'string' ? (encOrCb as BufferEncoding) : undefined;
    if (tee && capturing) {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (captured.length > CAPTURE_MAX) captured = captured.slice(-CAPTURE_MAX);
    }
    if (followFd !== null) {
      try {
        fs.writeSync(followFd, typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : chunk);
      } catch {
        // a full disk must not crash the daemon through its own log output
      }
      if (callback) process.nextTick(callback);
      return true;
    }
    return encoding ? original(chunk, encoding, callback) : original(chunk, callback);
  }) as WriteFn;
  stream.write = patched;
}

/**
 * Called first thing in the `-d` child: keep what it writes on stderr until it
 * is ready (the parent prints it if start-up fails), report a failure on any
 * exit before ready, and after logrotate's SIGHUP send stdout/stderr to the
 * new log file too (winston's own stream is reopened by the logger).
 */
export function initDaemonChild(opts: { logFile: string | null }): void {
  if (!wasChild) return;
  delete process.env[DAEMON_CHILD_ENV]; // not for rsync or plugin children
  capturing = true;
  patchStream(process.stdout, false);
  patchStream(process.stderr, true);
  // Node prints a fatal exception straight to fd 2, past process.stderr.write.
  process.on('uncaughtExceptionMonitor', (e) => {
    if (capturing) captured += `${(e as Error)?.stack ?? String(e)}\n`;
  });
  process.on('exit', (code) => {
    if (ready || !process.connected || !process.send) return;
    // The IPC pipe is written synchronously when it is not full, so this
    // message gets out even from an 'exit' handler.
    process.send({ type: 'error', message: captured, code } satisfies Msg);
  });
  const logFile = opts.logFile;
  if (logFile) {
    process.on('SIGHUP', () => {
      try {
        const fd = fs.openSync(logFile, 'a', 0o640);
        const old = followFd;
        followFd = fd;
        if (old !== null) fs.closeSync(old);
      } catch {
        // keep writing where we were
      }
    });
  }
}

/** The `-d` child is watching: tell the parent (which then exits 0) and drop the channel. */
export function daemonReady(): void {
  if (!wasChild || ready) return;
  ready = true;
  capturing = false;
  captured = '';
  if (!process.connected || !process.send) return;
  process.send({ type: 'ready', pid: process.pid } satisfies Msg, () => {
    if (process.connected) process.disconnect();
  });
}
