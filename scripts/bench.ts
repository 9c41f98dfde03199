// Side-by-side benchmark: sersync-ts against lsyncd (default.rsync, delay 0 and
// delay 1) and the common inotifywait + rsync loop, in one run, all pushing to
// the same rsync daemon with auth on 127.0.0.1, all with the same rsync options
// (sersync2's stock -artuz). Run it with `bash scripts/bench.sh` (installs the
// tools, builds, runs this).
//
// Every (scenario, tool) pair starts from an empty source and an empty module
// directory (churn: a 2,000-file tree synced before the tool starts), and ends
// with a full comparison of the module directory with the source; a difference
// is printed as MISMATCH in the table.
//
// Scenarios:
//   latency  100 new 1 KiB files 100 ms apart, then 20 new files 1 s apart:
//            close → whole file visible in the module directory (polled every ms)
//   burst    5,000 files of 1–4 KiB in 50 new directories, written as fast as a
//            child process can: lag from its last close to convergence
//   churn    on a synced 2,000-file tree: modify 500, delete 500, rename 5
//            directories of 100 files, create 500: lag from the last change to
//            convergence
//   large    one 256 MiB file: lag from its close to convergence
//   cost     CPU seconds of the tool and its children (from /proc, utime+stime
//            and the reaped children's cutime+cstime of the whole process group,
//            from ready until it is idle again after convergence), the daemon's
//            CPU, peak RSS (VmHWM) of the tool's main process
//   floor    what rsync alone takes, through the same daemon: for latency, one
//            `rsync -artuz -R ./file` (sersync2's per-file shape, TCP_NODELAY)
//            right after each close; for burst, churn and large, one plain
//            `rsync -artuz --delete ./ daemon` of the final tree after the same
//            writer made the same change
//
// Options: --tools sersync-ts,lsyncd-0,lsyncd-1,loop   --scenarios latency,burst,churn,large
//          --quick (smaller sizes)  --json FILE  --large-mib N  --burst-files N
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCipheriv, createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startRsyncDaemon, type RsyncDaemon } from '../test/helpers/rsyncd.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { diffTrees, snapshotTree } from '../test/helpers/tree.js';
import {
  BURST_WRITER,
  COMMON_PARAMS,
  Expectation,
  burstFiles,
  daemonPid,
  emptyDir,
  fileContent,
  inotifyLoop,
  loadAvg,
  lsyncd,
  nowMs,
  plainRsync,
  pollUntil,
  quantile,
  runWriter,
  sampleGroup,
  sersyncTs,
  sleep,
  type RunningTool,
  type ToolSpec,
} from './bench-kit.js';

interface Options {
  tools: string[];
  scenarios: string[];
  latencyA: { n: number; spacing: number };
  latencyB: { n: number; spacing: number };
  burstFiles: number;
  burstDirs: number;
  churnDirs: number;
  largeMiB: number;
  json: string | null;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    tools: ['sersync-ts', 'lsyncd-0', 'lsyncd-1', 'loop'],
    scenarios: ['latency', 'burst', 'churn', 'large'],
    latencyA: { n: 100, spacing: 100 },
    latencyB: { n: 20, spacing: 1000 },
    burstFiles: 5000,
    burstDirs: 50,
    churnDirs: 20,
    largeMiB: 256,
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--tools') o.tools = next().split(',');
    else if (a === '--scenarios') o.scenarios = next().split(',');
    else if (a === '--json') o.json = next();
    else if (a === '--large-mib') o.largeMiB = Number(next());
    else if (a === '--burst-files') o.burstFiles = Number(next());
    else if (a === '--quick') {
      o.latencyA = { n: 30, spacing: 100 };
      o.latencyB = { n: 5, spacing: 1000 };
      o.burstFiles = 1000;
      o.burstDirs = 10;
      o.largeMiB = 64;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: bench [--tools sersync-ts,lsyncd-0,lsyncd-1,loop] [--scenarios latency,burst,churn,large] [--quick] [--large-mib N] [--burst-files N] [--json FILE]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const TOOLS: Record<string, ToolSpec> = {
  'sersync-ts': sersyncTs,
  'lsyncd-0': lsyncd(0),
  'lsyncd-1': lsyncd(1),
  loop: inotifyLoop,
};

/** After the tool is ready: let its start-up settle (@parcel/watcher delivers at once only after 500 ms of quiet). */
const SETTLE_MS = 1000;
/**
 * After convergence the tool may still work (a second push, sersync-ts's
 * stream sweep and reconciliation, the loop's backlog): its CPU is counted
 * until it is idle — no child processes beyond those it had when ready, and
 * no CPU used for IDLE_MS — at least TRAIL_MIN_MS, at most TRAIL_MAX_MS.
 */
const TRAIL_MIN_MS = 1500;
const IDLE_MS = 1000;
const TRAIL_MAX_MS = 15_000;

async function waitIdle(tool: RunningTool, baseProcs: number): Promise<number> {
  const t0 = nowMs();
  await sleep(TRAIL_MIN_MS);
  let last = tool.sample();
  let quietSince = nowMs();
  while (nowMs() - t0 < TRAIL_MAX_MS) {
    await sleep(250);
    const s = tool.sample();
    if (s.procs > baseProcs || s.cpuS - last.cpuS > 0.005) quietSince = nowMs();
    last = s;
    if (nowMs() - quietSince >= IDLE_MS) break;
  }
  return nowMs() - t0;
}

interface RunResult {
  tool: string;
  scenario: string;
  load: string;
  metrics: Record<string, number>;
  cpuS: number;
  /** The tool's main process alone (no rsync children). */
  mainCpuS: number;
  daemonCpuS: number;
  mainPeakKb: number;
  groupPeakKb: number;
  diff: string[];
  error?: string;
  /** The tool's warnings and reconciliation lines (sersync-ts), for the JSON report. */
  notes?: string[];
}

class Bench {
  readonly results: RunResult[] = [];
  private daemonPid: number;

  constructor(
    readonly o: Options,
    readonly daemon: RsyncDaemon,
    readonly base: string,
  ) {
    const pid = daemonPid(daemon);
    if (pid === null) throw new Error('cannot find the rsync daemon process');
    this.daemonPid = pid;
  }

  get dst(): string {
    return this.daemon.moduleDir('www');
  }

  private daemonCpu(): number {
    return sampleGroup(this.daemonPid).cpuS;
  }

  /**
   * One (scenario, tool) run: fresh source, empty module, prepare, start the
   * tool, measure, stop, compare. tool null = the floor (no tool, `body` runs
   * its own rsync).
   */
  async run(
    scenario: string,
    spec: ToolSpec | null,
    prepare: (src: string) => Promise<void>,
    body: (src: string) => Promise<Record<string, number>>,
  ): Promise<RunResult> {
    const id = spec?.id ?? 'floor';
    const work = fs.mkdtempSync(path.join(this.base, `${scenario}-${id}-`));
    const src = path.join(work, 'src');
    fs.mkdirSync(src);
    emptyDir(this.dst);
    const r: RunResult = { tool: id, scenario, load: '', metrics: {}, cpuS: NaN, mainCpuS: NaN, daemonCpuS: NaN, mainPeakKb: NaN, groupPeakKb: NaN, diff: [] };
    let tool: RunningTool | null = null;
    process.stderr.write(`[bench] ${scenario} / ${spec?.label ?? 'floor'} (load ${loadAvg()})\n`);
    try {
      await prepare(src);
      r.load = loadAvg();
      if (spec) {
        tool = await spec.start({ daemon: this.daemon, src, work });
        await sleep(SETTLE_MS);
      }
      const c0 = tool?.sample();
      const d0 = this.daemonCpu();
      r.metrics = await body(src);
      if (tool && c0) r.metrics.trail = await waitIdle(tool, c0.procs);
      const c1 = tool?.sample();
      r.cpuS = c0 && c1 ? c1.cpuS - c0.cpuS : NaN;
      r.mainCpuS = c0 && c1 ? c1.leaderSelfS - c0.leaderSelfS : NaN;
      r.daemonCpuS = this.daemonCpu() - d0;
    } catch (e) {
      r.error = (e as Error).message.split('\n')[0]!;
      process.stderr.write(`[bench] ${scenario} / ${id}: ${(e as Error).message}\n`);
    } finally {
      if (tool) {
        await tool.stop();
        r.mainPeakKb = tool.mainPeakKb;
        r.groupPeakKb = tool.groupPeakKb;
        r.notes = tool.output.split('\n').filter((l) => /\b(WARN|ERROR)\b|reconcil/.test(l)).slice(0, 20);
      }
    }
    r.diff = diffTrees(await snapshotTree(src), await snapshotTree(this.dst));
    if (r.diff.length) process.stderr.write(`[bench] ${scenario} / ${id}: MISMATCH, ${r.diff.length} difference(s): ${r.diff.slice(0, 5).join('; ')}\n`);
    fs.rmSync(work, { recursive: true, force: true });
    this.results.push(r);
    return r;
  }

  // ---- scenarios ---------------------------------------------------------

  async latency(spec: ToolSpec): Promise<void> {
    const o = this.o;
    await this.run('latency', spec, async () => {}, async (src) => {
      const m: Record<string, number> = {};
      for (const [tag, ph] of [['A', o.latencyA], ['B', o.latencyB]] as const) {
        const xs = await this.latencyPhase(src, tag, ph.n, ph.spacing);
        const s = [...xs].sort((a, b) => a - b);
        m[`p50${tag}`] = quantile(s, 0.5);
        m[`p90${tag}`] = quantile(s, 0.9);
        m[`p99${tag}`] = quantile(s, 0.99);
        m[`max${tag}`] = s.at(-1) ?? NaN;
        await sleep(1500); // quiet between the phases
      }
      return m;
    });
  }

  /**
   * The latency floor: each 1 KiB file pushed by one rsync of that file in
   * sersync2's per-file shape (`-artuz -R ./f`, with TCP_NODELAY as sersync-ts
   * runs it), started right after the close: close → visible, same poller.
   */
  async latencyFloor(): Promise<void> {
    const o = this.o;
    await this.run('latency', null, async () => {}, async (src) => {
      const m: Record<string, number> = {};
      for (const [tag, ph] of [['A', o.latencyA], ['B', o.latencyB]] as const) {
        const xs: number[] = [];
        const n = Math.min(ph.n, 30);
        for (let i = 0; i < n; i++) {
          const content = fileContent(i, 7).subarray(0, 1024);
          const name = `lat-${tag}-${i}`;
          fs.writeFileSync(path.join(src, name), content);
          const closed = nowMs();
          const r = await plainRsync(src, this.daemon, [`./${name}`], ['-R', '--sockopts=TCP_NODELAY']);
          if (r.code !== 0) throw new Error(`floor rsync failed (${r.code}): ${r.stderr.trim()}`);
          const dstFile = path.join(this.dst, name);
          while (!fs.existsSync(dstFile)) await sleep(1);
          xs.push(nowMs() - closed);
          await sleep(Math.min(ph.spacing, 100));
        }
        const srt = [...xs].sort((a, b) => a - b);
        m[`p50${tag}`] = quantile(srt, 0.5);
        m[`p90${tag}`] = quantile(srt, 0.9);
        m[`p99${tag}`] = quantile(srt, 0.99);
        m[`max${tag}`] = srt.at(-1) ?? NaN;
      }
      return m;
    });
  }

  /** n new 1 KiB files, `spacing` ms apart; each: close → the module holds the whole file. */
  private async latencyPhase(src: string, tag: string, n: number, spacing: number): Promise<number[]> {
    const dst = this.dst;
    const out: number[] = [];
    const pending = new Map<number, { file: string; content: Buffer; closed: number }>();
    let writing = true;
    let failure: Error | null = null;
    const poller = (async () => {
      while (writing || pending.size > 0) {
        const t = nowMs();
        for (const [i, p] of pending) {
          let got: Buffer | null = null;
          try {
            got = fs.readFileSync(p.file);
          } catch {
            got = null;
          }
          if (got && got.equals(p.content)) {
            out.push(t - p.closed);
            pending.delete(i);
          } else if (t - p.closed > 20_000) {
            failure = new Error(`latency: lat-${tag}-${i} did not arrive within 20 s`);
            return;
          }
        }
        await sleep(1);
      }
    })();
    const t0 = nowMs();
    for (let i = 0; i < n && !failure; i++) {
      const wait = t0 + i * spacing - nowMs();
      if (wait > 0) await sleep(wait);
      const content = fileContent(i, 7).subarray(0, 1024);
      fs.writeFileSync(path.join(src, `lat-${tag}-${i}`), content);
      pending.set(i, { file: path.join(dst, `lat-${tag}-${i}`), content, closed: nowMs() });
    }
    writing = false;
    await poller;
    if (failure) throw failure;
    return out;
  }

  async burst(spec: ToolSpec | null): Promise<void> {
    const o = this.o;
    await this.run('burst', spec, async () => {}, async (src) => {
      const exp = new Expectation();
      for (const [rel, c] of burstFiles(o.burstFiles, o.burstDirs, 'burst', 0)) exp.want(rel, c);
      if (!spec) {
        const w = await runWriter(BURST_WRITER, [src, String(o.burstFiles), String(o.burstDirs), 'burst', '0']);
        const r = await plainRsync(src, this.daemon);
        if (r.code !== 0) throw new Error(`floor rsync failed (${r.code}): ${r.stderr.trim()}`);
        return { lag: r.ms, writer: w.last - w.first, total: w.last - w.first + r.ms };
      }
      let done = false;
      const conv = pollUntil(exp, this.dst, () => done, 300_000);
      const w = await runWriter(BURST_WRITER, [src, String(o.burstFiles), String(o.burstDirs), 'burst', '0']).finally(() => (done = true));
      const t = await conv;
      return { lag: Math.max(0, t - w.last), writer: w.last - w.first, total: t - w.first };
    });
  }

  /** 20 directories × 100 files (1–4 KiB), synced to the module before the tool starts. */
  private async churnTree(src: string): Promise<void> {
    for (let d = 0; d < this.o.churnDirs; d++) {
      const dir = path.join(src, `d${String(d).padStart(2, '0')}`);
      fs.mkdirSync(dir);
      for (let j = 0; j < 100; j++) fs.writeFileSync(path.join(dir, `f-${String(j).padStart(3, '0')}`), fileContent(d * 100 + j, 1));
    }
    const r = await plainRsync(src, this.daemon);
    if (r.code !== 0) throw new Error(`pre-sync failed (${r.code}): ${r.stderr.trim()}`);
  }

  private churnExpectation(): Expectation {
    const exp = new Expectation();
    const name = (d: number, j: number, p = 'd', f = 'f') => `${p}${String(d).padStart(2, '0')}/${f}-${String(j).padStart(3, '0')}`;
    for (let j = 0; j < 100; j++) {
      for (let d = 0; d < 5; d++) exp.want(name(d, j), fileContent(d * 100 + j, 2)); // modified
      for (let d = 5; d < 10; d++) exp.gone(name(d, j)); // deleted
      for (let d = 10; d < 15; d++) exp.want(name(d, j, 'r'), fileContent(d * 100 + j, 1)); // renamed dir
      for (let d = 15; d < 20; d++) exp.want(name(d, j, 'd', 'new'), fileContent(10_000 + d * 100 + j, 3)); // created
    }
    for (let d = 10; d < 15; d++) exp.gone(`d${d}`);
    return exp;
  }

  async churn(spec: ToolSpec | null): Promise<void> {
    await this.run('churn', spec, (src) => this.churnTree(src), async (src) => {
      const exp = this.churnExpectation();
      if (!spec) {
        const w = await runWriter(CHURN_WRITER, [src]);
        const r = await plainRsync(src, this.daemon);
        if (r.code !== 0) throw new Error(`floor rsync failed (${r.code}): ${r.stderr.trim()}`);
        exp.check(this.dst);
        if (exp.remaining) throw new Error(`floor rsync left ${exp.remaining} path(s) outstanding`);
        return { lag: r.ms, writer: w.last - w.first, total: w.last - w.first + r.ms };
      }
      let done = false;
      const conv = pollUntil(exp, this.dst, () => done, 300_000);
      const w = await runWriter(CHURN_WRITER, [src]).finally(() => (done = true));
      const t = await conv;
      return { lag: Math.max(0, t - w.last), writer: w.last - w.first, total: t - w.first };
    });
  }

  private largeWant: { size: number; sha1: string } | null = null;

  async large(spec: ToolSpec | null): Promise<void> {
    const mib = this.o.largeMiB;
    this.largeWant ??= { size: mib << 20, sha1: largeSha1(mib) };
    const want = this.largeWant;
    await this.run('large', spec, async () => {}, async (src) => {
      const exp = new Expectation();
      exp.want('big.bin', want);
      if (!spec) {
        const w = await runWriter(LARGE_WRITER, [src, String(mib)]);
        const r = await plainRsync(src, this.daemon);
        if (r.code !== 0) throw new Error(`floor rsync failed (${r.code}): ${r.stderr.trim()}`);
        return { lag: r.ms, writer: w.last - w.first, total: w.last - w.first + r.ms };
      }
      let done = false;
      const conv = pollUntil(exp, this.dst, () => done, 600_000, 5);
      const w = await runWriter(LARGE_WRITER, [src, String(mib)]).finally(() => (done = true));
      const t = await conv;
      return { lag: Math.max(0, t - w.last), writer: w.last - w.first, total: t - w.first };
    });
  }
}

/** The churn, as fast as possible: modify 500, delete 500, rename 5 dirs of 100, create 500. */
const CHURN_WRITER = `
const src = process.argv[1];
const p2 = (n) => String(n).padStart(2, '0');
const p3 = (n) => String(n).padStart(3, '0');
const first = now();
for (let d = 0; d < 5; d++) for (let j = 0; j < 100; j++) fs.writeFileSync(src + '/d' + p2(d) + '/f-' + p3(j), fileContent(d * 100 + j, 2));
for (let d = 5; d < 10; d++) for (let j = 0; j < 100; j++) fs.unlinkSync(src + '/d' + p2(d) + '/f-' + p3(j));
for (let d = 10; d < 15; d++) fs.renameSync(src + '/d' + p2(d), src + '/r' + p2(d));
for (let d = 15; d < 20; d++) for (let j = 0; j < 100; j++) fs.writeFileSync(src + '/d' + p2(d) + '/new-' + p3(j), fileContent(10000 + d * 100 + j, 3));
process.stdout.write(JSON.stringify({ first, last: now() }));
`;

/** Deterministic, incompressible content: AES-128-CTR of zeros with a fixed key. */
const LARGE_WRITER = `
const crypto = require('node:crypto');
const [src, mib] = [process.argv[1], Number(process.argv[2])];
const c = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
const zeros = Buffer.alloc(1 << 20);
const chunks = [];
for (let i = 0; i < mib; i++) chunks.push(c.update(zeros));
const first = now();
const fd = fs.openSync(src + '/big.bin', 'w');
for (const b of chunks) fs.writeSync(fd, b);
fs.closeSync(fd);
process.stdout.write(JSON.stringify({ first, last: now() }));
`;

function largeSha1(mib: number): string {
  const c = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(1 << 20);
  const h = createHash('sha1');
  for (let i = 0; i < mib; i++) h.update(c.update(zeros));
  return h.digest('hex');
}

// ---------------------------------------------------------------------------
// Report

function version(cmd: string, args: string[], re: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return re.exec(out)?.[1] ?? '?';
  } catch (e) {
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    return re.exec(out)?.[1] ?? '?';
  }
}

function report(b: Bench): { text: string; failed: boolean } {
  const o = b.o;
  const cols = [...o.tools, 'floor'];
  const label: Record<string, string> = { 'sersync-ts': 'sersync-ts', 'lsyncd-0': 'lsyncd delay 0', 'lsyncd-1': 'lsyncd delay 1', loop: 'inotifywait loop', floor: 'floor (1 rsync)' };
  const get = (tool: string, scenario: string): RunResult | undefined => b.results.find((r) => r.tool === tool && r.scenario === scenario);
  const fmtMs = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);
  const cell = (tool: string, scenario: string, key: string): string => {
    const r = get(tool, scenario);
    if (!r) return '—';
    if (r.error && r.metrics[key] === undefined) return 'ERROR';
    return fmtMs(r.metrics[key]);
  };
  const rows: string[][] = [];
  const row = (name: string, f: (tool: string) => string): void => {
    rows.push([name, ...cols.map(f)]);
  };
  const A = o.latencyA;
  const B = o.latencyB;
  if (o.scenarios.includes('latency')) {
    for (const [tag, ph] of [['A', A], ['B', B]] as const) {
      for (const q of ['p50', 'p90', 'p99', 'max']) {
        row(`latency ${ph.n}×${ph.spacing} ms ${q}`, (t) => cell(t, 'latency', `${q}${tag}`));
      }
    }
  }
  if (o.scenarios.includes('burst')) {
    row(`burst ${o.burstFiles} files: writer`, (t) => cell(t, 'burst', 'writer'));
    row(`burst: lag after last write`, (t) => cell(t, 'burst', 'lag'));
  }
  if (o.scenarios.includes('churn')) {
    row('churn: writer', (t) => cell(t, 'churn', 'writer'));
    row('churn: lag after last change', (t) => cell(t, 'churn', 'lag'));
  }
  if (o.scenarios.includes('large')) {
    row(`large ${o.largeMiB} MiB: writer`, (t) => cell(t, 'large', 'writer'));
    row(`large: lag after close`, (t) => cell(t, 'large', 'lag'));
  }
  const tools = o.tools;
  const sum = (tool: string, f: (r: RunResult) => number): number => b.results.filter((r) => r.tool === tool).reduce((s, r) => s + f(r), 0);
  const max = (tool: string, f: (r: RunResult) => number): number => Math.max(...b.results.filter((r) => r.tool === tool).map(f).filter(Number.isFinite));
  for (const sc of o.scenarios) {
    row(`CPU s, ${sc} (tool + children)`, (t) => (t === 'floor' ? '' : fmtS(get(t, sc)?.cpuS)));
  }
  row('CPU s, whole run (tool + children)', (t) => (t === 'floor' ? '' : fmtS(sum(t, (r) => r.cpuS))));
  row('CPU s, whole run (main process only)', (t) => (t === 'floor' ? '' : fmtS(sum(t, (r) => r.mainCpuS))));
  row('CPU s, whole run (rsync daemon)', (t) => fmtS(sum(t, (r) => r.daemonCpuS)));
  for (const sc of o.scenarios) {
    row(`peak RSS, main process, ${sc}`, (t) => (t === 'floor' ? '' : fmtMiB(get(t, sc)?.mainPeakKb ?? NaN)));
  }
  row('peak RSS, process group (sampled)', (t) => (t === 'floor' ? '' : fmtMiB(max(t, (r) => r.groupPeakKb))));
  row('destination == source', (t) => {
    const rs = b.results.filter((r) => r.tool === t);
    if (rs.length === 0) return '—';
    const bad = rs.filter((r) => r.diff.length > 0 || r.error);
    return bad.length === 0 ? 'yes' : `MISMATCH: ${bad.map((r) => r.scenario).join(',')}`;
  });
  row('load avg (1 min) at start, max', (t) => {
    const ls = b.results.filter((r) => r.tool === t).map((r) => Number(r.load.split(' ')[0]));
    return ls.length ? Math.max(...ls).toFixed(2) : '—';
  });

  const widths = [Math.max(...rows.map((r) => r[0]!.length), 10), ...cols.map((c, i) => Math.max(label[c]!.length, ...rows.map((r) => r[i + 1]!.length)))];
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out: string[] = [];
  out.push(line(['', ...cols.map((c) => label[c]!)]));
  out.push(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) out.push(line(r));

  // Targets (sersync-ts, ratios within this run).
  const targets: Array<[string, boolean | null, string]> = [];
  const me = 'sersync-ts';
  const lat = get(me, 'latency');
  const l0 = get('lsyncd-0', 'latency');
  if (lat && o.tools.includes(me)) {
    for (const [tag, ph] of [['A', A], ['B', B]] as const) {
      const p50 = lat.metrics[`p50${tag}`]!;
      const p99 = lat.metrics[`p99${tag}`]!;
      targets.push([`latency ${ph.n}×${ph.spacing} ms: p50 ≤ 60 ms`, p50 <= 60, fmtMs(p50)]);
      const ref = l0?.metrics[`p50${tag}`];
      targets.push([
        `latency ${ph.n}×${ph.spacing} ms: p50 ≤ 0.6 × lsyncd delay 0`,
        ref === undefined ? null : p50 <= 0.6 * ref,
        ref === undefined ? 'no lsyncd run' : `${fmtMs(p50)} vs 0.6 × ${fmtMs(ref)} = ${fmtMs(0.6 * ref)}`,
      ]);
      targets.push([`latency ${ph.n}×${ph.spacing} ms: p99 ≤ 100 ms`, p99 <= 100, fmtMs(p99)]);
    }
  }
  const burst = get(me, 'burst');
  if (burst) targets.push(['burst lag ≤ 300 ms', burst.metrics.lag! <= 300, fmtMs(burst.metrics.lag)]);
  for (const sc of ['churn', 'large']) {
    const r = get(me, sc);
    const f = get('floor', sc);
    if (r && f) {
      const ratio = r.metrics.lag! / f.metrics.lag!;
      targets.push([`${sc} lag ≤ 1.3 × floor`, ratio <= 1.3, `${fmtMs(r.metrics.lag)} vs ${fmtMs(f.metrics.lag)} (× ${ratio.toFixed(2)})`]);
    }
  }
  if (tools.includes(me)) {
    const mine = sum(me, (r) => r.cpuS);
    for (const l of ['lsyncd-0', 'lsyncd-1'].filter((t) => tools.includes(t))) {
      const theirs = sum(l, (r) => r.cpuS);
      targets.push([`whole-run CPU ≤ ${label[l]}`, mine <= theirs, `${fmtS(mine)} vs ${fmtS(theirs)}`]);
    }
    const rss = max(me, (r) => r.mainPeakKb);
    targets.push(['peak RSS ≤ 100 MiB', rss <= 100 * 1024, fmtMiB(rss)]);
  }
  const mism = b.results.filter((r) => r.diff.length > 0 || r.error);
  targets.push([
    'every destination equals its source',
    mism.length === 0,
    mism.length === 0 ? 'yes' : mism.map((r) => `${r.scenario}/${r.tool}: ${r.error ?? `${r.diff.length} difference(s), e.g. ${r.diff[0]}`}`).join('; '),
  ]);
  out.push('', 'Targets (sersync-ts):');
  for (const [name, ok, detail] of targets) out.push(`  ${ok === null ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  const failed = targets.some(([, ok]) => ok === false);
  return { text: out.join('\n'), failed };
}

function fmtS(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)} s`;
}

function fmtMiB(kb: number): string {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : '—';
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  for (const t of o.tools) if (!TOOLS[t]) throw new Error(`unknown tool ${t} (known: ${Object.keys(TOOLS).join(', ')})`);
  const started = new Date();
  const loadBefore = loadAvg();
  const daemon = await startRsyncDaemon({ auth: true });
  const base = await makeTempDir('bench');
  const b = new Bench(o, daemon, base);
  try {
    // Scenario by scenario, the tools one after another (so that a change in
    // machine load hits every tool of a scenario alike).
    for (const sc of o.scenarios) {
      // The floor first: it is also the warm-up (the first 256 MiB write of a
      // run was 5–10× slower than the next ones on the bench VM, whichever
      // tool came first paid for it).
      if (sc === 'latency') await b.latencyFloor();
      else if (sc === 'burst') await b.burst(null);
      else if (sc === 'churn') await b.churn(null);
      else if (sc === 'large') await b.large(null);
      else throw new Error(`unknown scenario ${sc}`);
      for (const t of o.tools) {
        const spec = TOOLS[t]!;
        if (sc === 'latency') await b.latency(spec);
        else if (sc === 'burst') await b.burst(spec);
        else if (sc === 'churn') await b.churn(spec);
        else await b.large(spec);
      }
    }
  } finally {
    await daemon.stop();
  }
  const { text, failed } = report(b);
  const header = [
    `sersync-ts benchmark, ${started.toISOString()} — ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `load average before: ${loadBefore}; after: ${loadAvg()}`,
    `node ${process.version}, rsync ${version('rsync', ['--version'], /version\s+(\S+)/)}, lsyncd ${version('lsyncd', ['--version'], /Version:\s*(\S+)/)}, inotifywait ${version('inotifywait', ['--help'], /inotifywait\s+(\S+)/)}`,
    `every tool: rsync ${COMMON_PARAMS} to sersync@127.0.0.1::www (rsync daemon with auth, port ${daemon.port}); times are monotonic, lags from the writer's last close`,
    '',
  ].join('\n');
  process.stdout.write(`${header}${text}\n`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ options: o, started, loadBefore, results: b.results }, null, 2));
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(2);
});
