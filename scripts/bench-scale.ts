// Scale benchmark (`bash scripts/bench.sh --scale`): sersync-ts on a tree of
// 1,000,000 files in 50,000 directories.
//
//   1. the tree: 200 top directories × (1 + 249 subdirectories) = 50,000
//      directories, 20 empty files in each = 1,000,000 files, written by two
//      child processes (one per core) with plain open/close calls;
//   2. ready: from spawning the CLI to its `watch path is:` line (printed once
//      every directory is watched), and the RSS of the CLI process then and
//      after a 10,000-file burst (VmRSS, VmHWM), and the inotify watches held;
//   3. burst: 10,000 files of 1–4 KiB in 100 new directories, written as fast
//      as a child process can: lag from the last close to convergence in the
//      module directory; the burst directories are then compared in full.
//   The page cache is warm (the tree was just written); the remote holds only the
//   burst (a full sync of a million files is what -r is for, not this test).
//
// Targets (issue 9): ready ≤ 10 s, RSS ≤ 400 MiB.
// Options: --files N (1000000)  --dirs N (50000)  --burst N (10000)  --compare
//          (also time inotifywait -r to "Watches established" on the same tree)
//          --json FILE  --keep (leave the tree in place)  --reuse DIR (a tree kept
//          by an earlier --keep run: DIR/src is used as it is, and kept)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRsyncDaemon } from '../test/helpers/rsyncd.js';
import { diffTrees, snapshotTree } from '../test/helpers/tree.js';
import {
  BURST_WRITER,
  Expectation,
  burstFiles,
  inotifyLoop,
  loadAvg,
  memOf,
  nowMs,
  pollUntil,
  runWriter,
  sersyncTs,
  sleep,
} from './bench-kit.js';

interface Options {
  files: number;
  dirs: number;
  burst: number;
  compare: boolean;
  keep: boolean;
  reuse: string | null;
  json: string | null;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { files: 1_000_000, dirs: 50_000, burst: 10_000, compare: false, keep: false, reuse: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--files') o.files = num();
    else if (a === '--dirs') o.dirs = num();
    else if (a === '--burst') o.burst = num();
    else if (a === '--compare') o.compare = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--reuse') {
      o.reuse = argv[++i] ?? null;
      o.keep = true;
    }
    else if (a === '--json') o.json = argv[++i] ?? null;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: bench.sh --scale [--files N] [--dirs N] [--burst N] [--compare] [--keep] [--json FILE]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** argv: root firstTop step tops subsPerTop filesPerDir — writes the tops firstTop, firstTop+step, ... */
const TREE_WRITER = `
const [root, firstTop, step, tops, subs, per] = process.argv.slice(1).map((x, i) => (i === 0 ? x : Number(x)));
const first = now();
const files = (dir) => { for (let f = 0; f < per; f++) fs.closeSync(fs.openSync(dir + '/f' + f, 'w')); };
for (let t = firstTop; t < tops; t += step) {
  const top = root + '/t' + t;
  fs.mkdirSync(top);
  files(top);
  for (let s = 0; s < subs; s++) {
    const d = top + '/s' + s;
    fs.mkdirSync(d);
    files(d);
  }
}
process.stdout.write(JSON.stringify({ first, last: now() }));
`;

function inotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const t = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      for (const line of t.split('\n')) if (line.startsWith('inotify wd:')) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

function rmrf(dir: string): Promise<void> {
  // rm(1) is much faster than fs.rm for a million entries.
  return new Promise((resolve, reject) => {
    const c = spawn('rm', ['-rf', '--', dir], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('close', () => resolve());
  });
}

const mib = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const tops = 200;
  const subs = Math.max(0, Math.round(o.dirs / tops) - 1);
  const dirCount = tops * (1 + subs);
  const per = Math.max(1, Math.round(o.files / dirCount));
  const fileCount = dirCount * per;
  const daemon = await startRsyncDaemon({ auth: true });
  // Not makeTempDir: that one is removed at exit, and --keep must keep it.
  const base = o.reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sersync-bench-scale-'));
  const src = path.join(base, 'src');
  const work = fs.mkdtempSync(path.join(base, 'work-'));
  const reused = o.reuse !== null && fs.existsSync(src);
  if (o.reuse !== null) {
    // Leftovers of an earlier run's burst.
    for (const n of fs.existsSync(src) ? fs.readdirSync(src) : []) if (n.startsWith('burst-')) fs.rmSync(path.join(src, n), { recursive: true });
  }
  if (!reused) fs.mkdirSync(src);
  const out: string[] = [];
  const res: Record<string, unknown> = { loadBefore: loadAvg(), dirs: dirCount, files: fileCount };
  let failed = false;
  try {
    let treeMs = NaN;
    if (!reused) {
      process.stderr.write(`[scale] writing ${fileCount} files in ${dirCount} directories under ${src}\n`);
      const w = await Promise.all([0, 1].map((k) => runWriter(TREE_WRITER, [src, String(k), '2', String(tops), String(subs), String(per)])));
      treeMs = Math.max(...w.map((x) => x.last)) - Math.min(...w.map((x) => x.first));
    } else process.stderr.write(`[scale] reusing the tree in ${src}\n`);
    res.treeMs = treeMs;
    process.stderr.write(`[scale] tree written in ${(treeMs / 1000).toFixed(1)} s; starting sersync-ts (load ${loadAvg()})\n`);

    res.loadAtStart = loadAvg();
    const t0 = nowMs();
    const tool = await sersyncTs.start({ daemon, src, work }, 300_000);
    const readyMs = tool.readyAt - t0;
    const atReady = memOf(tool.pid)!;
    const watches = inotifyWatches(tool.pid);
    await sleep(2000);
    const settled = memOf(tool.pid)!;
    process.stderr.write(`[scale] ready in ${(readyMs / 1000).toFixed(2)} s, RSS ${mib(atReady.rssKb)}; burst of ${o.burst} files\n`);

    const bdirs = Math.max(1, Math.round(o.burst / 100));
    const exp = new Expectation();
    for (const [rel, c] of burstFiles(o.burst, bdirs, 'burst', 5)) exp.want(rel, c);
    let done = false;
    const dst = daemon.moduleDir('www');
    const conv = pollUntil(exp, dst, () => done, 600_000);
    const bw = await runWriter(BURST_WRITER, [src, String(o.burst), String(bdirs), 'burst', '5']).finally(() => (done = true));
    let lag = NaN;
    let burstError = '';
    try {
      lag = Math.max(0, (await conv) - bw.last);
    } catch (e) {
      burstError = (e as Error).message;
    }
    await sleep(500);
    const after = memOf(tool.pid)!;
    await tool.stop();
    // Compare the burst directories in full; nothing else may be on the remote.
    const diff: string[] = [];
    for (let d = 0; d < bdirs; d++) {
      const rel = `burst-${d}`;
      const [a, b] = [await snapshotTree(path.join(src, rel)), await snapshotTree(path.join(dst, rel))];
      diff.push(...diffTrees(a, b).map((x) => `${rel}: ${x}`));
    }
    // Other top-level entries may be there (a reconciliation pushes the tree),
    // but only ones the source has.
    const extra = fs.readdirSync(dst).filter((n) => !fs.existsSync(path.join(src, n)));
    if (extra.length) diff.push(`unexpected on the remote: ${extra.slice(0, 5).join(', ')}`);
    const notes = tool.output.split('\n').filter((l) => /\b(WARN|ERROR)\b|reconcil/.test(l)).slice(0, 20);
    for (const n of notes) process.stderr.write(`[scale] sersync-ts: ${n}\n`);

    Object.assign(res, {
      readyMs,
      rssAtReadyKb: atReady.rssKb,
      rssSettledKb: settled.rssKb,
      rssAfterBurstKb: after.rssKb,
      peakRssKb: Math.max(after.hwmKb, tool.mainPeakKb),
      watches,
      burst: { files: o.burst, dirs: bdirs, writerMs: bw.last - bw.first, lagMs: lag, error: burstError || undefined },
      diff,
      notes,
    });

    let compare: { label: string; readyMs: number; rssKb: number } | null = null;
    if (o.compare) {
      process.stderr.write('[scale] inotifywait -r on the same tree\n');
      const c0 = nowMs();
      const loop = await inotifyLoop.start({ daemon, src, work }, 600_000);
      const ready = loop.readyAt - c0;
      loop.sampleMem();
      const rssKb = loop.groupPeakKb;
      await loop.stop();
      compare = { label: 'inotifywait -r (Watches established)', readyMs: ready, rssKb };
      res.compare = compare;
    }

    const readyOk = readyMs <= 10_000;
    const peak = res.peakRssKb as number;
    const rssOk = peak <= 400 * 1024;
    const burstOk = Number.isFinite(lag) && diff.length === 0;
    failed = !readyOk || !rssOk || !burstOk;
    out.push(
      `sersync-ts scale benchmark — ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      `load average before: ${res.loadBefore as string}; at CLI start: ${res.loadAtStart as string}; after: ${loadAvg()}`,
      `tree: ${fileCount.toLocaleString('en')} empty files in ${dirCount.toLocaleString('en')} directories${reused ? ' (reused)' : `, written in ${(treeMs / 1000).toFixed(1)} s`} (page cache warm)`,
      '',
      '| measure | value |',
      '|:--|--:|',
      `| CLI start → "watch path is:" (every directory watched) | ${(readyMs / 1000).toFixed(2)} s |`,
      `| inotify watches held | ${watches.toLocaleString('en')} |`,
      `| RSS at ready / 2 s later | ${mib(atReady.rssKb)} / ${mib(settled.rssKb)} |`,
      `| RSS after the burst / peak (VmHWM) | ${mib(after.rssKb)} / ${mib(peak)} |`,
      `| burst: ${o.burst.toLocaleString('en')} files in ${bdirs} new directories, writer | ${((bw.last - bw.first) / 1000).toFixed(2)} s |`,
      `| burst: lag after the last write | ${Number.isFinite(lag) ? `${lag.toFixed(0)} ms` : `ERROR: ${burstError}`} |`,
      `| burst directories equal on the remote | ${diff.length === 0 ? 'yes' : `MISMATCH: ${diff.slice(0, 3).join('; ')}`} |`,
      ...(compare ? [`| for comparison: ${compare.label} | ${(compare.readyMs / 1000).toFixed(2)} s, ${mib(compare.rssKb)} |`] : []),
      '',
      'Targets:',
      `  ${readyOk ? 'PASS' : 'FAIL'}  ready ≤ 10 s: ${(readyMs / 1000).toFixed(2)} s`,
      `  ${rssOk ? 'PASS' : 'FAIL'}  RSS ≤ 400 MiB: peak ${mib(peak)}`,
      `  ${burstOk ? 'PASS' : 'FAIL'}  burst on top converges, remote equal: ${Number.isFinite(lag) ? `${lag.toFixed(0)} ms lag` : 'no'}${diff.length ? `, ${diff.length} difference(s)` : ''}`,
    );
  } finally {
    await daemon.stop();
    if (!o.keep) {
      process.stderr.write('[scale] removing the tree\n');
      await rmrf(base);
    } else {
      await rmrf(work);
      process.stderr.write(`[scale] tree kept in ${src} (again: --reuse ${base})\n`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(res, null, 2));
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`bench-scale: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(2);
});
