// Shared parts of scripts/bench.ts and scripts/bench-scale.ts: the tools under
// test as child processes (each in its own process group, so that its rsync
// children can be counted and stopped with it), CPU and memory accounting from
// /proc, file writers that run as separate processes, and a poller that says
// when the rsync daemon's module directory holds what the source holds.
//
// Everything talks to one rsync daemon on 127.0.0.1 (test/helpers/rsyncd.ts);
// no other address is ever used.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_MAIN } from '../test/helpers/cli.js';
import { writeConfig } from '../test/helpers/config.js';
import { spawnGroup, stopGroup } from '../test/helpers/procs.js';
import type { RsyncDaemon } from '../test/helpers/rsyncd.js';

/** Monotonic ms, comparable across processes on Linux (CLOCK_MONOTONIC). */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function loadAvg(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** The same rsync options for every tool and the floor: sersync2's stock commonParams. */
export const COMMON_PARAMS = '-artuz';

// ---------------------------------------------------------------------------
// /proc accounting

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const PAGE_KB = (() => {
  try {
    return (Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096) / 1024;
  } catch {
    return 4;
  }
})();

export interface GroupSample {
  /** CPU seconds of every process in the group, plus the reaped children they waited for. */
  cpuS: number;
  /** Resident memory of all processes in the group now (KiB). */
  rssKb: number;
  procs: number;
  /** CPU seconds of the group leader itself (utime + stime, without children). */
  leaderSelfS: number;
}

/**
 * One look at process group `pgid`: for each process in it, utime + stime +
 * cutime + cstime. A child that exited and was reaped by a group member is in
 * that member's cutime/cstime (and no longer listed), so nothing is counted twice
 * as long as the group leader outlives its children (it does: we sample before
 * stopping it).
 */
export function sampleGroup(pgid: number): GroupSample {
  let ticks = 0;
  let rssPages = 0;
  let procs = 0;
  let leaderTicks = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ... utime(14) stime(15) cutime(16) cstime(17) ... rss(24)"
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    procs++;
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    if (Number(name) === pgid) leaderTicks = Number(f[11]) + Number(f[12]);
    rssPages += Number(f[21]);
  }
  return { cpuS: ticks / CLK_TCK, rssKb: rssPages * PAGE_KB, procs, leaderSelfS: leaderTicks / CLK_TCK };
}

/** VmHWM (peak resident set) and VmRSS of one process, KiB; null when it is gone. */
export function memOf(pid: number): { hwmKb: number; rssKb: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    return { hwmKb: Number(hwm?.[1] ?? 0), rssKb: Number(rss?.[1] ?? 0) };
  } catch {
    return null;
  }
}

/** Finds the rsync daemon's process (its group leader) from its config path. */
export function daemonPid(daemon: RsyncDaemon): number | null {
  const needle = `--config=${path.join(daemon.dir, 'rsyncd.conf')}`;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.includes(needle) && argv.includes('--daemon')) {
        const f = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === Number(name)) return Number(name);
      }
    } catch {
      /* gone */
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Tools under test

export interface ToolCtx {
  daemon: RsyncDaemon;
  /** Source directory (absolute, plain ASCII). */
  src: string;
  /** A scratch directory for the tool's config and state. */
  work: string;
}

export interface ToolSpec {
  id: string;
  label: string;
  /** Spawns the tool (own process group); resolves once it reports that it is watching. */
  start(ctx: ToolCtx, readyTimeoutMs?: number): Promise<RunningTool>;
}

/** Sample the group's memory this often (peak RSS between samples can be missed; VmHWM cannot). */
const RSS_SAMPLE_MS = 100;

export class RunningTool {
  private text = '';
  private readyRe: RegExp;
  private readyResolve: (() => void) | null = null;
  private readyReject: ((e: Error) => void) | null = null;
  private rssTimer: NodeJS.Timeout | null = null;
  /** Largest sampled sum of the group's RSS (KiB), tool + its rsync children. */
  groupPeakKb = 0;
  /** Largest VmHWM seen of the main process (KiB). */
  mainPeakKb = 0;
  readonly spawnedAt = nowMs();
  readyAt = NaN;
  exited = false;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
    readyRe: RegExp,
  ) {
    this.readyRe = readyRe;
    const onData = (b: Buffer): void => {
      this.text += b.toString('utf8');
      if (this.readyResolve && this.readyRe.test(this.text)) {
        this.readyAt = nowMs();
        const r = this.readyResolve;
        this.readyResolve = null;
        r();
      }
      // Keep memory bounded: lsyncd logs every path it syncs.
      if (this.text.length > 4_000_000) this.text = this.text.slice(-1_000_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => {
      this.exited = true;
      this.readyReject?.(new Error(`${label} exited before it was ready; output:\n${this.text.slice(-3000)}`));
    });
    this.rssTimer = setInterval(() => this.sampleMem(), RSS_SAMPLE_MS);
    this.rssTimer.unref();
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.text;
  }

  waitReady(timeoutMs: number): Promise<void> {
    if (!Number.isNaN(this.readyAt)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.label} not ready after ${timeoutMs} ms; output:\n${this.text.slice(-3000)}`)), timeoutMs);
      this.readyResolve = () => {
        clearTimeout(t);
        resolve();
      };
      this.readyReject = (e) => {
        clearTimeout(t);
        reject(e);
      };
      if (this.readyRe.test(this.text)) {
        this.readyAt = nowMs();
        this.readyResolve();
      }
    });
  }

  sampleMem(): void {
    if (this.exited) return;
    const g = sampleGroup(this.pid);
    if (g.rssKb > this.groupPeakKb) this.groupPeakKb = g.rssKb;
    const m = memOf(this.pid);
    if (m && m.hwmKb > this.mainPeakKb) this.mainPeakKb = m.hwmKb;
  }

  sample(): GroupSample {
    this.sampleMem();
    return sampleGroup(this.pid);
  }

  async stop(): Promise<void> {
    this.sampleMem();
    if (this.rssTimer) clearInterval(this.rssTimer);
    // The leader first (sersync-ts records what is pending), then the whole group.
    await stopGroup(this.child, { signal: 'SIGTERM', graceMs: 10_000 });
  }
}

function assertPlain(p: string): void {
  // The configs below embed paths in XML, Lua and argv: keep them boring.
  if (!/^[A-Za-z0-9_./-]+$/.test(p)) throw new Error(`bench: unexpected characters in path ${p}`);
}

/** sersync-ts: the real CLI with a stock-like confxml.xml (auth on, userDefinedPort). */
export const sersyncTs: ToolSpec = {
  id: 'sersync-ts',
  label: 'sersync-ts',
  async start(ctx, readyTimeoutMs = 60_000) {
    const conf = await writeConfig(ctx.work, {
      watch: ctx.src,
      remotes: [{ ip: '127.0.0.1', name: 'www' }],
      auth: { users: ctx.daemon.user, passwordFile: ctx.daemon.passwordFile },
      port: ctx.daemon.port,
      commonParams: COMMON_PARAMS,
      ...(process.env.SERSYNC_BENCH_EXTRA ? { extra: process.env.SERSYNC_BENCH_EXTRA } : {}),
    });
    const child = spawnGroup(process.execPath, [...nodeFlags(), CLI_MAIN, '-o', conf], {
      cwd: ctx.work,
      env: {
        ...process.env,
        SERSYNC_TS_STATE_DIR: path.join(ctx.work, 'state'),
        // Debugging aid: a directory with an `rsync` wrapper (e.g. one that logs each call).
        ...(process.env.SERSYNC_BENCH_TOOL_PATH ? { PATH: `${process.env.SERSYNC_BENCH_TOOL_PATH}:${process.env.PATH ?? ''}` } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const t = new RunningTool('sersync-ts', child, /watch path is: .*\n/);
    await t.waitReady(readyTimeoutMs);
    return t;
  },
};

/** Extra node flags for the sersync-ts process (e.g. SERSYNC_BENCH_NODE_FLAGS=--cpu-prof). */
function nodeFlags(): string[] {
  return (process.env.SERSYNC_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/** lsyncd (Debian package), default.rsync with the given delay, same rsync options. */
export function lsyncd(delay: number): ToolSpec {
  return {
    id: `lsyncd-${delay}`,
    label: `lsyncd delay ${delay}`,
    async start(ctx, readyTimeoutMs = 60_000) {
      assertPlain(ctx.src);
      assertPlain(ctx.daemon.passwordFile);
      // -artuz as rsync options: archive + update + compress (default.rsync adds -r).
      const lua = `settings {
    nodaemon = true,
}
sync {
    default.rsync,
    source = "${ctx.src}",
    target = "${ctx.daemon.user}@127.0.0.1::www",
    delay = ${delay},
    rsync = {
        binary = "/usr/bin/rsync",
        archive = true,
        update = true,
        compress = true,
        password_file = "${ctx.daemon.passwordFile}",
        _extra = { "--port=${ctx.daemon.port}" },
    },
}
`;
      const conf = path.join(ctx.work, 'lsyncd.conf.lua');
      fs.writeFileSync(conf, lua);
      const child = spawnGroup('lsyncd', ['-nodaemon', conf], { cwd: ctx.work, stdio: ['ignore', 'pipe', 'pipe'] });
      const t = new RunningTool(`lsyncd delay ${delay}`, child, /Startup of .* finished/);
      await t.waitReady(readyTimeoutMs);
      return t;
    },
  };
}

/** The common hand-written script: inotifywait -m piped into a loop that rsyncs the whole tree per event. */
export const LOOP_SCRIPT = `src="$1"; shift
inotifywait -m -r -e close_write,create,delete,move --format '%w%f' "$src" |
while read -r f; do
  rsync ${COMMON_PARAMS} --delete "$src"/ "$@"
done
`;

export const inotifyLoop: ToolSpec = {
  id: 'loop',
  label: 'inotifywait loop',
  async start(ctx, readyTimeoutMs = 60_000) {
    const d = ctx.daemon;
    const child = spawnGroup(
      'bash',
      ['-c', LOOP_SCRIPT, 'loop', ctx.src, `${d.user}@127.0.0.1::www/`, `--port=${d.port}`, `--password-file=${d.passwordFile}`],
      { cwd: ctx.work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const t = new RunningTool('inotifywait loop', child, /Watches established/);
    await t.waitReady(readyTimeoutMs);
    return t;
  },
};

/** One plain rsync of `src` through the daemon (the floor, and the pre-sync of a starting tree). */
export async function plainRsync(
  src: string,
  daemon: RsyncDaemon,
  what: string[] = ['--delete', './'],
  extra: string[] = [],
): Promise<{ ms: number; code: number | null; stderr: string }> {
  const t0 = nowMs();
  return new Promise((resolve, reject) => {
    const child = spawn(
      'rsync',
      [COMMON_PARAMS, ...extra, ...what, `${daemon.user}@127.0.0.1::www/`, `--port=${daemon.port}`, `--password-file=${daemon.passwordFile}`],
      { cwd: src, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: nowMs() - t0, code, stderr }));
  });
}

// ---------------------------------------------------------------------------
// Writers: separate node processes, so that writing does not share an event
// loop with the poller. Each prints {"first": ms, "last": ms} (monotonic).

/** Deterministic content for file k: 1–4 KiB, different for each (k, salt). */
export function fileContent(k: number, salt = 0): Buffer {
  const size = 1024 + ((k * 7919 + salt * 104729) % 3073);
  const b = Buffer.alloc(size);
  for (let j = 0; j < size; j++) b[j] = (k * 31 + j * 17 + salt * 101) & 0xff;
  return b;
}

/** Runs a writer program (CommonJS source, with fileContent in scope) in a child node process. */
export function runWriter(program: string, args: string[]): Promise<{ first: number; last: number }> {
  const src = `const fs = require('node:fs');\nconst now = () => Number(process.hrtime.bigint()) / 1e6;\n${fileContent.toString()}\n${program}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', src, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`writer exited with ${code}`));
      try {
        resolve(JSON.parse(text) as { first: number; last: number });
      } catch {
        reject(new Error(`writer printed ${JSON.stringify(text.slice(0, 200))}`));
      }
    });
  });
}

/** argv: src files dirs prefix salt — `dirs` new directories `<prefix>-<d>`, `files` files spread over them. */
export const BURST_WRITER = `
const [src, files, dirs, prefix, salt] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), process.argv[4], Number(process.argv[5])];
const per = Math.ceil(files / dirs);
const first = now();
let k = 0;
for (let d = 0; d < dirs && k < files; d++) {
  const dir = src + '/' + prefix + '-' + d;
  fs.mkdirSync(dir);
  for (let j = 0; j < per && k < files; j++, k++) fs.writeFileSync(dir + '/f-' + j, fileContent(k, salt));
}
process.stdout.write(JSON.stringify({ first, last: now() }));
`;

/** The files BURST_WRITER makes, as rel → content. */
export function burstFiles(files: number, dirs: number, prefix: string, salt: number): Map<string, Buffer> {
  const per = Math.ceil(files / dirs);
  const out = new Map<string, Buffer>();
  for (let k = 0, d = 0; d < dirs && k < files; d++) {
    for (let j = 0; j < per && k < files; j++, k++) out.set(`${prefix}-${d}/f-${j}`, fileContent(k, salt));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Convergence: what the module directory must hold (and must not), checked by
// polling; only the paths still outstanding are looked at again.

export type Want = Buffer | { size: number; sha1: string };

export class Expectation {
  /** dir (relative, '' = top) → name → wanted content. */
  private readonly present = new Map<string, Map<string, Want>>();
  /** dir → names that must not exist. */
  private readonly absent = new Map<string, Set<string>>();
  private count = 0;

  want(rel: string, content: Want): void {
    const [dir, name] = split(rel);
    let m = this.present.get(dir);
    if (!m) this.present.set(dir, (m = new Map()));
    if (!m.has(name)) this.count++;
    m.set(name, content);
  }

  gone(rel: string): void {
    const [dir, name] = split(rel);
    let s = this.absent.get(dir);
    if (!s) this.absent.set(dir, (s = new Set()));
    if (!s.has(name)) this.count++;
    s.add(name);
  }

  get remaining(): number {
    return this.count;
  }

  /** One pass over what is still outstanding in `root`. */
  check(root: string): void {
    for (const [dir, names] of this.present) {
      let listing: string[];
      try {
        listing = fs.readdirSync(path.join(root, dir));
      } catch {
        continue;
      }
      for (const n of listing) {
        const want = names.get(n);
        if (want === undefined) continue;
        if (matches(path.join(root, dir, n), want)) {
          names.delete(n);
          this.count--;
        }
      }
      if (names.size === 0) this.present.delete(dir);
    }
    for (const [dir, names] of this.absent) {
      let listing: Set<string>;
      try {
        listing = new Set(fs.readdirSync(path.join(root, dir)));
      } catch {
        listing = new Set();
      }
      for (const n of names) {
        if (!listing.has(n)) {
          names.delete(n);
          this.count--;
        }
      }
      if (names.size === 0) this.absent.delete(dir);
    }
  }

  /** Some outstanding paths, for an error message. */
  sample(max = 5): string[] {
    const out: string[] = [];
    for (const [dir, names] of this.present) for (const n of names.keys()) if (out.length < max) out.push(`missing ${path.join(dir, n)}`);
    for (const [dir, names] of this.absent) for (const n of names) if (out.length < max) out.push(`still there ${path.join(dir, n)}`);
    return out;
  }
}

function split(rel: string): [string, string] {
  const i = rel.lastIndexOf('/');
  return i < 0 ? ['', rel] : [rel.slice(0, i), rel.slice(i + 1)];
}

function matches(file: string, want: Want): boolean {
  try {
    if (Buffer.isBuffer(want)) {
      const st = fs.statSync(file);
      if (!st.isFile() || st.size !== want.length) return false;
      return fs.readFileSync(file).equals(want);
    }
    const st = fs.statSync(file);
    if (!st.isFile() || st.size !== want.size) return false;
    return sha1File(file) === want.sha1;
  } catch {
    return false;
  }
}

export function sha1File(file: string): string {
  const h = createHash('sha1');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * Polls until `exp` is met. `writerDone` says the writes are over (before that,
 * a met expectation cannot be final). Resolves with the monotonic time of the
 * pass that found the last outstanding path, or rejects after `timeoutMs`.
 */
export async function pollUntil(exp: Expectation, root: string, writerDone: () => boolean, timeoutMs: number, intervalMs = 2): Promise<number> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const t = nowMs();
    exp.check(root);
    if (exp.remaining === 0 && writerDone()) return t;
    if (t > deadline) throw new Error(`no convergence after ${Math.round(timeoutMs / 1000)} s: ${exp.remaining} path(s) outstanding, e.g. ${exp.sample().join(', ')}`);
    await sleep(intervalMs);
  }
}

/** Removes everything inside `dir` (not dir itself). */
export function emptyDir(dir: string): void {
  for (const n of fs.readdirSync(dir)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
}
