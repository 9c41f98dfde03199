// Shared set-up for the "nothing lost" tests (issue 4) and
// scripts/bench-blindspots.ts: a watched source directory mirrored by the real
// CLI to a real `rsync --daemon` with auth on, and writers that run in a child
// process, as fast as they can, like a real user's program (a writer in the
// test's own event loop would be slowed by the test's polling).
//
//   startMirror(opts?) → Mirror { base, src, dst, cli, daemon, stop() }
//   writeInChild(code, args) → runs `node -e code args…`; resolves with its stdout
//   WRITER_TREE: a writer making <root>/<top>/d<i>/f<j> trees (see its comment)
//   WRITER_APPEND_ALL: a writer appending a line to every file below a directory
//   converge(src, dst, timeoutMs, intervalMs?) → waitForConvergence with a poll
//     interval suited to big trees; returns the milliseconds it took
//   startMirrorWithBigTree(dirs, files) → a Mirror whose source and remote both
//     start with the same big/ tree
//   runTimed(cmd, args) → runs a program, resolves with its duration
//   reconciliations(m) → the full syncs the CLI started on its own, for diagnostics
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { diffTrees, snapshotTree, waitForConvergence } from '../helpers/tree.js';

export interface Mirror {
  /** Temp directory holding src/, the config and the state dir. */
  base: string;
  /** The watch root (W). */
  src: string;
  /** The rsync module's directory (what the remote holds). */
  dst: string;
  cli: CliProcess;
  daemon: RsyncDaemon;
  stop(): Promise<void>;
}

export interface MirrorOptions {
  /** Files to create in src before the CLI starts (also copied to the remote). */
  seed?: (src: string, dst: string) => Promise<void>;
  /** How long to wait for "watch path is:" (a big tree takes a while to crawl). */
  startTimeoutMs?: number;
  /** Raw XML inside <head> (a <sersyncts> element). */
  extra?: string;
  debug?: boolean;
}

export async function startMirror(opts: MirrorOptions = {}): Promise<Mirror> {
  const base = await makeTempDir('blindspots');
  const src = path.join(base, 'src');
  await mkdir(src);
  const daemon = await startRsyncDaemon({ auth: true });
  const dst = daemon.moduleDir('www');
  if (opts.seed) await opts.seed(src, dst);
  const config = await writeConfig(base, {
    watch: src,
    remotes: [{ ip: '127.0.0.1', name: 'www' }],
    auth: { users: daemon.user, passwordFile: daemon.passwordFile },
    port: daemon.port,
    debug: opts.debug,
    extra: opts.extra,
  });
  const stateDir = path.join(base, 'state');
  const cli = startCli(['-o', config], { cwd: base, env: { SERSYNC_TS_STATE_DIR: stateDir } });
  try {
    await cli.waitForOutput(/watch path is: .*\n/, opts.startTimeoutMs ?? 30000);
  } catch (e) {
    await cli.stop('SIGKILL', 0);
    await daemon.stop();
    throw e;
  }
  let stopped = false;
  return {
    base,
    src,
    dst,
    cli,
    daemon,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cli.stop();
      await daemon.stop();
    },
  };
}

/** Runs `node -e code ...args` (never a shell); rejects on a non-zero exit. */
export function writeInChild(code: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code, '--', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('close', (codeNum, sig) => {
      if (codeNum === 0) resolve(out);
      else reject(new Error(`writer failed (${codeNum ?? sig}): ${err.trim()}`));
    });
  });
}

/**
 * Writer: argv = root, top, dirs, filesPerDir, mode.
 *  - mode 'flat':  <root>/<top>/d<i>/f<j>, each directory made just before its files
 *  - mode 'deep':  <root>/<top>/d<i % 100>/s<i>/f<j> (a middle level, for big trees)
 * Each file holds its own name (distinct content, so a stale copy would show).
 * Prints the milliseconds it took.
 */
export const WRITER_TREE = `
const fs = require('fs');
const [root, top, dirsS, filesS, mode] = process.argv.slice(1);
const dirs = Number(dirsS), files = Number(filesS);
const t0 = Date.now();
const base = top ? root + '/' + top : root;
fs.mkdirSync(base, { recursive: true });
for (let i = 0; i < dirs; i++) {
  const d = mode === 'deep' ? base + '/d' + (i % 100) + '/s' + i : base + '/d' + i;
  fs.mkdirSync(d, { recursive: true });
  for (let j = 0; j < files; j++) fs.writeFileSync(d + '/f' + j, 'file ' + i + '/' + j + '\\n');
}
process.stdout.write(String(Date.now() - t0));
`;

/** Writer: append a line to every file below argv[1] (recursive). Prints how many. */
export const WRITER_APPEND_ALL = `
const fs = require('fs');
let n = 0;
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = d + '/' + e.name;
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) { fs.appendFileSync(p, 'edited\\n'); n++; }
  }
};
walk(process.argv[1]);
process.stdout.write(String(n));
`;

/**
 * Waits until the remote mirrors the source; returns how long it took.
 * Hashing two big trees on every poll would take seconds under load and
 * blur the measurement, so it first polls a cheap listing (names, types,
 * sizes, whole-second mtimes — rsync -t keeps them), then confirms with
 * waitForConvergence (contents hashed) for the time left.
 */
export async function converge(src: string, dst: string, timeoutMs: number, intervalMs = 250): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const [a, b] = await Promise.all([listing(src), listing(dst)]);
    if (sameListing(a, b)) break;
    await sleep(intervalMs);
  }
  const cheap = Date.now() - start;
  // Equal now (contents too): the cheap poll saw the moment of convergence.
  if (diffTrees(await snapshotTree(src), await snapshotTree(dst)).length === 0) return cheap;
  try {
    await waitForConvergence(src, dst, { timeoutMs: Math.max(0, timeoutMs - (Date.now() - start)), intervalMs });
  } catch (e) {
    throw new Error(`still different ${Date.now() - start} ms after the change (limit ${timeoutMs} ms): ${(e as Error).message}`);
  }
  return Date.now() - start;
}

/** rel (bytes) → "type size mtime" for everything below root; vanished entries are skipped. */
async function listing(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: Buffer, rel: string): Promise<void> => {
    let names: Buffer[];
    try {
      names = await readdir(dir, { encoding: 'buffer' });
    } catch {
      return;
    }
    await Promise.all(
      names.map(async (name) => {
        const abs = Buffer.concat([dir, Buffer.from('/'), name]);
        const childRel = rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
        let st;
        try {
          st = await lstat(abs);
        } catch {
          return;
        }
        if (st.isDirectory()) {
          out.set(childRel, 'd');
          await walk(abs, childRel);
        } else {
          out.set(childRel, `${st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : 'o'} ${st.size} ${Math.floor(st.mtimeMs / 1000)}`);
        }
      }),
    );
  };
  await walk(Buffer.from(root), '');
  return out;
}

function sameListing(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * A mirror whose source and remote both start with big/ (`dirs` leaf
 * directories of `files` files under 100 middle ones) and other/keep.txt.
 * The remote gets its copy with cp -a, before the CLI starts.
 */
export async function startMirrorWithBigTree(dirs: number, files: number): Promise<Mirror> {
  return startMirror({
    startTimeoutMs: 120_000,
    seed: async (src, dst) => {
      await writeInChild(WRITER_TREE, [src, 'big', String(dirs), String(files), 'deep']);
      await mkdir(path.join(src, 'other'));
      await writeFile(path.join(src, 'other/keep.txt'), 'keep\n');
      const r = spawnSync('cp', ['-a', `${src}/.`, dst]);
      if (r.status !== 0) throw new Error(`cp -a failed: ${String(r.stderr)}`);
    },
  });
}

/** Runs a program (no shell) to completion without blocking the event loop; resolves with its duration in ms. */
export function runTimed(cmd: string, args: string[]): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Date.now() - t0) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

/**
 * The reconciliations (full syncs) the CLI started on its own, as text for a
 * diagnostic: they repair what the real-time path missed, so a scenario that
 * converged only thanks to one says so.
 */
export function reconciliations(m: Mirror, since = 0): string {
  const reasons = [...m.cli.output.slice(since).matchAll(/reconciling with the remotes \((.*)\)/g)].map((x) => x[1]);
  return reasons.length === 0 ? 'no reconciliation' : `${reasons.length} reconciliation(s): ${reasons.join('; ')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
