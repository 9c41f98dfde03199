// Nothing lost (issue 4), the watch root itself: renamed away and back,
// its file system unmounted and mounted again, replaced by an empty one. When
// the root goes, @parcel/watcher emits one `delete <root>` and its
// subscription goes silently dead (parcel-watcher-linux.md §2.14); the engine
// notices by device + inode, pauses pushes, and watches again when the root
// is back. Throughout, the remote must keep what it had: a vanished or empty
// root must never be mirrored with --delete.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { snapshotTree, writeTree } from '../helpers/tree.js';
import { converge, type Mirror, reconciliations, sleep, startMirror } from './blindspots-kit.js';

const mirrors = new Set<Mirror>();
const mounts: string[] = [];
after(async () => {
  await Promise.all([...mirrors].map((m) => m.stop()));
  for (const mp of mounts.reverse()) spawnSync('umount', ['-l', mp]);
  await removeTempDirs();
});

async function mirror(opts: Parameters<typeof startMirror>[0] = {}): Promise<Mirror> {
  const m = await startMirror(opts);
  mirrors.add(m);
  return m;
}

const SEED: Record<string, string> = {
  'a.txt': 'a\n',
  'b.txt': 'b\n',
  'd/c.txt': 'c\n',
  'd/e/f.txt': 'f\n',
  'g/h/i/j.txt': 'j\n',
};

/**
 * Polls the remote every 100 ms while `during` runs; fails if any of the
 * names it had at the start ever goes missing.
 */
async function remoteKeepsItsFiles<T>(dst: string, during: () => Promise<T>): Promise<{ result: T; polls: number }> {
  const before = [...(await snapshotTree(dst)).keys()];
  assert.ok(before.length > 0, 'the remote is empty before the outage');
  let polls = 0;
  let lost: string[] = [];
  let done = false;
  const poller = (async () => {
    while (!done) {
      const now = await snapshotTree(dst);
      polls++;
      const missing = before.filter((k) => !now.has(k));
      if (missing.length && lost.length === 0) lost = missing;
      await sleep(100);
    }
  })();
  try {
    const result = await during();
    return { result, polls };
  } finally {
    done = true;
    await poller;
    assert.deepEqual(lost, [], `the remote lost files during the outage: ${lost.slice(0, 10).join(', ')}`);
  }
}

describe('nothing lost: the watch root', () => {
  it('renamed away and back (twice): the remote keeps its files, and watching resumes each time', async (t) => {
    const m = await mirror();
    await writeTree(m.src, SEED);
    await converge(m.src, m.dst, 30_000, 100);
    const away = `${m.src}.away`;
    for (let round = 1; round <= 2; round++) {
      const mark = m.cli.output.length;
      const { polls } = await remoteKeepsItsFiles(m.dst, async () => {
        await rename(m.src, away);
        await waitAfter(m, mark, /is gone .*pushing is paused/, 15_000);
        // The old watches follow the tree and report these under W, where
        // they look deleted: nothing may be deleted remotely because of it.
        await appendFile(path.join(away, 'd/e/f.txt'), `away ${round}\n`);
        await writeFile(path.join(away, 'g/h/i/j.txt'), `j away ${round}\n`);
        await sleep(2500);
        await rename(away, m.src);
        await waitAfter(m, mark, /watching .* again/, 15_000);
      });
      const t0 = Date.now();
      await writeFile(path.join(m.src, `after-${round}.txt`), `written after the return ${round}\n`);
      await mkdir(path.join(m.src, `new-${round}/x`), { recursive: true });
      await writeFile(path.join(m.src, `new-${round}/x/y.txt`), 'y\n');
      // Touched again after the return, so the tree converges with or without
      // a reconciliation (edits made only while away: next test).
      await appendFile(path.join(m.src, 'd/e/f.txt'), `back ${round}\n`);
      await appendFile(path.join(m.src, 'g/h/i/j.txt'), `back ${round}\n`);
      const ms = await converge(m.src, m.dst, 30_000, 100);
      t.diagnostic(`round ${round}: ${polls} polls of the remote during the outage, none missing a file; converged ${ms} ms after the writes that followed the return (${Date.now() - t0} ms); ${reconciliations(m)}`);
    }
  });

  it('renamed away and back: edits made meanwhile reach the remote (the reconciliation after the return)', async (t) => {
    const m = await mirror();
    await writeTree(m.src, SEED);
    await converge(m.src, m.dst, 30_000, 100);
    const away = `${m.src}.away`;
    const mark = m.cli.output.length;
    await rename(m.src, away);
    await waitAfter(m, mark, /is gone .*pushing is paused/, 15_000);
    await writeFile(path.join(away, 'a.txt'), 'rewritten away\n');
    await writeFile(path.join(away, 'g/h/new-while-away.txt'), 'new\n');
    await rm(path.join(away, 'b.txt'));
    await rename(away, m.src);
    await waitAfter(m, mark, /watching .* again/, 15_000);
    const ms = await converge(m.src, m.dst, 60_000, 200);
    t.diagnostic(`converged ${ms} ms after watching resumed; ${reconciliations(m)}`);
  });

  it('its file system unmounted and mounted again: pushes pause, the remote keeps its files, watching resumes', async (t) => {
    // The data lives on a tmpfs that stays mounted elsewhere; the watch root is
    // a bind mount of it, so "mounted again" is the very same directory.
    const store = await makeTempDir('rootstore');
    let r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'sersync-test', store]);
    if (r.status !== 0) {
      t.skip(`cannot mount a tmpfs here: ${String(r.stderr).trim()}`);
      return;
    }
    mounts.push(store);
    const data = path.join(store, 'data');
    await mkdir(data);
    await writeTree(data, SEED);
    let src = '';
    const m = await mirror({
      seed: async (s, dst) => {
        src = s;
        const b = spawnSync('mount', ['--bind', data, s]);
        assert.equal(b.status, 0, String(b.stderr));
        mounts.push(s);
        const c = spawnSync('cp', ['-a', `${data}/.`, dst]);
        assert.equal(c.status, 0, String(c.stderr));
      },
    });
    await converge(m.src, m.dst, 30_000, 100);
    const mark = m.cli.output.length;
    const { polls } = await remoteKeepsItsFiles(m.dst, async () => {
      r = spawnSync('umount', ['-l', src]);
      assert.equal(r.status, 0, String(r.stderr));
      await waitAfter(m, mark, /unmounted; pushing is paused/, 15_000);
      // The empty directory under the mount point is not the data: a file
      // written there must not be pushed, and nothing may be deleted.
      await writeFile(path.join(src, 'under-the-mount.txt'), 'not data\n');
      await sleep(2500);
      await rm(path.join(src, 'under-the-mount.txt'));
      r = spawnSync('mount', ['--bind', data, src]);
      assert.equal(r.status, 0, String(r.stderr));
      await waitAfter(m, mark, /watching .* again/, 15_000);
    });
    assert.ok(!existsSync(path.join(m.dst, 'under-the-mount.txt')), 'a file from under the mount point was pushed');
    await writeFile(path.join(src, 'after-mount.txt'), 'after\n');
    await mkdir(path.join(src, 'later/deeper'), { recursive: true });
    await writeFile(path.join(src, 'later/deeper/z.txt'), 'z\n');
    const ms = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`${polls} polls of the remote during the outage, none missing a file; converged ${ms} ms after the return; ${reconciliations(m)}`);
  });

  it('replaced by another, empty directory (mv W W.old; mkdir W): the remote is not wiped, and new files are pushed', async (t) => {
    // The contents leave with the old directory: no delete event names them,
    // so only a full sync could delete them remotely — and the delete
    // guardrail must refuse that for a source that suddenly looks empty.
    const m = await mirror();
    await writeTree(m.src, SEED);
    await converge(m.src, m.dst, 30_000, 100);
    const before = [...(await snapshotTree(m.dst)).keys()];
    const mark = m.cli.output.length;
    const { polls } = await remoteKeepsItsFiles(m.dst, async () => {
      await rename(m.src, `${m.src}.old`);
      await mkdir(m.src);
      await waitAfter(m, mark, /replaced by another directory|watching .* again/, 15_000);
      await writeFile(path.join(m.src, 'fresh.txt'), 'fresh\n');
      await waitUntil(() => existsSync(path.join(m.dst, 'fresh.txt')), 30_000);
      // Leave time for a reconciliation (when wired) to be refused by the guardrail.
      await sleep(5000);
    });
    const now = [...(await snapshotTree(m.dst)).keys()];
    for (const k of before) assert.ok(now.includes(k), `the remote lost ${k}`);
    const refused = /delete guardrail/.test(m.cli.output.slice(mark)) ? 'the guardrail refused the deletions' : 'no guardrail message';
    t.diagnostic(`${polls} polls of the remote; it kept all ${before.length} entries; ${refused}; ${reconciliations(m)}`);
  });
});

async function waitAfter(m: Mirror, mark: number, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(m.cli.output.slice(mark))) {
    if (Date.now() > deadline) throw new Error(`no ${re} in the CLI's output after ${timeoutMs} ms; it was:\n${m.cli.output.slice(mark).slice(-3000)}`);
    await sleep(50);
  }
}

async function waitUntil(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(50);
  }
}
