// Shared set-up for the end-to-end tests of the real-time engine (issue 3):
// engine*, names*, remotes*, ssh*, toggles*.test.ts. A watched source
// directory, the real CLI (`sersync2 -o confxml.xml`) and a real destination:
// a module of a `rsync --daemon` with auth on 127.0.0.1, or (ssh mode) a
// directory reached through a real sshd on 127.0.0.1.
//
//   startMirror(opts?) → Mirror
//     { base, src, dst, dsts, cli, daemon?, converge(), settle(), stop() }
//     A fresh daemon with auth (or opts.daemon + opts.modules), a config made
//     by writeConfig from opts.config, the CLI with its own state dir.
//   converge(m, opts?) → ms: waits until every destination mirrors src;
//     on failure the error also quotes the end of the CLI's output.
//   settle(m, { dir? }): a barrier for "was NOT pushed" checks — a marker file is
//     written and must arrive, then removed and must vanish; everything the
//     engine was told before it has been looked at by then (plus a grace
//     period, because two paths are not ordered against each other).
//   bytes(s) / rel(...parts): byte paths (Buffers) for fs calls with any name.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig, type ConfigOptions } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { type DiffOptions, waitForConvergence } from '../helpers/tree.js';

export interface Mirror {
  /** Temp directory holding src/, the config and the state dir (the CLI's cwd). */
  base: string;
  /** The watch root W. */
  src: string;
  /** The first destination directory (a module dir, or the ssh remote dir). */
  dst: string;
  /** Every destination directory, in <remote> order. */
  dsts: string[];
  cli: CliProcess;
  /** The daemon (undefined in ssh mode). */
  daemon?: RsyncDaemon;
  /** Stops the CLI, and the daemon if this mirror started it. */
  stop(): Promise<void>;
}

export interface MirrorOptions {
  /** Config settings on top of the generated watch/remotes/auth/port. */
  config?: Partial<ConfigOptions>;
  /** Use this daemon instead of starting one (it is not stopped by stop()). */
  daemon?: RsyncDaemon;
  /** Modules to mirror to, one <remote> each. Default ['www']. */
  modules?: string[];
  /** ssh mode: remote dirs (absolute paths), and env for the CLI (the sshd helper's PATH wrapper). */
  ssh?: { dirs: string[]; env: Record<string, string> };
  /** Files to create in src before the CLI starts. */
  seed?: (src: string) => Promise<void>;
  /** Extra environment for the CLI. */
  env?: Record<string, string>;
}

export async function startMirror(opts: MirrorOptions = {}): Promise<Mirror> {
  const base = await makeTempDir('engine');
  const src = path.join(base, 'src');
  await mkdir(src);
  if (opts.seed) await opts.seed(src);
  let daemon: RsyncDaemon | undefined;
  let ownDaemon = false;
  let dsts: string[];
  let conf: ConfigOptions;
  if (opts.ssh) {
    dsts = opts.ssh.dirs;
    conf = { watch: src, remotes: dsts.map((d) => ({ ip: '127.0.0.1', name: d })), ssh: true, ...opts.config };
  } else {
    daemon = opts.daemon;
    if (!daemon) {
      daemon = await startRsyncDaemon({ auth: true, modules: opts.modules ?? ['www'] });
      ownDaemon = true;
    }
    const modules = opts.modules ?? ['www'];
    dsts = modules.map((m) => daemon!.moduleDir(m));
    conf = {
      watch: src,
      remotes: modules.map((m) => ({ ip: '127.0.0.1', name: m })),
      auth: { users: daemon.user, passwordFile: daemon.passwordFile },
      port: daemon.port,
      ...opts.config,
    };
  }
  const file = await writeConfig(base, conf);
  const cli = startCli(['-o', file], {
    cwd: base,
    env: { SERSYNC_TS_STATE_DIR: path.join(base, 'state'), ...opts.ssh?.env, ...opts.env },
  });
  try {
    await cli.waitForOutput(/watch path is: .*\n/, 30000);
  } catch (e) {
    await cli.stop('SIGKILL', 0);
    if (ownDaemon) await daemon?.stop();
    throw e;
  }
  let stopped = false;
  return {
    base,
    src,
    dst: dsts[0]!,
    dsts,
    cli,
    daemon,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cli.stop();
      if (ownDaemon) await daemon?.stop();
    },
  };
}

export interface ConvergeOpts extends DiffOptions {
  timeoutMs?: number;
  /** Only these destinations (default: all). */
  dsts?: string[];
}

/** Waits until every destination mirrors src; returns the slowest wait in ms. */
export async function converge(m: Mirror, opts: ConvergeOpts = {}): Promise<number> {
  let ms = 0;
  for (const dst of opts.dsts ?? m.dsts) {
    try {
      const r = await waitForConvergence(m.src, dst, { timeoutMs: opts.timeoutMs ?? 15000, intervalMs: 10, ...opts });
      ms = Math.max(ms, r.ms);
    } catch (e) {
      const out = m.cli.output;
      (e as Error).message += `\n--- end of the CLI's output ---\n${out.length > 3000 ? `…${out.slice(-3000)}` : out}`;
      throw e;
    }
  }
  return ms;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` holds (polling); throws after timeoutMs naming `what`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let markers = 0;

/**
 * Barrier before asserting that something was NOT pushed: a marker file must
 * arrive everywhere and then be deleted everywhere. Changes made before the
 * barrier had their events delivered with or before the marker's (same
 * watcher, batches in order); a grace period covers their rsync calls, which
 * may run after the marker's.
 */
export async function settle(m: Mirror, opts: { graceMs?: number; dir?: boolean } = {}): Promise<void> {
  const name = `settle-marker-${process.pid}-${++markers}`;
  // A directory marker for configurations that push no file content.
  if (opts.dir) await mkdir(path.join(m.src, name));
  else await writeFile(path.join(m.src, name), 'marker');
  for (const d of m.dsts) await waitUntil(`${name} to arrive in ${d}`, () => existsSync(path.join(d, name)));
  await rm(path.join(m.src, name), { recursive: true });
  // Deletions may be off: then the marker stays on the remote; do not wait for it.
  await sleep(opts.graceMs ?? 400);
}

/** Does the path exist (without following a final symlink)? */
export function present(p: string | Buffer): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A byte path (Buffer) below `dir` from raw parts (strings are UTF-8, Buffers raw). */
export function under(dir: string, ...parts: Array<string | Buffer>): Buffer {
  const bufs: Buffer[] = [Buffer.from(dir)];
  for (const p of parts) bufs.push(Buffer.from('/'), typeof p === 'string' ? Buffer.from(p) : p);
  return Buffer.concat(bufs);
}
