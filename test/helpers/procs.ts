// Child processes of the fixtures, started in their own process group so that a
// daemon and everything it forks can be stopped together, and never outlive the
// test process (killed with SIGKILL on exit, SIGINT, SIGTERM).
//
//   spawnGroup(cmd, args, opts, { unref? }): ChildProcess
//                                                 spawn, detached (= new process group), tracked;
//                                                 unref: the child does not keep the test alive
//   stopGroup(child, opts?): Promise<number|null> signal the leader, wait, SIGKILL the rest
//   groupAlive(pgid): boolean                     any live (non-zombie) process left in the group?
//   pidAlive(pid): boolean                        is this process alive (not a zombie)?
//
// Used by rsyncd.ts, sshd.ts and cli.ts; tests normally do not need it directly.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const groups = new Set<number>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAllNow();
      // Re-raise with the default action so the exit status still says "killed by sig".
      process.kill(process.pid, sig);
    });
  }
}

/** Spawns `cmd` as the leader of a new process group and tracks it for clean-up. */
export function spawnGroup(
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions = {},
  { unref = false }: { unref?: boolean } = {},
): ChildProcess {
  installHooks();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
  // A daemon fixture someone forgot to stop must not hang the test file: unref it,
  // and the exit hook below kills it when the file is done.
  if (unref) child.unref();
  const pid = child.pid;
  if (pid !== undefined) {
    groups.add(pid);
    // Forked children may live on after the leader; keep tracking until stopGroup.
  }
  return child;
}

/** State letter and process group of `pid` from /proc, or null when it is gone. */
function procStat(pid: string): { state: string; pgrp: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp …"; comm may contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
}

/** True while process `pid` exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  const st = procStat(String(pid));
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

/**
 * True while a live process is left in process group `pgid`. Zombies do not count:
 * orphans are reparented to PID 1, which in some containers reaps them late.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(name);
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') return true;
  }
  return false;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Stops a process group started by spawnGroup: sends `signal` to the leader only
 * (or to the whole group with `group: true`), waits up to `graceMs` for the leader,
 * then SIGKILLs whatever is left of the group and waits (bounded) until it is empty.
 * Resolves with the leader's exit code (null when it died from a signal).
 */
export async function stopGroup(
  child: ChildProcess,
  opts: { signal?: NodeJS.Signals; group?: boolean; graceMs?: number } = {},
): Promise<number | null> {
  const pid = child.pid;
  if (pid === undefined) return child.exitCode;
  const signal = opts.signal ?? 'SIGTERM';
  if (!exited(child)) {
    try {
      if (opts.group) process.kill(-pid, signal);
      else child.kill(signal);
    } catch {
      // raced with its exit
    }
    if (!(await waitExit(child, opts.graceMs ?? 5000))) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
      await waitExit(child, 5000);
    }
  }
  // Leftovers (rsync forks per connection, the CLI spawns rsync): kill them too.
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    // Bounded wait: a process stuck in the kernel must not hang the test forever.
    const deadline = Date.now() + 3000;
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  groups.delete(pid);
  return child.exitCode;
}
