// Time to convergence of the "nothing lost" scenarios (issue 4), end to end:
// the real CLI mirroring a temp directory to a real `rsync --daemon` with auth
// on 127.0.0.1 (same set-up as test/integration/blindspots*.test.ts, which
// assert the same outcomes without timing them). Each scenario gets a fresh
// CLI and daemon and ends with the remote equal to the source; the time is
// measured from the end of the operation (the writer's exit) to that moment,
// polled with a full tree comparison (so it includes up to one poll interval
// and the comparison's own cost on big trees).
//
// Scenarios (--only takes a comma-separated list of these names):
//   burst     10,000 files written as fast as possible into 100 new directories
//   mkdirp    `mkdir -p a/b/c/d` + 20 files; 1 s later appends in the deepest directory
//   cpr       `cp -r` of a 10,000-file tree; then an append to every file in it
//   mvdir     `mv dir dir2`; then edits in dir2/sub…/
//   movein    a tree moved in from a sibling directory; then edits in its subdirectories
//   rmrf      `rm -rf` of a watched tree of --rm-files files in --rm-files/10 directories
//             (default 100,000 / 10,000, the storm of parcel-watcher-linux.md §4 i)
//   root      the watch root renamed away and back; then a new file
//   nonutf8   a name that is not UTF-8 created, modified, deleted
//
// Usage: node dist/scripts/bench-blindspots.js [--only burst,rmrf] [--rm-files 100000] [--json]
// Reconciliations are full syncs the CLI ran on its own (storm, unwatched
// subtree, lost root…); the column says how many started during the scenario.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  converge,
  type Mirror,
  runTimed,
  sleep,
  startMirror,
  startMirrorWithBigTree,
  WRITER_APPEND_ALL,
  WRITER_TREE,
  writeInChild,
} from '../test/integration/blindspots-kit.js';
import { removeTempDirs } from '../test/helpers/tmp.js';
import { writeTree } from '../test/helpers/tree.js';

interface Row {
  scenario: string;
  /** Named steps: how long the operation took and how long convergence took after it (ms). */
  steps: Array<{ step: string; opMs?: number; convergeMs: number }>;
  reconciliations: number;
  note?: string;
}

type Scenario = (m: Mirror, row: Row) => Promise<void>;

const NESTED: Record<string, string> = {};
for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) NESTED[`sub${i}/deep/f${j}`] = `${i} ${j}\n`;

async function editBelow(dir: string): Promise<number> {
  const n = Number(await writeInChild(WRITER_APPEND_ALL, [dir]));
  await mkdir(path.join(dir, 'sub1/deep/newer'), { recursive: true });
  await writeFile(path.join(dir, 'sub1/deep/newer/n.txt'), 'n\n');
  return n;
}

const scenarios: Record<string, { big?: boolean; run: Scenario }> = {
  burst: {
    run: async (m, row) => {
      const opMs = Number(await writeInChild(WRITER_TREE, [m.src, 'burst', '100', '100', 'flat']));
      row.steps.push({ step: '10,000 files / 100 new dirs', opMs, convergeMs: await converge(m.src, m.dst, 600_000, 250) });
    },
  },
  mkdirp: {
    run: async (m, row) => {
      const deep = path.join(m.src, 'a/b/c/d');
      const t0 = Date.now();
      spawnSync('mkdir', ['-p', deep]);
      for (let i = 0; i < 20; i++) await writeFile(path.join(deep, `f${i}`), `first ${i}\n`);
      row.steps.push({ step: 'mkdir -p + 20 files', opMs: Date.now() - t0, convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      await sleep(1000);
      for (let i = 0; i < 20; i++) await appendFile(path.join(deep, `f${i}`), `appended ${i}\n`);
      row.steps.push({ step: 'appends 1 s later', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
    },
  },
  cpr: {
    run: async (m, row) => {
      const outside = path.join(m.base, 'outside');
      await writeInChild(WRITER_TREE, [outside, 'tree', '1000', '10', 'deep']);
      const opMs = await runTimed('/bin/cp', ['-r', path.join(outside, 'tree'), path.join(m.src, 'copied')]);
      row.steps.push({ step: 'cp -r 10,000 files / 1,100 dirs', opMs, convergeMs: await converge(m.src, m.dst, 600_000, 500) });
      await sleep(3000);
      const t0 = Date.now();
      const n = await writeInChild(WRITER_APPEND_ALL, [path.join(m.src, 'copied')]);
      row.steps.push({ step: `append to all ${n} files`, opMs: Date.now() - t0, convergeMs: await converge(m.src, m.dst, 600_000, 500) });
    },
  },
  mvdir: {
    run: async (m, row) => {
      await writeTree(path.join(m.src, 'dir'), NESTED);
      row.steps.push({ step: 'tree of 100 files', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      await rename(path.join(m.src, 'dir'), path.join(m.src, 'dir2'));
      row.steps.push({ step: 'mv dir dir2', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      await sleep(500);
      const n = await editBelow(path.join(m.src, 'dir2'));
      row.steps.push({ step: `edits to ${n} files in dir2/sub*/`, convergeMs: await converge(m.src, m.dst, 60_000, 50) });
    },
  },
  movein: {
    run: async (m, row) => {
      const outside = path.join(m.base, 'outside');
      await writeTree(path.join(outside, 'incoming'), NESTED);
      await rename(path.join(outside, 'incoming'), path.join(m.src, 'incoming'));
      row.steps.push({ step: 'tree of 100 files moved in', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      await sleep(500);
      const n = await editBelow(path.join(m.src, 'incoming'));
      row.steps.push({ step: `edits to ${n} files in its subdirs`, convergeMs: await converge(m.src, m.dst, 60_000, 50) });
    },
  },
  rmrf: {
    big: true,
    run: async (m, row) => {
      const opMs = await runTimed('rm', ['-rf', path.join(m.src, 'big')]);
      // Hashing a 100k-file remote on every poll would dominate: wait for
      // big/ to be gone first, then compare the whole trees.
      const t0 = Date.now();
      while (existsSync(path.join(m.dst, 'big')) && Date.now() - t0 < 900_000) await sleep(200);
      const goneMs = Date.now() - t0;
      const convergeMs = goneMs + (await converge(m.src, m.dst, 300_000, 500));
      row.steps.push({ step: `rm -rf ${rmFiles} files / ${rmFiles / 10} dirs`, opMs, convergeMs });
    },
  },
  root: {
    run: async (m, row) => {
      await writeTree(m.src, { 'a.txt': 'a\n', 'd/e/f.txt': 'f\n' });
      await converge(m.src, m.dst, 60_000, 50);
      const mark = m.cli.output.length;
      await rename(m.src, `${m.src}.away`);
      await sleep(3000);
      const t0 = Date.now();
      await rename(`${m.src}.away`, m.src);
      while (!/watching .* again/.test(m.cli.output.slice(mark)) && Date.now() - t0 < 60_000) await sleep(20);
      const backMs = Date.now() - t0;
      await writeFile(path.join(m.src, 'after.txt'), 'after\n');
      row.steps.push({ step: 'renamed away 3 s and back → new file', opMs: backMs, convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      row.note = `watching resumed ${backMs} ms after the root came back (root check every 2 s)`;
    },
  },
  nonutf8: {
    run: async (m, row) => {
      const f = Buffer.concat([Buffer.from(`${m.src}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
      await writeFile(f, 'one\n');
      row.steps.push({ step: 'create bad-\\xff\\xfe.txt', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      await sleep(300);
      await appendFile(f, 'two\n');
      row.steps.push({ step: 'modify', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
      await unlink(f);
      row.steps.push({ step: 'delete', convergeMs: await converge(m.src, m.dst, 60_000, 50) });
    },
  },
};

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const rmFiles = Number(arg('--rm-files') ?? 100_000);
const only = arg('--only')?.split(',') ?? Object.keys(scenarios);
const json = args.includes('--json');
for (const name of only) if (!scenarios[name]) throw new Error(`unknown scenario ${name} (have ${Object.keys(scenarios).join(', ')})`);

const rows: Row[] = [];
for (const name of only) {
  const s = scenarios[name];
  const t0 = Date.now();
  const m = s.big ? await startMirrorWithBigTree(rmFiles / 10, 10) : await startMirror();
  const row: Row = { scenario: name, steps: [], reconciliations: 0 };
  const mark = m.cli.output.length;
  try {
    await s.run(m, row);
  } catch (e) {
    row.note = `FAILED: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`;
  } finally {
    row.reconciliations = (m.cli.output.slice(mark).match(/reconciling with the remotes/g) ?? []).length;
    await m.stop();
  }
  rows.push(row);
  if (!json) {
    for (const st of row.steps) {
      const op = st.opMs === undefined ? '' : `op ${st.opMs} ms, `;
      console.log(`${name.padEnd(8)} ${st.step.padEnd(40)} ${op}converged ${st.convergeMs} ms after`);
    }
    console.log(`${name.padEnd(8)} reconciliations started: ${row.reconciliations}; total ${Date.now() - t0} ms${row.note ? `; ${row.note}` : ''}`);
  }
}
if (json) console.log(JSON.stringify(rows, null, 2));
await removeTempDirs();
