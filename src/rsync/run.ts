// Run one RsyncInvocation: argv array, no shell, cwd = W, the files-from list
// on stdin. Never throws for rsync's own failures; the result says what
// happened and how to treat it (exitcodes.ts).
//
// Plain child_process.spawn, not execa: this runs once per push (hundreds of
// times a second in a burst), and execa's per-call machinery cost ~3 ms of
// wall time and ~1.5 ms of CPU more per call (measured on the 2-core bench
// machine), which is a fifth of a whole one-file push to a loopback daemon.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { display, isValidUtf8, toArg } from '../util/bytepath.js';
import type { RsyncInvocation } from './argv.js';
import { classifyExit, type ExitClass } from './exitcodes.js';

export interface RsyncResult {
  /** rsync's exit code; null when it was killed by a signal or could not be started. */
  exitCode: number | null;
  /** The signal that ended rsync (e.g. 'SIGTERM' after a timeout), or null. */
  signal: string | null;
  /** The last STDERR_TAIL bytes of rsync's stderr (UTF-8 decoded), or our own error text. */
  stderr: string;
  durationMs: number;
  classification: ExitClass;
  /** True when timeoutMs expired and rsync was killed. */
  timedOut?: boolean;
  /** True when the AbortSignal fired and rsync was killed. */
  canceled?: boolean;
  /** Set when rsync could not be started at all (bad cwd, rsync missing): a message for humans. */
  error?: string;
}

export interface RunOptions {
  /** Kill rsync (SIGTERM, then SIGKILL 5 s later) after this long. */
  timeoutMs?: number;
  /** Kill rsync when this aborts (shutdown). */
  signal?: AbortSignal;
  /** rsync binary (default `rsync`, looked up in PATH). */
  rsyncPath?: string;
  /** Extra environment variables (merged into process.env). Never logged by this module. */
  env?: Record<string, string | undefined>;
  /** rsync's stdout: dropped (default) or passed through to ours (debug mode, §2.5). */
  stdout?: 'ignore' | 'inherit';
}

/** Bytes of stderr kept (the end is where rsync's summary is). */
export const STDERR_TAIL = 64 * 1024;

/** Keeps the last `max` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

function failedToStart(message: string, started: number): RsyncResult {
  return { exitCode: null, signal: null, stderr: message, durationMs: Date.now() - started, classification: 'config', error: message };
}

export async function runRsync(inv: RsyncInvocation, opts: RunOptions = {}): Promise<RsyncResult> {
  const started = Date.now();
  const rsync = opts.rsyncPath ?? 'rsync';
  // Node can only pass valid UTF-8 as cwd and argv; the builders guarantee it
  // for names, so this only trips on a config value (watch root, module…).
  if (!isValidUtf8(inv.cwd)) {
    return failedToStart(`cannot run rsync in ${display(inv.cwd)}: the directory name is not valid UTF-8`, started);
  }
  const bad = inv.args.find((a) => !isValidUtf8(a));
  if (bad !== undefined) {
    return failedToStart(`cannot pass rsync argument ${display(bad)}: not valid UTF-8`, started);
  }
  const cwd = toArg(inv.cwd);
  const stderr = new Tail(STDERR_TAIL);
  return new Promise<RsyncResult>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(rsync, inv.args.map(toArg), {
        cwd,
        shell: false,
        stdio: [inv.stdin ? 'pipe' : 'ignore', opts.stdout ?? 'ignore', 'pipe'],
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
      });
    } catch (e) {
      resolve(failedToStart(`could not run rsync: ${(e as Error).message}`, started));
      return;
    }
    let settled = false;
    let timedOut = false;
    let canceled = false;
    let termTimer: NodeJS.Timeout | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    const finish = (r: RsyncResult): void => {
      if (settled) return;
      settled = true;
      if (termTimer) clearTimeout(termTimer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    // SIGTERM, then SIGKILL if rsync is still there 5 s later.
    const terminate = (): void => {
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), 5000);
    };
    const onAbort = (): void => {
      canceled = true;
      terminate();
    };
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      termTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, opts.timeoutMs);
    }
    if (opts.signal) {
      if (opts.signal.aborted) onAbort();
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    child.stderr?.on('data', (b: Buffer) => stderr.push(b));
    if (inv.stdin && child.stdin) {
      child.stdin.on('error', () => {}); // rsync may exit without reading it all (EPIPE)
      child.stdin.end(inv.stdin);
    }
    child.once('error', (e: NodeJS.ErrnoException) => {
      // Not started (ENOENT, EACCES…): say which.
      let why = e.message;
      if (e.code === 'ENOENT') {
        why = existsSync(cwd) ? `rsync not found (${rsync}); install rsync or fix PATH` : `working directory ${cwd} does not exist`;
      }
      finish({ ...failedToStart(`could not run rsync: ${why}`, started), durationMs: Date.now() - started });
    });
    // 'close': the process ended and its stderr is read to the end.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if ((code === null && signal === null) || (code !== null && code < 0)) return; // never started: 'error' reports it
      finish({
        exitCode: code,
        signal,
        stderr: stderr.text(),
        durationMs: Date.now() - started,
        classification: classifyExit(code, signal),
        ...(timedOut ? { timedOut: true } : {}),
        ...(canceled ? { canceled: true } : {}),
      });
    });
  });
}
