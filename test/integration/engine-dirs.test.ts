// The real-time engine end to end, directory operations (issue 3, spec §3.4):
// mkdir, rmdir, rm -rf, renames (then edits under the new name, where
// @parcel/watcher reports stale old paths, parcel-watcher-linux §2.5), trees
// moved in and out. After every step the module mirrors the source.
import { after, before, describe, it } from 'node:test';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { writeTree } from '../helpers/tree.js';
import { converge, type Mirror, startMirror } from './engine-kit.js';

after(removeTempDirs);

describe('engine: directory operations reach the remote', () => {
  let m: Mirror;
  let outside: string;
  before(async () => {
    m = await startMirror({
      seed: (src) =>
        writeTree(src, {
          'pre/a.txt': 'existing before start',
          'pre/sub/b.txt': 'existing, deeper',
          'pre/sub/subsub/c.txt': 'existing, deepest',
        }),
    });
    // The seed is on the remote too, as after a first full sync.
    await writeTree(m.dst, {
      'pre/a.txt': 'existing before start',
      'pre/sub/b.txt': 'existing, deeper',
      'pre/sub/subsub/c.txt': 'existing, deepest',
    });
    // Same file system as the source, so moves in and out are renames.
    outside = path.join(m.base, 'outside');
    await mkdir(outside);
  });
  after(async () => m?.stop());
  const src = (rel: string) => path.join(m.src, rel);

  it('mkdir of an empty directory', async () => {
    await mkdir(src('empty'));
    await converge(m);
  });

  it('rmdir of an empty directory', async () => {
    await rmdir(src('empty'));
    await converge(m);
  });

  it('mkdir -p of a deep path, with files written at once at every level', async () => {
    await mkdir(src('p/q/r/s'), { recursive: true });
    await writeFile(src('p/1.txt'), '1');
    await writeFile(src('p/q/2.txt'), '2');
    await writeFile(src('p/q/r/s/3.txt'), '3');
    await converge(m);
  });

  it('keeps watching inside a mkdir -p tree (later edits at the deepest level)', async () => {
    await writeFile(src('p/q/r/s/later.txt'), 'later');
    await writeFile(src('p/q/r/s/3.txt'), '3, edited');
    await converge(m);
  });

  it('rm -rf of a tree', async () => {
    await rm(src('p'), { recursive: true });
    await converge(m);
  });

  it('renames a directory', async () => {
    await rename(src('pre'), src('renamed'));
    await converge(m);
  });

  it('edits inside the renamed directory, also two levels down', async () => {
    await writeFile(src('renamed/a.txt'), 'edited after the rename');
    await writeFile(src('renamed/sub/new.txt'), 'new in sub');
    await writeFile(src('renamed/sub/subsub/c.txt'), 'edited in subsub');
    await writeFile(src('renamed/sub/subsub/new-too.txt'), 'new in subsub');
    await converge(m);
  });

  it('deletes inside the renamed directory, two levels down', async () => {
    await rm(src('renamed/sub/subsub/new-too.txt'));
    await rm(src('renamed/sub/b.txt'));
    await converge(m);
  });

  it('renames it back, and edits again', async () => {
    await rename(src('renamed'), src('pre'));
    await writeFile(src('pre/sub/subsub/again.txt'), 'after renaming back');
    await converge(m);
  });

  it('moves a tree in from outside the watch root', async () => {
    await writeTree(outside, {
      'tree/top.txt': 'moved in',
      'tree/x/mid.txt': 'moved in, level 2',
      'tree/x/y/leaf.txt': 'moved in, level 3',
      'tree/x/y/z/empty': { dir: true },
    });
    await rename(path.join(outside, 'tree'), src('tree'));
    await converge(m);
  });

  it('edits inside the moved-in tree (its subdirectories were never created inside W)', async () => {
    await writeFile(src('tree/x/y/leaf.txt'), 'edited after the move');
    await writeFile(src('tree/x/y/z/empty/new.txt'), 'new at the bottom');
    await mkdir(src('tree/x/y/z/empty/newdir'));
    await writeFile(src('tree/x/y/z/empty/newdir/f.txt'), 'in a new dir below the moved-in tree');
    await converge(m);
  });

  it('moves a tree out of the watch root', async () => {
    await rename(src('tree'), path.join(outside, 'tree-out'));
    await converge(m);
  });

  it('ignores writes in the tree after it left the watch root', async () => {
    // @parcel/watcher keeps its watches on a moved-out tree and reports ghost
    // events under the old in-tree paths (parcel-watcher-linux §2.5).
    await writeFile(path.join(outside, 'tree-out/x/y/ghost.txt'), 'outside now');
    await writeFile(src('after-ghost.txt'), 'a change inside W');
    await converge(m);
  });

  it('moves a tree within W into another directory', async () => {
    await mkdir(src('holder'));
    await rename(src('pre/sub'), src('holder/sub-moved'));
    await converge(m);
    await writeFile(src('holder/sub-moved/subsub/moved-edit.txt'), 'edited after the move');
    await converge(m);
  });

  it('replaces a directory by another one of the same name (rm -rf + mv)', async () => {
    await writeTree(outside, { 'replacement/only-new.txt': 'fresh' });
    await rm(src('holder'), { recursive: true });
    await rename(path.join(outside, 'replacement'), src('holder'));
    await converge(m);
  });

  it('swaps two directories through a temporary name', async () => {
    await writeTree(m.src, { 'left/l.txt': 'L', 'right/r.txt': 'R' });
    await converge(m);
    await rename(src('left'), src('tmp-swap'));
    await rename(src('right'), src('left'));
    await rename(src('tmp-swap'), src('right'));
    await converge(m);
  });

  it('rm -rf of everything', async () => {
    for (const name of ['pre', 'holder', 'left', 'right', 'after-ghost.txt']) await rm(src(name), { recursive: true, force: true });
    await converge(m);
  });
});
