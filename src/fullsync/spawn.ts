// Run rsync for a full sync and read its stdout (progress, stats, listings).
// rsync/run.ts (the live pipeline's runner) drops stdout by design; this is
// the same contract (argv array, no shell, cwd = W, stdin = files-from list,
// never throws for rsync's own failures) with stdout delivered as raw bytes.
// No overall time limit: a full sync of a big tree takes as long as it takes;
// `--timeout=` from the config (rsync's own I/O timeout) still applies.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { RsyncInvocation } from '../rsync/argv.js';
import { classifyExit } from '../rsync/exitcodes.js';
import type { RsyncResult } from '../rsync/run.js';
import { display, isValidUtf8, toArg } from '../util/bytepath.js';

export interface CaptureOptions {
  /** Every stdout chunk as it arrives (raw bytes). */
  onStdout?: (chunk: Buffer) => void;
  /** Keep all of stdout in the result (listings). Default false. */
  keepStdout?: boolean;
  signal?: AbortSignal;
  rsyncPath?: string;
  /** Called with the child's pid once it runs (so it can be killed at exit). */
  onSpawn?: (kill: () => void) => void;
}

export interface CaptureResult extends RsyncResult {
  stdout: Buffer;
}

const STDERR_KEEP = 64 * 1024;

function notStarted(message: string, started: number): CaptureResult {
  return {
    exitCode: null,
    signal: null,
    stderr: message,
    durationMs: Date.now() - started,
    classification: 'config',
    error: message,
    stdout: Buffer.alloc(0),
  };
}

export async function runRsyncCapture(inv: RsyncInvocation, opts: CaptureOptions = {}): Promise<CaptureResult> {
  const started = Date.now();
  const rsync = opts.rsyncPath ?? 'rsync';
  if (!isValidUtf8(inv.cwd)) return notStarted(`cannot run rsync in ${display(inv.cwd)}: the directory name is not valid UTF-8`, started);
  const bad = inv.args.find((a) => !isValidUtf8(a));
  if (bad !== undefined) return notStarted(`cannot pass rsync argument ${display(bad)}: not valid UTF-8`, started);
  const cwd = toArg(inv.cwd);
  const sub = execa(rsync, inv.args.map(toArg), {
    cwd,
    shell: false,
    reject: false,
    buffer: false,
    stdin: inv.stdin ? 'pipe' : 'ignore',
    ...(inv.stdin ? { input: inv.stdin } : {}),
    stdout: 'pipe',
    stderr: 'pipe',
    cancelSignal: opts.signal,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 5000,
  });
  opts.onSpawn?.(() => sub.kill('SIGTERM'));
  const out: Buffer[] = [];
  let err = Buffer.alloc(0);
  sub.stdout?.on('data', (b: Buffer) => {
    if (opts.keepStdout) out.push(b);
    opts.onStdout?.(b);
  });
  sub.stderr?.on('data', (b: Buffer) => {
    err = Buffer.concat([err, b]);
    if (err.length > 2 * STDERR_KEEP) err = err.subarray(err.length - STDERR_KEEP);
  });
  const r = await sub;
  const durationMs = Date.now() - started;
  if (r.exitCode === undefined && r.signal === undefined) {
    let why = r.shortMessage ?? r.message ?? 'unknown error';
    if (r.code === 'ENOENT') {
      why = existsSync(cwd) ? `rsync not found (${rsync}); install rsync or fix PATH` : `working directory ${cwd} does not exist`;
    }
    return { ...notStarted(`could not run rsync: ${why}`, started), durationMs };
  }
  const exitCode = r.exitCode ?? null;
  const signal = r.signal ?? null;
  return {
    exitCode,
    signal,
    stderr: err.subarray(Math.max(0, err.length - STDERR_KEEP)).toString('utf8'),
    durationMs,
    classification: classifyExit(exitCode, signal),
    ...(r.isCanceled ? { canceled: true } : {}),
    stdout: Buffer.concat(out),
  };
}
