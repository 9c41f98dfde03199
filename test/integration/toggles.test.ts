// The eight <inotify> toggles, off and on, end to end (issue 3; spec §3.1,
// §3.4; parcel-watcher-linux §5). @parcel/watcher only reports create /
// update / delete, so sersync-ts maps the toggles onto what it can tell
// apart (src/filter/toggles.ts, `decide`): a path that is gone is deleted
// remotely iff `delete` is on; a file that exists is pushed when any content
// toggle (createFile, closeWrite, modify, moveTo, attrib) is on; a directory
// is pushed when createFolder or moveTo is on (attrib too for an update,
// delete/moveFrom too when it was deleted and recreated).
//
// Where sersync2 could tell events apart and sersync-ts cannot, the tests
// say so in their names ("differs from sersync2"): a move-in looks like a
// create, a chmod like a write, a move-away like a delete.
//
// One rsync daemon with one module per configuration; the CLIs start in
// parallel. "Not pushed" is checked after a barrier (settle: a marker pushed
// after the change has arrived).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigOptions } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { writeTree } from '../helpers/tree.js';
import { converge, type Mirror, present, settle, startMirror, waitUntil } from './engine-kit.js';

after(removeTempDirs);

/** The configurations under test (everything not named is the stock value). */
const CASES = {
  stock: {},
  deleteOff: { delete: false },
  createFolderOff: { createFolder: false },
  createFolderMoveToOff: { createFolder: false, moveTo: false },
  moveToOff: { moveTo: false },
  moveFromOff: { moveFrom: false },
  closeWriteOff: { closeWrite: false },
  noContentToggle: { closeWrite: false, moveTo: false }, // createFile, modify, attrib are off in the stock file
  createFileOnly: { closeWrite: false, moveTo: false, createFile: true },
  modifyOnly: { closeWrite: false, moveTo: false, modify: true },
  attribOn: { attrib: true },
} satisfies Record<string, Partial<ConfigOptions>>;
type CaseName = keyof typeof CASES;

/** A file that exists on both sides before the CLI starts (as after a first full sync). */
const SEED = { 'seed.txt': 'seeded', 'seed-dir/inside.txt': 'seeded inside' };

const isMarker = (rel: string) => rel.startsWith('settle-marker-');

describe('toggles: each <inotify> switch, off and on', () => {
  let daemon: RsyncDaemon;
  const mirrors = new Map<CaseName, Mirror>();
  before(async () => {
    const names = Object.keys(CASES) as CaseName[];
    daemon = await startRsyncDaemon({ auth: true, modules: names });
    for (const n of names) await writeTree(daemon.moduleDir(n), SEED);
    await Promise.all(
      names.map(async (n) => {
        mirrors.set(n, await startMirror({ daemon, modules: [n], config: CASES[n], seed: (src) => writeTree(src, SEED) }));
      }),
    );
  });
  after(async () => {
    await Promise.all([...mirrors.values()].map((m) => m.stop()));
    await daemon?.stop();
  });
  const mirror = (n: CaseName): Mirror => mirrors.get(n)!;
  const S = (m: Mirror, rel: string) => path.join(m.src, rel);
  const D = (m: Mirror, rel: string) => path.join(m.dst, rel);
  /** Makes `rel` (a file or a tree) outside W, then moves it in. */
  const moveIn = async (m: Mirror, rel: string, spec: Parameters<typeof writeTree>[1]) => {
    const out = path.join(m.base, 'outside');
    await writeTree(out, spec);
    await rename(path.join(out, rel), S(m, rel));
  };

  describe('delete', () => {
    it('on: deleted files and trees, and the old name of a renamed file, are deleted remotely', async () => {
      const m = mirror('stock');
      await writeTree(m.src, { 'gone.txt': 'x', 'tree/a/b.txt': 'y', 'old-name.txt': 'z' });
      await converge(m);
      await rm(S(m, 'gone.txt'));
      await rm(S(m, 'tree'), { recursive: true });
      await rename(S(m, 'old-name.txt'), S(m, 'new-name.txt'));
      await rm(S(m, 'seed.txt'));
      await converge(m);
    });

    it('off: nothing is ever deleted remotely (deletes, rm -rf, the old name after a rename); changes still arrive', async () => {
      const m = mirror('deleteOff');
      await writeTree(m.src, { 'gone.txt': 'x', 'tree/a/b.txt': 'y', 'old-name.txt': 'z' });
      await converge(m, { ignore: isMarker });
      await rm(S(m, 'gone.txt'));
      await rm(S(m, 'tree'), { recursive: true });
      await rename(S(m, 'old-name.txt'), S(m, 'new-name.txt'));
      await rm(S(m, 'seed.txt'));
      await writeFile(S(m, 'still-pushed.txt'), 'new');
      await settle(m);
      for (const kept of ['gone.txt', 'tree/a/b.txt', 'old-name.txt', 'seed.txt']) assert.ok(present(D(m, kept)), `${kept} must stay on the remote`);
      const kept = (rel: string) => isMarker(rel) || ['gone.txt', 'tree', 'old-name.txt', 'seed.txt'].some((k) => rel === k || rel.startsWith(`${k}/`));
      await converge(m, { ignore: kept });
    });
  });

  describe('createFolder and moveTo (directories)', () => {
    it('on: mkdir and a tree moved in are pushed', async () => {
      const m = mirror('stock');
      await mkdir(S(m, 'empty-dir'));
      await moveIn(m, 'moved-tree', { 'moved-tree/sub/f.txt': 'f' });
      await converge(m);
    });

    it('both off: an empty mkdir and a tree moved in are not pushed', async () => {
      const m = mirror('createFolderMoveToOff');
      await mkdir(S(m, 'empty-dir'));
      await moveIn(m, 'moved-tree', { 'moved-tree/sub/f.txt': 'f' });
      await writeFile(S(m, 'top.txt'), 'pushed: closeWrite is on');
      await waitUntil('top.txt on the remote', () => present(D(m, 'top.txt')));
      await settle(m);
      assert.equal(present(D(m, 'empty-dir')), false);
      assert.equal(present(D(m, 'moved-tree')), false);
    });

    it('both off: a file written in a new directory is pushed, its directory with it (differs from sersync2, which never watched the new directory)', async () => {
      const m = mirror('createFolderMoveToOff');
      await mkdir(S(m, 'new-dir'));
      await writeFile(S(m, 'new-dir/f.txt'), 'f');
      await waitUntil('new-dir/f.txt on the remote', () => present(D(m, 'new-dir/f.txt')));
    });

    it('createFolder off, moveTo on: mkdir is still pushed, since it looks like a move-in (differs from sersync2)', async () => {
      const m = mirror('createFolderOff');
      await mkdir(S(m, 'empty-dir'));
      await moveIn(m, 'moved-tree', { 'moved-tree/sub/f.txt': 'f' });
      await converge(m);
    });

    it('moveTo off, createFolder on: a tree moved in is pushed, since it looks like a mkdir (differs from sersync2)', async () => {
      const m = mirror('moveToOff');
      await moveIn(m, 'moved-tree', { 'moved-tree/sub/f.txt': 'f' });
      await converge(m);
    });
  });

  describe('moveTo and moveFrom (files)', () => {
    it('moveTo off, closeWrite on: a file moved in or renamed is pushed, since it looks like a written file (differs from sersync2)', async () => {
      const m = mirror('moveToOff');
      await moveIn(m, 'moved-in.txt', { 'moved-in.txt': 'from outside' });
      await writeFile(S(m, 'before-rename.txt'), 'r');
      await converge(m);
      await rename(S(m, 'before-rename.txt'), S(m, 'after-rename.txt'));
      await converge(m);
    });

    it('moveFrom off, delete on: the old name of a renamed file and a tree moved out are deleted, since they look deleted (differs from sersync2)', async () => {
      const m = mirror('moveFromOff');
      await writeTree(m.src, { 'old-name.txt': 'o', 'leaving/sub/f.txt': 'l' });
      await converge(m);
      await rename(S(m, 'old-name.txt'), S(m, 'new-name.txt'));
      await rename(S(m, 'leaving'), path.join(m.base, 'moved-out'));
      await converge(m);
    });
  });

  describe('closeWrite, createFile, modify (file content)', () => {
    it('on (stock): written, appended and truncated files are pushed', async () => {
      const m = mirror('stock');
      await writeFile(S(m, 'w.txt'), 'written');
      await appendFile(S(m, 'w.txt'), ' and appended');
      await converge(m);
      await truncate(S(m, 'w.txt'), 4);
      await converge(m);
    });

    it('all content toggles off: written files are not pushed; mkdir still is (createFolder), deletes still are (delete)', async () => {
      const m = mirror('noContentToggle');
      await writeFile(S(m, 'written.txt'), 'not pushed');
      await writeFile(S(m, 'seed-dir/inside.txt'), 'modified, not pushed');
      await mkdir(S(m, 'empty-dir'));
      await rm(S(m, 'seed.txt'));
      await waitUntil('empty-dir on the remote', () => present(D(m, 'empty-dir')));
      await waitUntil('seed.txt deleted on the remote', () => !present(D(m, 'seed.txt')));
      await settle(m, { dir: true });
      assert.equal(present(D(m, 'written.txt')), false);
      await converge(m, { ignore: (rel) => rel === 'written.txt' || rel === 'seed-dir/inside.txt' });
    });

    it('closeWrite off, moveTo on: written files are still pushed, since a write looks like a move-in (differs from sersync2)', async () => {
      const m = mirror('closeWriteOff');
      await writeFile(S(m, 'written.txt'), 'pushed anyway');
      await converge(m);
    });

    it('createFile on alone: a new file arrives with its whole content (sersync2 pushed it at create time, maybe still empty)', async () => {
      const m = mirror('createFileOnly');
      await writeFile(S(m, 'created.txt'), '');
      await appendFile(S(m, 'created.txt'), 'content written after the create');
      await converge(m);
    });

    it('modify on alone: a file written in several steps arrives with its final content', async () => {
      const m = mirror('modifyOnly');
      await writeFile(S(m, 'modified.txt'), 'step 1;');
      for (let i = 2; i <= 4; i++) {
        await new Promise((r) => setTimeout(r, 60));
        await appendFile(S(m, 'modified.txt'), ` step ${i};`);
      }
      await converge(m);
    });
  });

  describe('attrib', () => {
    it('on: a chmod of a file and of a directory reaches the remote', async () => {
      const m = mirror('attribOn');
      await writeTree(m.src, { 'mode.sh': '#!/bin/sh\n', 'mode-dir/f': 'f' });
      await converge(m, { compareModes: true });
      await chmod(S(m, 'mode.sh'), 0o700);
      await chmod(S(m, 'mode-dir'), 0o750);
      await converge(m, { compareModes: true });
    });

    it('off: a chmod of a file still reaches the remote, since it looks like a write (differs from sersync2)', async () => {
      const m = mirror('stock');
      await writeFile(S(m, 'mode-off.sh'), '#!/bin/sh\n');
      await converge(m, { compareModes: true });
      await chmod(S(m, 'mode-off.sh'), 0o700);
      await converge(m, { compareModes: true });
    });
  });
});
