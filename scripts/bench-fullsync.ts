// Full-sync benchmark (issue 6): `-r` on a big tree, with real-time writes
// going on during it. The real CLI (dist/src/cli/main.js) mirrors a temp
// directory to a real `rsync --daemon` with auth on 127.0.0.1.
//
// Measures, per run:
//   - start → `watch path is:` (building the watches on the whole tree),
//   - `-r` duration (from `working please wait...` to the summary line),
//   - real-time latency DURING `-r`: every `--probe-ms` a new 1 KiB file is
//     written at the top of the tree; latency = close → the module directory
//     holds the whole file (polled every ~2 ms). These must not wait for the
//     full sync to end.
// Runs: (1) `-r` into an empty module, (2) `-r` again with nothing to send.
// With --filter the main filter is on (list mode: rsync lists, sersync-ts
// filters and pushes with --files-from, lists the remote, deletes).
//
// Usage: node dist/scripts/bench-fullsync.js [--files 200000] [--dirs 400]
//          [--size 1024] [--probe-ms 500] [--filter] [--verify] [--json]
// --verify compares the trees at the end (sha1 of every file: slow on 200k).
import fs from 'node:fs';
import path from 'node:path';
import { startCli, type CliProcess } from '../test/helpers/cli.js';
import { writeConfig } from '../test/helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../test/helpers/rsyncd.js';
import { makeTempDir, removeTempDirs } from '../test/helpers/tmp.js';
import { diffTrees, snapshotTree } from '../test/helpers/tree.js';

interface Options {
  files: number;
  dirs: number;
  size: number;
  probeMs: number;
  filter: boolean;
  verify: boolean;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { files: 200_000, dirs: 400, size: 1024, probeMs: 500, filter: false, verify: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => Number(argv[++i]);
    if (a === '--files') o.files = num();
    else if (a === '--dirs') o.dirs = num();
    else if (a === '--size') o.size = num();
    else if (a === '--probe-ms') o.probeMs = num();
    else if (a === '--filter') o.filter = true;
    else if (a === '--verify') o.verify = true;
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeTree(root: string, o: Options): number {
  const t0 = Date.now();
  const body = Buffer.alloc(o.size, 'x');
  const per = Math.ceil(o.files / o.dirs);
  let n = 0;
  for (let d = 0; d < o.dirs && n < o.files; d++) {
    const dir = path.join(root, `d${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < per && n < o.files; f++, n++) fs.writeFileSync(path.join(dir, `f${f}.dat`), body);
  }
  if (o.filter) for (let d = 0; d < o.dirs; d += 10) fs.writeFileSync(path.join(root, `d${d}`, 'skip.gz'), 'excluded');
  return Date.now() - t0;
}

function stats(xs: number[]): { n: number; p50: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN);
  return { n: s.length, p50: q(0.5), p90: q(0.9), max: s.length ? s[s.length - 1]! : NaN };
}

interface RunResult {
  watchMs: number;
  fullSyncMs: number;
  summary: string;
  probes: { n: number; p50: number; p90: number; max: number };
  probesDuringFullSync: number;
}

async function oneRun(cfg: string, dir: string, w: string, mod: string, o: Options, tag: string): Promise<RunResult> {
  const t0 = Date.now();
  const cli: CliProcess = startCli(['-r', '-o', cfg], { cwd: dir });
  try {
    await cli.waitForOutput(/watch path is: /, 600_000, 'stdout');
    const watchMs = Date.now() - t0;
    await cli.waitForOutput(/working please wait\.\.\.\n/, 60_000, 'stdout');
    const fsStart = Date.now();
    const summaryRe = /full sync to [^\n]*\(-r;[^\n]*\n/;
    const latencies: number[] = [];
    let during = 0;
    let i = 0;
    const probeBody = Buffer.alloc(1024, 'p');
    while (!summaryRe.test(cli.stdout)) {
      const name = `probe-${tag}-${i++}.txt`;
      fs.writeFileSync(path.join(w, name), probeBody);
      const written = Date.now();
      const target = path.join(mod, name);
      for (;;) {
        try {
          if (fs.statSync(target).size === probeBody.length) break;
        } catch {
          /* not there yet */
        }
        if (Date.now() - written > 300_000) throw new Error(`probe ${name} never arrived`);
        await sleep(2);
      }
      latencies.push(Date.now() - written);
      if (!summaryRe.test(cli.stdout)) during++;
      await sleep(o.probeMs);
    }
    const fullSyncMs = Date.now() - fsStart;
    const summary = summaryRe.exec(cli.stdout)![0].trim();
    return { watchMs, fullSyncMs, summary, probes: stats(latencies), probesDuringFullSync: during };
  } finally {
    await cli.stop();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const say = (s: string) => (o.json ? undefined : console.log(s));
  const dir = await makeTempDir('bench-fullsync');
  const w = path.join(dir, 'w');
  fs.mkdirSync(w);
  const treeMs = makeTree(w, o);
  say(`tree: ${o.files} files of ${o.size} B in ${o.dirs} dirs, written in ${(treeMs / 1000).toFixed(1)} s`);
  let d: RsyncDaemon | null = null;
  try {
    d = await startRsyncDaemon({ auth: true });
    const cfg = await writeConfig(dir, {
      watch: w,
      remotes: [{ ip: '127.0.0.1', name: 'www' }],
      auth: { users: d.user, passwordFile: d.passwordFile },
      port: d.port,
      ...(o.filter ? { filter: ['(.*)\\.gz'] } : {}),
    });
    const mod = d.moduleDir('www');
    const runs: Record<string, RunResult> = {};
    for (const [tag, what] of [
      ['first', '-r into an empty module'],
      ['again', '-r again, nothing to send'],
    ] as const) {
      const r = await oneRun(cfg, dir, w, mod, o, tag);
      runs[tag] = r;
      say(`\n${what}${o.filter ? ' (main filter on: list mode)' : ''}:`);
      say(`  watching after      ${(r.watchMs / 1000).toFixed(1)} s`);
      say(`  full sync           ${(r.fullSyncMs / 1000).toFixed(1)} s   ${r.summary}`);
      say(
        `  real-time probes    ${r.probes.n} (${r.probesDuringFullSync} while -r ran): p50 ${r.probes.p50} ms, p90 ${r.probes.p90} ms, max ${r.probes.max} ms`,
      );
    }
    let verify: string[] | null = null;
    if (o.verify) {
      const ignore = o.filter ? (rel: string) => rel.endsWith('.gz') : undefined;
      verify = diffTrees(await snapshotTree(w), await snapshotTree(mod), { ignore });
      say(`\nverify: ${verify.length === 0 ? 'trees are identical' : `${verify.length} differences, e.g. ${verify.slice(0, 5).join('; ')}`}`);
    }
    if (o.json) console.log(JSON.stringify({ options: o, treeMs, runs, verify }, null, 2));
  } finally {
    await d?.stop();
    await removeTempDirs();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
