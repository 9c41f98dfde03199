// Nothing lost (issue 4), new directories: bursts, `mkdir -p`, `cp -r`.
// @parcel/watcher never scans a new directory, so whatever is written in it
// before its watch exists, and every deeper directory, is invisible to it
// (parcel-watcher-linux.md §2.4, §4 c, §4 i). Each case ends with the remote
// equal to the source; the time to convergence is printed as a diagnostic.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { removeTempDirs } from '../helpers/tmp.js';
import { converge, type Mirror, reconciliations, sleep, startMirror, writeInChild, WRITER_APPEND_ALL, WRITER_TREE } from './blindspots-kit.js';

const mirrors = new Set<Mirror>();
after(async () => {
  await Promise.all([...mirrors].map((m) => m.stop()));
  await removeTempDirs();
});

async function mirror(opts: Parameters<typeof startMirror>[0] = {}): Promise<Mirror> {
  const m = await startMirror(opts);
  mirrors.add(m);
  return m;
}

describe('nothing lost: new directories', () => {
  it('10,000 files written as fast as possible into 100 new directories all reach the remote', async (t) => {
    const m = await mirror();
    const writerMs = Number(await writeInChild(WRITER_TREE, [m.src, 'burst', '100', '100', 'flat']));
    const ms = await converge(m.src, m.dst, 120_000, 500);
    t.diagnostic(`writer ${writerMs} ms; converged ${ms} ms after the writer ended; ${reconciliations(m)}`);
  });

  it('`mkdir -p a/b/c/d` plus files, then appends 1 s later in the deepest directory: all pushed', async (t) => {
    const m = await mirror();
    const deep = path.join(m.src, 'a/b/c/d');
    const r = spawnSync('mkdir', ['-p', deep]);
    assert.equal(r.status, 0, String(r.stderr));
    for (let i = 0; i < 20; i++) await writeFile(path.join(deep, `f${i}`), `first ${i}\n`);
    await writeFile(path.join(m.src, 'a/b/mid.txt'), 'mid\n');
    const first = await converge(m.src, m.dst, 30_000, 100);
    await sleep(1000);
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await appendFile(path.join(deep, `f${i}`), `appended ${i}\n`);
    await writeFile(path.join(deep, 'new-later.txt'), 'later\n');
    const second = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`first push converged in ${first} ms; appends converged ${second} ms after the last write (${Date.now() - t0} ms after the first); ${reconciliations(m)}`);
  });

  it('many `mkdir -p` chains at once, then appends in every leaf: all pushed', async (t) => {
    // 50 chains made by a child process as fast as it can (§4 k: 15 of 201
    // directories were left unwatched), then a later write in every leaf.
    const m = await mirror();
    await writeInChild(
      `const fs = require('fs'); const root = process.argv[1];
       for (let i = 0; i < 50; i++) { const d = root + '/p' + i + '/x/y/z'; fs.mkdirSync(d, { recursive: true });
         for (let j = 0; j < 5; j++) fs.writeFileSync(d + '/f' + j, 'v1 ' + i + '\\n'); }`,
      [m.src],
    );
    const first = await converge(m.src, m.dst, 60_000, 250);
    await sleep(3000); // after the stream sweep, as in the cp -r case below
    const n = Number(await writeInChild(WRITER_APPEND_ALL, [m.src]));
    assert.equal(n, 250);
    const second = await converge(m.src, m.dst, 60_000, 250);
    t.diagnostic(`first push converged in ${first} ms; appends to ${n} leaf files converged in ${second} ms; ${reconciliations(m)}`);
  });

  it('`cp -r` of a 10,000-file tree into the watch root, then edits inside it: all pushed', async (t) => {
    const m = await mirror();
    // The tree to copy lives outside the watch root (a sibling directory).
    const outside = path.join(m.base, 'outside');
    await writeInChild(WRITER_TREE, [outside, 'tree', '1000', '10', 'deep']);
    const t0 = Date.now();
    const r = spawnSync('/bin/cp', ['-r', path.join(outside, 'tree'), path.join(m.src, 'copied')]);
    assert.equal(r.status, 0, String(r.stderr));
    const cpMs = Date.now() - t0;
    const first = await converge(m.src, m.dst, 120_000, 500);
    // Later: after the stream sweep of the copy (and any reconciliation it
    // asked for) is over, so only the watches can report these edits.
    await sleep(3000);
    const n = Number(await writeInChild(WRITER_APPEND_ALL, [path.join(m.src, 'copied')]));
    assert.equal(n, 10_000);
    const second = await converge(m.src, m.dst, 120_000, 500);
    t.diagnostic(`cp -r took ${cpMs} ms; converged ${first} ms after it; edits to all ${n} files converged in ${second} ms; ${reconciliations(m)}`);
  });
});
