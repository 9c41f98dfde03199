// Run one RsyncInvocation with execa: argv array, no shell, cwd = W, the
// files-from list on stdin. Never throws for rsync's own failures; the result
// says what happened and how to treat it (exitcodes.ts).
import { existsSync } from 'node:fs';
import { execa } from 'execa';
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
  const sub = execa(rsync, inv.args.map(toArg), {
    cwd,
    shell: false,
    reject: false,
    buffer: false,
    stdin: inv.stdin ? 'pipe' : 'ignore',
    ...(inv.stdin ? { input: inv.stdin } : {}),
    stdout: opts.stdout ?? 'ignore',
    stderr: 'pipe',
    env: opts.env ?? {},
    extendEnv: true,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 5000,
  });
  sub.stderr?.on('data', (b: Buffer) => stderr.push(b));
  const r = await sub;
  const durationMs = Date.now() - started;

  if (r.exitCode === undefined && r.signal === undefined) {
    // Not started (ENOENT, EACCES…) — or a stream error; say which.
    const code = r.code ?? '';
    let why = r.shortMessage ?? r.message ?? 'unknown error';
    if (code === 'ENOENT') {
      why = existsSync(cwd) ? `rsync not found (${rsync}); install rsync or fix PATH` : `working directory ${cwd} does not exist`;
    }
    return { ...failedToStart(`could not run rsync: ${why}`, started), durationMs };
  }
  const exitCode = r.exitCode ?? null;
  const signal = r.signal ?? null;
  return {
    exitCode,
    signal,
    stderr: stderr.text(),
    durationMs,
    classification: classifyExit(exitCode, signal),
    ...(r.timedOut ? { timedOut: true } : {}),
    ...(r.isCanceled ? { canceled: true } : {}),
  };
}
