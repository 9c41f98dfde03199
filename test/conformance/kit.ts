// The conformance kit: spec §10's cases run against the real program.
//
// Each case gets a fresh watch directory W and its own module on one shared
// real rsync daemon per test file. Two runs of the real CLI can watch the
// same W at the same time:
//  - the REAL run (`startReal`): its config reaches the daemon (userDefinedPort
//    = the daemon's port, module = the case's own); tests assert the remote
//    result (tree equality, presence, absence);
//  - the DRY run (`startDry`): `--dry-run` with the spec's BASE remote
//    (`127.0.0.1::www`, no port), so the command it prints for each op is
//    comparable, token by token, with the spec's strings (§5.3–§5.5), after
//    `/data/www` → W and `10.0.0.2` → `127.0.0.1`. A stub `rsync` first on its
//    PATH records any call: a dry run must never run rsync.
// Every CLI gets its own SERSYNC_TS_STATE_DIR (pid file, locks, journal).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig, type ConfigOptions } from '../helpers/config.js';
import { run } from '../helpers/exec.js';
import { startRsyncDaemon, type RsyncDaemon, type RsyncDaemonOptions } from '../helpers/rsyncd.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { writeTree, type TreeSpec } from '../helpers/tree.js';
import { shSplit } from '../../src/util/shquote.js';

/** The watch root and remote the spec's strings are written for (§10 BASE). */
export const SPEC_W = '/data/www';
export const SPEC_IP = '10.0.0.2';

export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** sh's words of a command line (quotes removed, `\$` → `$`, operators as text). */
export function tokens(line: string): string[] {
  const t = shSplit(line);
  assert.ok(t, `not a plain sh command line: ${JSON.stringify(line)}`);
  return t;
}

/** A spec string (§5, §10) rewritten for this W and the loopback remote. */
export function adapt(specLine: string, w: string): string {
  return specLine.split(SPEC_W).join(w).split(SPEC_IP).join('127.0.0.1');
}

/** Assert that `actual` (a printed command) is the spec's command, token by token. */
export function assertCommand(actual: string, specLine: string, w: string, message?: string): void {
  assert.deepEqual(tokens(actual), tokens(adapt(specLine, w)), message ?? `command\n  actual: ${actual}\n  spec:   ${adapt(specLine, w)}`);
}

/**
 * Assert that the distinct commands of `actual` are the spec's commands, token
 * by token, in any order (spec: "compare as multisets"; repeats: see `distinct`).
 */
export function assertCommandSet(actual: string[], specLines: string[], w: string): void {
  const norm = (l: string) => JSON.stringify(tokens(l));
  assert.deepEqual(distinct(actual).map(norm).sort(), specLines.map((l) => norm(adapt(l, w))).sort(), `commands\n  actual:\n    ${actual.join('\n    ')}\n  spec:\n    ${specLines.map((l) => adapt(l, w)).join('\n    ')}`);
}

/**
 * The commands, each distinct one once, in the order first printed. sersync-ts
 * may send the very same command twice where sersync2 sent it once, with the
 * same remote result (both reported in the conformance notes):
 *  - closeWrite is emulated with a quiet period (`<sersyncts quietMs>`, 30 ms
 *    after the file's mtime): when the writer stalls between open() and
 *    write() (seen under CPU load) the watcher's `create` finds an empty file,
 *    and its `update` can arrive after the quiet period (up to ~50 ms later):
 *    a second push of the file;
 *  - below a new directory that has subdirectories, sersync-ts adds a second
 *    watcher subscription (so the subtree is watched at all); changes there
 *    are reported by both, and a directory push or a delete can go out twice.
 * "Exactly one" therefore means "one distinct command" in these tests.
 */
export function distinct(lines: string[]): string[] {
  return [...new Set(lines)];
}

/** One `rsync` stub script directory, recording every call in $STUB_LOG and exiting $STUB_EXIT (default 0). */
async function makeStubBin(dir: string): Promise<string> {
  const bin = path.join(dir, 'stub-bin');
  fs.mkdirSync(bin, { recursive: true });
  const script = path.join(bin, 'rsync');
  fs.writeFileSync(
    script,
    ['#!/bin/sh', 'printf \'%s\\n\' "$(pwd) $*" >> "${STUB_LOG:-/dev/null}"', 'exit "${STUB_EXIT:-0}"', ''].join('\n'),
    { mode: 0o755 },
  );
  return bin;
}

export interface CaseDirs {
  id: string;
  /** The case's own directory (configs, fail log, state dirs). */
  dir: string;
  /** The watch root W. */
  w: string;
  /** The case's module on the shared daemon. */
  module: string;
  /** That module's directory (the remote side). */
  mirror: string;
}

export interface Run {
  cli: CliProcess;
  config: string;
  /** Lines of stdout that are commands (`cd W && rsync …`), in order. */
  commands(): string[];
  /** Wait until at least n commands were printed; returns them all. */
  waitCommands(n: number, timeoutMs?: number): Promise<string[]>;
  /**
   * Dry runs: make sure everything done so far was processed. Writes a
   * sentinel file in W, waits for its command, and returns the commands
   * printed so far without the sentinels' own lines. Call it once the
   * expected commands have appeared: lines printed before the sentinel's are
   * then everything the operations produced.
   */
  settle(timeoutMs?: number): Promise<string[]>;
  /** rsync calls the stub recorded (a dry run must have none). */
  stubCalls(): string[];
  /** SIGTERM, wait; the exit code (the same promise on later calls). */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Wait for `watch path is:` (default true). */
  wait?: boolean;
  /** Use the stub rsync (recording calls, exiting stubExit) instead of the real one. */
  stub?: boolean;
  stubExit?: number;
  cwd?: string;
}

/** One test file's fixture: a temp dir, one rsync daemon with a module per case, and the CLIs it started. */
export class Suite {
  private readonly clis = new Set<CliProcess>();
  private readonly extraDaemons: RsyncDaemon[] = [];
  private sentinels = 0;

  private constructor(
    readonly base: string,
    readonly rsyncd: RsyncDaemon,
    private readonly stubBin: string,
  ) {}

  /** `modules`: one per case that pushes for real. */
  static async create(name: string, modules: string[], daemon: RsyncDaemonOptions = {}): Promise<Suite> {
    const base = await makeTempDir(`conf-${name}`);
    const rsyncd = await startRsyncDaemon({ ...daemon, modules });
    return new Suite(base, rsyncd, await makeStubBin(base));
  }

  async close(): Promise<void> {
    await Promise.all([...this.clis].map((c) => c.stop('SIGKILL', 0)));
    await this.rsyncd.stop();
    await Promise.all(this.extraDaemons.map((d) => d.stop()));
    await removeTempDirs();
  }

  /** Another daemon (e.g. read-only, or with auth), stopped with the suite. */
  async daemon(opts: RsyncDaemonOptions): Promise<RsyncDaemon> {
    const d = await startRsyncDaemon(opts);
    this.extraDaemons.push(d);
    return d;
  }

  /** A fresh case: W (with `tree` in it) and the mirror holding `mirrorTree` (default: the same). */
  async case(id: string, tree: TreeSpec = {}, mirrorTree?: TreeSpec, rsyncd: RsyncDaemon = this.rsyncd): Promise<CaseDirs> {
    const dir = path.join(this.base, id);
    const w = path.join(dir, 'w');
    fs.mkdirSync(w, { recursive: true });
    const module = rsyncd.modules.includes(id) ? id : rsyncd.modules[0]!;
    const mirror = rsyncd.moduleDir(module);
    await writeTree(w, tree);
    if (mirrorTree === undefined) {
      // The remote starts as a copy of W (local rsync, preserving everything).
      const r = await run('rsync', ['-a', `${w}/`, `${mirror}/`]);
      assert.equal(r.code, 0, r.stderr);
    } else {
      await writeTree(mirror, mirrorTree);
    }
    return { id, dir, w, module, mirror };
  }

  /** The config of a real run: the case's module on the daemon (port = the daemon's port). */
  async realConfig(c: CaseDirs, cfg: Partial<ConfigOptions> = {}, fileName = 'real.xml', rsyncd: RsyncDaemon = this.rsyncd): Promise<string> {
    return writeConfig(c.dir, {
      watch: c.w,
      remotes: [{ ip: '127.0.0.1', name: c.module }],
      port: rsyncd.port,
      ...cfg,
      fileName,
    });
  }

  /** The config of a dry run: the spec's BASE remote (127.0.0.1::www for 10.0.0.2::www), no port. */
  async dryConfig(c: CaseDirs, cfg: Partial<ConfigOptions> = {}, fileName = 'dry.xml'): Promise<string> {
    return writeConfig(c.dir, {
      watch: c.w,
      remotes: [{ ip: '127.0.0.1', name: 'www' }],
      failLog: { path: path.join(c.dir, 'dry_fail_log.sh'), minutes: 60 },
      ...cfg,
      fileName,
    });
  }

  async startReal(c: CaseDirs, cfg: Partial<ConfigOptions> = {}, o: StartOptions = {}): Promise<Run> {
    return this.start(c, await this.realConfig(c, cfg), 'real', o);
  }

  async startDry(c: CaseDirs, cfg: Partial<ConfigOptions> = {}, o: StartOptions = {}): Promise<Run> {
    return this.start(c, await this.dryConfig(c, cfg), 'dry', { ...o, args: ['--dry-run', ...(o.args ?? [])], stub: true });
  }

  /** Start the CLI with `-o config` (+ args), its own state dir, optionally the stub rsync first on PATH. */
  async start(c: CaseDirs, config: string, label: string, o: StartOptions = {}): Promise<Run> {
    const state = path.join(c.dir, `state-${label}`);
    const stubLog = path.join(c.dir, `stub-${label}.log`);
    const env: Record<string, string> = {
      SERSYNC_TS_STATE_DIR: state,
      ...(o.stub ? { PATH: `${this.stubBin}:${process.env.PATH ?? ''}`, STUB_LOG: stubLog, STUB_EXIT: String(o.stubExit ?? 0) } : {}),
      ...o.env,
    };
    const cli = startCli([...(o.args ?? []), '-o', config], { cwd: o.cwd ?? c.dir, env });
    this.clis.add(cli);
    if (o.wait ?? true) await cli.waitForOutput(/watch path is: .*\n/, 20000);
    const commands = () => cli.stdout.split('\n').filter((l) => l.startsWith('cd '));
    const suite = this;
    let stopped: Promise<number | null> | null = null;
    return {
      cli,
      config,
      commands,
      waitCommands: (n, timeoutMs = 15000) =>
        until(`${n} command(s) from the ${label} run; stdout so far:\n${cli.stdout}`, () => (commands().length >= n ? commands() : undefined), timeoutMs),
      async settle(timeoutMs = 15000) {
        const name = `zz-sentinel-${++suite.sentinels}`;
        fs.writeFileSync(path.join(c.w, name), `${name}\n`);
        const mine = (l: string) => l.includes(`./${name}"`);
        await until(`the sentinel ${name} from the ${label} run; stdout so far:\n${cli.stdout}`, () => commands().some(mine), timeoutMs);
        return commands().filter((l) => !mine(l) && !/zz-sentinel-/.test(l));
      },
      stubCalls: () => (fs.existsSync(stubLog) ? fs.readFileSync(stubLog, 'utf8').split('\n').filter(Boolean) : []),
      stop() {
        suite.clis.delete(cli);
        stopped ??= cli.stop();
        return stopped;
      },
    };
  }
}

/** The remote tree must become W's tree (every file, type, content, symlink target). */
export { waitForConvergence, snapshotTree, diffTrees } from '../helpers/tree.js';

/**
 * Put a complete file into W in one step (written next to W, then renamed in):
 * the watcher reports one event for it, so counting rsync runs counts
 * retries, not the events of a write that straddled two watcher batches.
 */
export function putFile(c: CaseDirs, rel: string, content: string): void {
  const tmp = path.join(c.dir, `.put-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, path.join(c.w, rel));
}

/** Text of a file, or '' when it does not exist. */
export function readText(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'latin1') : '';
}
