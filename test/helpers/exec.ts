// Runs a program (never through a shell) and collects its result; does not throw on a
// non-zero exit, so tests can assert on the code.
//
//   run(cmd: string, args: string[], opts?: { cwd?; env?; input?; timeoutMs? }): Promise<RunResult>
//     RunResult = { code: number | null; signal; stdout: string; stderr: string }
//     env is added to process.env. Rejects only when the program cannot be started or
//     exceeds timeoutMs (default 60000; it is killed then).
//
//   e.g. await run('rsync', ['-a', './', d.target('www'), ...d.clientArgs()], { cwd: src })
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
    const timeoutMs = opts.timeoutMs ?? 60000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: still running after ${timeoutMs} ms (killed); stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
