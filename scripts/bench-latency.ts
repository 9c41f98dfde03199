// Latency benchmark of the real-time engine, end to end: the real CLI
// (dist/src/cli/main.js) mirroring a temp directory to a real `rsync --daemon`
// with auth on 127.0.0.1 (started like test/helpers/rsyncd.ts does).
//
//   (a) latency: N writes of a 1 KiB file, a NEW file `lat-<i>` each time,
//       `spacing` ms apart. Measured from the moment writeFileSync returned (the
//       file is closed) to the moment the module directory holds the whole file
//       (polled every ~1 ms, content compared). p50, p90, p99, max.
//   (b) burst: F files of 1–4 KiB into D new directories, written by a child
//       process as fast as it can. Lag = from the child's last close to the
//       moment the module directory holds every file with the right content
//       (then a full tree comparison confirms nothing else differs).
//
// Targets (issue 3): p50 ≤ 60 ms, p99 ≤ 100 ms, burst lag ≤ 0.3 s.
//
// Usage: node dist/scripts/bench-latency.js [--writes 100] [--spacing 100]
//          [--files 5000] [--dirs 50] [--quiet-ms N] [--breakdown] [--json]
//          [--skip-latency] [--skip-burst] [--keep-log] [--daemon-nodelay]
// (scripts/bench-latency.sh builds first.) --quiet-ms sets <sersyncts quietMs>;
// --breakdown runs the CLI with <debug start="true"> and splits each latency
// into watcher delay (close → event logged), queue delay (event → rsync start)
// and rsync time, from the CLI's own log lines (ms resolution). --keep-log
// writes the CLI's output to ./bench-latency-<run>.log. --daemon-nodelay adds
// `socket options = TCP_NODELAY` to rsyncd.conf: sersync-ts sets TCP_NODELAY on
// its side (--sockopts), but the daemon's own small writes still wait for a
// delayed ACK (+40 ms) in about one call in six without it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startCli, type CliProcess } from '../test/helpers/cli.js';
import { writeConfig } from '../test/helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../test/helpers/rsyncd.js';
import { makeTempDir, removeTempDirs } from '../test/helpers/tmp.js';
import { diffTrees, snapshotTree } from '../test/helpers/tree.js';

interface Options {
  writes: number;
  spacing: number;
  files: number;
  dirs: number;
  quietMs: number | null;
  breakdown: boolean;
  json: boolean;
  latency: boolean;
  burst: boolean;
  keepLog: boolean;
  daemonNodelay: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { writes: 100, spacing: 100, files: 5000, dirs: 50, quietMs: null, breakdown: false, json: false, latency: true, burst: true, keepLog: false, daemonNodelay: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--writes') o.writes = num();
    else if (a === '--spacing') o.spacing = num();
    else if (a === '--files') o.files = num();
    else if (a === '--dirs') o.dirs = Math.max(1, num());
    else if (a === '--quiet-ms') o.quietMs = num();
    else if (a === '--breakdown') o.breakdown = true;
    else if (a === '--json') o.json = true;
    else if (a === '--keep-log') o.keepLog = true;
    else if (a === '--daemon-nodelay') o.daemonNodelay = true;
    else if (a === '--skip-latency') o.latency = false;
    else if (a === '--skip-burst') o.burst = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: bench-latency [--writes N] [--spacing MS] [--files N] [--dirs N] [--quiet-ms MS] [--breakdown] [--keep-log] [--daemon-nodelay] [--json] [--skip-latency] [--skip-burst]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Monotonic ms, comparable across processes on Linux (CLOCK_MONOTONIC). */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

interface Setup {
  daemon: RsyncDaemon;
  src: string;
  dst: string;
  cli: CliProcess;
}

async function setUp(o: Options, name: string): Promise<Setup> {
  const daemon = await startRsyncDaemon({ auth: true });
  if (o.daemonNodelay) {
    // The daemon side's Nagle: rsyncd re-reads its config on every connection.
    const conf = path.join(daemon.dir, 'rsyncd.conf');
    fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/^(max connections = .*)$/m, '$1\nsocket options = TCP_NODELAY'));
  }
  const tmp = await makeTempDir(`bench-${name}`);
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  const conf = await writeConfig(tmp, {
    watch: src,
    remotes: [{ ip: '127.0.0.1', name: 'www' }],
    auth: { users: daemon.user, passwordFile: daemon.passwordFile },
    port: daemon.port,
    debug: o.breakdown,
    ...(o.quietMs !== null ? { extra: `    <sersyncts quietMs="${o.quietMs}"/>` } : {}),
  });
  const cli = startCli(['-o', conf], { cwd: tmp, env: { SERSYNC_TS_STATE_DIR: path.join(tmp, 'state') } });
  await cli.waitForOutput(/watch path is: .*\n/, 20000);
  // Let start-up work (and @parcel/watcher's first-event fast path) settle.
  await sleep(700);
  return { daemon, src, dst: daemon.moduleDir('www'), cli };
}

async function tearDown(s: Setup, o: Options, name: string): Promise<void> {
  await s.cli.stop();
  if (o.keepLog) {
    const file = path.resolve(`bench-latency-${name}.log`);
    fs.writeFileSync(file, s.cli.output);
    process.stderr.write(`CLI output of the ${name} run: ${file}\n`);
  }
  await s.daemon.stop();
}

// ---------------------------------------------------------------------------
// (a) latency

interface LatencySample {
  i: number;
  /** Wall-clock ms (Date.now) when the write returned, for matching log lines. */
  wallClose: number;
  ms: number;
}

async function runLatency(o: Options): Promise<{ samples: LatencySample[]; breakdown: Breakdown | null }> {
  const s = await setUp(o, 'latency');
  try {
    const samples: LatencySample[] = [];
    const pending = new Map<number, { file: string; content: Buffer; closed: number; wallClose: number }>();
    let stopPolling = false;
    // The poller: every ~1 ms, every write not yet seen on the remote.
    const poller = (async () => {
      while (!stopPolling || pending.size > 0) {
        const t = nowMs();
        for (const [i, p] of pending) {
          let got: Buffer | null = null;
          try {
            got = fs.readFileSync(p.file);
          } catch {
            got = null;
          }
          if (got && got.equals(p.content)) {
            samples.push({ i, wallClose: p.wallClose, ms: t - p.closed });
            pending.delete(i);
          } else if (t - p.closed > 10_000) {
            throw new Error(`lat-${i} did not arrive within 10 s`);
          }
        }
        await sleep(1);
      }
    })();
    const t0 = nowMs();
    for (let i = 0; i < o.writes; i++) {
      const due = t0 + i * o.spacing;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      const content = randomBytes(1024);
      fs.writeFileSync(path.join(s.src, `lat-${i}`), content);
      const closed = nowMs();
      pending.set(i, { file: path.join(s.dst, `lat-${i}`), content, closed, wallClose: Date.now() });
    }
    stopPolling = true;
    await poller;
    samples.sort((a, b) => a.i - b.i);
    const breakdown = o.breakdown ? breakdownFromLog(s.cli.output, samples) : null;
    return { samples, breakdown };
  } finally {
    await tearDown(s, o, 'latency');
  }
}

interface Breakdown {
  /** close → the CLI logged the event (watcher debounce + intake). */
  watcher: number[];
  /** event logged → rsync started (quiet period + dispatch). */
  queue: number[];
  /** rsync's own run time. */
  rsync: number[];
  /** rsync finished → the poller saw the file. */
  tail: number[];
}

/** Splits each sample using the CLI's debug lines (timestamps have ms resolution). */
function breakdownFromLog(log: string, samples: LatencySample[]): Breakdown {
  const events = new Map<string, number>();
  const rsyncs = new Map<string, { end: number; dur: number }>();
  for (const line of log.split('\n')) {
    const ev = /^(\S+) DEBUG event \w+ "(lat-\d+)"$/.exec(line);
    if (ev && !events.has(ev[2]!)) events.set(ev[2]!, Date.parse(ev[1]!));
    const rs = /^(\S+) DEBUG rsync .*"\.\/(lat-\d+)".* → 0 \((\d+) ms\)$/.exec(line);
    if (rs && !rsyncs.has(rs[2]!)) rsyncs.set(rs[2]!, { end: Date.parse(rs[1]!), dur: Number(rs[3]) });
  }
  const b: Breakdown = { watcher: [], queue: [], rsync: [], tail: [] };
  for (const smp of samples) {
    const name = `lat-${smp.i}`;
    const ev = events.get(name);
    const rs = rsyncs.get(name);
    if (ev === undefined || rs === undefined) continue;
    b.watcher.push(ev - smp.wallClose);
    b.queue.push(rs.end - rs.dur - ev);
    b.rsync.push(rs.dur);
    b.tail.push(smp.wallClose + smp.ms - rs.end);
  }
  return b;
}

// ---------------------------------------------------------------------------
// (b) burst

/** Deterministic content for burst file k: 1–4 KiB. */
function burstContent(k: number): Buffer {
  const size = 1024 + ((k * 7919) % 3073);
  const b = Buffer.alloc(size);
  for (let j = 0; j < size; j++) b[j] = (k * 31 + j * 17) & 0xff;
  return b;
}

const WRITER = `
const fs = require('node:fs');
const [src, files, dirs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
${burstContent.toString()}
const per = Math.ceil(files / dirs);
const t0 = Number(process.hrtime.bigint()) / 1e6;
let k = 0;
for (let d = 0; d < dirs && k < files; d++) {
  const dir = src + '/burst-' + d;
  fs.mkdirSync(dir);
  for (let j = 0; j < per && k < files; j++, k++) fs.writeFileSync(dir + '/f-' + j, burstContent(k));
}
const t1 = Number(process.hrtime.bigint()) / 1e6;
process.stdout.write(JSON.stringify({ first: t0, last: t1 }));
`;

interface BurstResult {
  files: number;
  dirs: number;
  writerMs: number;
  lagMs: number;
  /** First write → everything on the remote. */
  totalMs: number;
  diff: string[];
}

async function runBurst(o: Options): Promise<BurstResult> {
  const s = await setUp(o, 'burst');
  try {
    const per = Math.ceil(o.files / o.dirs);
    // What must arrive: per remote directory, name → content.
    const want = new Map<string, Map<string, Buffer>>();
    for (let k = 0, d = 0; d < o.dirs && k < o.files; d++) {
      const m = new Map<string, Buffer>();
      for (let j = 0; j < per && k < o.files; j++, k++) m.set(`f-${j}`, burstContent(k));
      want.set(`burst-${d}`, m);
    }
    let remaining = o.files;
    let converged = 0;
    let writerDone = false;
    const poller = (async () => {
      for (;;) {
        for (const [dir, files] of want) {
          let names: string[];
          try {
            names = fs.readdirSync(path.join(s.dst, dir));
          } catch {
            continue;
          }
          for (const n of names) {
            const expect = files.get(n);
            if (!expect) continue;
            let got: Buffer | null = null;
            try {
              got = fs.readFileSync(path.join(s.dst, dir, n));
            } catch {
              got = null;
            }
            if (got && got.equals(expect)) {
              files.delete(n);
              remaining--;
            }
          }
          if (files.size === 0) want.delete(dir);
        }
        if (remaining === 0 && writerDone) {
          converged = nowMs();
          return;
        }
        await sleep(remaining === 0 ? 1 : 2);
      }
    })();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', WRITER, s.src, String(o.files), String(o.dirs)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`burst writer exited ${code}`))));
    });
    writerDone = true;
    const { first, last } = JSON.parse(out) as { first: number; last: number };
    const timeout = setTimeout(() => {
      const sample = [...want].flatMap(([d, files]) => [...files.keys()].map((f) => `${d}/${f}`)).slice(0, 10);
      process.stderr.write(`burst: ${remaining} file(s) still missing after 60 s, e.g. ${sample.join(' ')}\n`);
      if (o.keepLog) fs.writeFileSync(path.resolve('bench-latency-burst.log'), s.cli.output);
      process.exit(2);
    }, 60_000);
    await poller;
    clearTimeout(timeout);
    const diff = diffTrees(await snapshotTree(s.src), await snapshotTree(s.dst));
    return { files: o.files, dirs: o.dirs, writerMs: last - first, lagMs: Math.max(0, converged - last), totalMs: converged - first, diff };
  } finally {
    await tearDown(s, o, 'burst');
  }
}

// ---------------------------------------------------------------------------

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : '—';
}

function statsRow(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `| ${label.padEnd(28)} | ${fmt(quantile(s, 0.5)).padStart(7)} | ${fmt(quantile(s, 0.9)).padStart(7)} | ${fmt(quantile(s, 0.99)).padStart(7)} | ${fmt(s.at(-1) ?? NaN).padStart(7)} |`;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const report: Record<string, unknown> = { options: o, load: fs.readFileSync('/proc/loadavg', 'utf8').trim() };
  const lines: string[] = [];
  let ok = true;
  if (o.latency) {
    const { samples, breakdown } = await runLatency(o);
    const ms = samples.map((x) => x.ms);
    const sorted = [...ms].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    report.latency = { n: ms.length, p50, p90: quantile(sorted, 0.9), p99, max: sorted.at(-1), samples: ms, breakdown };
    lines.push(`latency: ${o.writes} new 1 KiB files, ${o.spacing} ms apart (close → whole file on the remote)`);
    lines.push(`| ${'ms'.padEnd(28)} | ${'p50'.padStart(7)} | ${'p90'.padStart(7)} | ${'p99'.padStart(7)} | ${'max'.padStart(7)} |`);
    lines.push(`|${'-'.repeat(30)}|${'-'.repeat(9)}|${'-'.repeat(9)}|${'-'.repeat(9)}|${'-'.repeat(9)}|`);
    lines.push(statsRow('end to end', ms));
    if (breakdown) {
      lines.push(statsRow('  close → event (watcher)', breakdown.watcher));
      lines.push(statsRow('  event → rsync start', breakdown.queue));
      lines.push(statsRow('  rsync run', breakdown.rsync));
      lines.push(statsRow('  rsync exit → seen', breakdown.tail));
    }
    const pass = p50 <= 60 && p99 <= 100;
    ok &&= pass;
    lines.push(`targets p50 ≤ 60 ms, p99 ≤ 100 ms: ${pass ? 'met' : 'MISSED'} (p50 ${fmt(p50)}, p99 ${fmt(p99)})`, '');
  }
  if (o.burst) {
    const b = await runBurst(o);
    report.burst = b;
    const pass = b.lagMs <= 300 && b.diff.length === 0;
    ok &&= pass;
    lines.push(`burst: ${b.files} files of 1–4 KiB into ${b.dirs} new directories`);
    lines.push(`| writer time | ${fmt(b.writerMs)} ms |`);
    lines.push(`| lag after the last write | ${fmt(b.lagMs)} ms |`);
    lines.push(`| first write → converged | ${fmt(b.totalMs)} ms |`);
    lines.push(`| tree equal afterwards | ${b.diff.length === 0 ? 'yes' : `NO: ${b.diff.slice(0, 5).join('; ')}`} |`);
    lines.push(`target lag ≤ 300 ms: ${pass ? 'met' : 'MISSED'}`, '');
  }
  lines.push(`load average at start: ${report.load as string}; cores: ${(await import('node:os')).cpus().length}`);
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${lines.join('\n')}\n`);
  await removeTempDirs();
  process.exitCode = ok ? 0 : 1;
}

main().catch(async (e) => {
  process.stderr.write(`bench-latency: ${(e as Error).stack ?? e}\n`);
  await removeTempDirs().catch(() => {});
  process.exit(2);
});
