// Runs the real CLI (`node dist/src/cli/main.js`) as a separate process.
//
//   CLI_MAIN: string   absolute path of dist/src/cli/main.js
//   runCli(args: string[], opts?: CliOptions): Promise<CliResult>
//     Runs to completion: { code, signal, stdout, stderr }. Rejects (after killing the
//     process group) when it runs longer than timeoutMs (default 30000).
//   startCli(args: string[], opts?: CliOptions): CliProcess
//     For long-running runs (watch mode):
//       child, pid, stdout, stderr, output (both, in arrival order)  — live text
//       waitForOutput(re, timeoutMs = 10000, stream = 'any'): Promise<RegExpExecArray>
//         resolves on the first match in the text so far; rejects on timeout or when
//         the process exits first, quoting the output
//       exited: Promise<{ code, signal }>
//       stop(signal = 'SIGTERM', graceMs = 10000): Promise<number | null>
//         signals the CLI (only it, as a service manager would), waits up to graceMs,
//         then SIGKILLs it; in every case also kills whatever is left in its process
//         group (rsync children). Resolves with the exit code (null if killed by a signal).
//
// The process runs in its own process group with cwd = opts.cwd (default: the repo
// root) and env = process.env + opts.env. If the program detaches itself into a new
// session (sersync2's -d), that daemon is outside the group: stop it by its pid.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { spawnGroup, stopGroup } from './procs.js';

/** dist/test/helpers/cli.js → dist/src/cli/main.js */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The repository root (parent of dist/). */
export const REPO_ROOT = path.resolve(path.dirname(CLI_MAIN), '../../..');

export interface CliOptions {
  cwd?: string;
  /** Added to (and overriding) process.env. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** runCli only: kill the run after this long. Default 30000. */
  timeoutMs?: number;
  /** Script to run instead of CLI_MAIN (for the harness's own tests). */
  main?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  readonly output: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(re: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr' | 'any'): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

function spawnCli(args: string[], opts: CliOptions): ChildProcess {
  const child = spawnGroup(process.execPath, [opts.main ?? CLI_MAIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (opts.input !== undefined && child.stdin) {
    child.stdin.on('error', () => undefined); // the CLI may exit without reading it
    child.stdin.end(opts.input);
  }
  return child;
}

/** Starts the CLI and keeps it running (see the top of this file). */
export function startCli(args: string[], opts: CliOptions = {}): CliProcess {
  const child = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  let output = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (s: string) => {
    stdout += s;
    output += s;
    notify();
  });
  child.stderr?.on('data', (s: string) => {
    stderr += s;
    output += s;
    notify();
  });
  // 'close' (not 'exit'): all output has been read by then.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  let closed = false;
  void exited.then(() => {
    closed = true;
    notify();
  });

  const proc: CliProcess = {
    child,
    pid: child.pid ?? -1,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get output() {
      return output;
    },
    exited,
    waitForOutput(re, timeoutMs = 10000, stream = 'any') {
      const pattern = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
      const text = () => (stream === 'stdout' ? stdout : stream === 'stderr' ? stderr : output);
      return new Promise((resolve, reject) => {
        const finish = (err: Error | null, m?: RegExpExecArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        const tail = () => {
          const t = text();
          return t.length > 4000 ? `…${t.slice(-4000)}` : t;
        };
        const check = () => {
          const m = pattern.exec(text());
          if (m) return finish(null, m);
          if (closed) finish(new Error(`the CLI exited (code ${child.exitCode}, signal ${child.signalCode}) before printing ${re}; ${stream} was:\n${tail()}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`no ${re} in the CLI's ${stream} output after ${timeoutMs} ms; it was:\n${tail()}`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 10000) {
      const code = await stopGroup(child, { signal, graceMs });
      await exited;
      return code;
    },
  };
  return proc;
}

/** Runs the CLI to completion (see the top of this file). */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const proc = startCli(args, opts);
  const timeoutMs = opts.timeoutMs ?? 30000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    await proc.stop('SIGKILL', 0);
    throw new Error(
      `runCli ${JSON.stringify(args)}: still running after ${timeoutMs} ms (killed); stdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`,
    );
  }
  // The CLI is gone; make sure nothing it started lingers in its group.
  await stopGroup(proc.child);
  return { code: first.code, signal: first.signal, stdout: proc.stdout, stderr: proc.stderr };
}
