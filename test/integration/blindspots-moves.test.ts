// Nothing lost (issue 4), renames, moves and odd names. After a directory
// rename @parcel/watcher reports changes below it under the OLD path; a tree
// moved in is reported as its top directory only and its subdirectories are
// never watched; a name that is not UTF-8 arrives mangled (U+FFFD) and cannot
// be opened (parcel-watcher-linux.md §2.5, §4 d, §6.8). Each case ends with
// the remote equal to the source; times to convergence are diagnostics.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { removeTempDirs } from '../helpers/tmp.js';
import { snapshotTree, writeTree } from '../helpers/tree.js';
import { converge, type Mirror, reconciliations, sleep, startMirror, writeInChild, WRITER_APPEND_ALL, WRITER_TREE } from './blindspots-kit.js';

const mirrors = new Set<Mirror>();
after(async () => {
  await Promise.all([...mirrors].map((m) => m.stop()));
  await removeTempDirs();
});

async function mirror(): Promise<Mirror> {
  const m = await startMirror();
  mirrors.add(m);
  return m;
}

/** dir/sub<i>/deep/f<j> and dir/top.txt: a tree with two levels below its top. */
function nested(top: string, subs = 5, files = 4): Record<string, string> {
  const spec: Record<string, string> = { [`${top}/top.txt`]: 'top\n' };
  for (let i = 0; i < subs; i++) {
    for (let j = 0; j < files; j++) spec[`${top}/sub${i}/deep/f${j}`] = `${top} ${i} ${j}\n`;
    spec[`${top}/sub${i}/g.txt`] = `g ${i}\n`;
  }
  return spec;
}

/** Appends to every file below dir and adds files and a new subdirectory at depth. */
async function editBelow(dir: string): Promise<number> {
  const n = Number(await writeInChild(WRITER_APPEND_ALL, [dir]));
  await writeFile(path.join(dir, 'sub0/deep/added.txt'), 'added\n');
  await mkdir(path.join(dir, 'sub1/deep/newer'), { recursive: true });
  await writeFile(path.join(dir, 'sub1/deep/newer/n.txt'), 'n\n');
  return n;
}

function remoteNames(dst: string): Promise<string[]> {
  return snapshotTree(dst).then((t) => [...t.keys()]);
}

describe('nothing lost: renames and moves', () => {
  it('`mv dir dir2`, then edits in dir2/sub/…: pushed as dir2/sub/…, nothing left under dir', async (t) => {
    const m = await mirror();
    await writeTree(m.src, nested('dir'));
    const first = await converge(m.src, m.dst, 30_000, 100);
    await rename(path.join(m.src, 'dir'), path.join(m.src, 'dir2'));
    const moved = await converge(m.src, m.dst, 30_000, 100);
    await sleep(500);
    const n = await editBelow(path.join(m.src, 'dir2'));
    const edited = await converge(m.src, m.dst, 30_000, 100);
    const names = await remoteNames(m.dst);
    assert.ok(!names.some((p) => p === 'dir' || p.startsWith('dir/')), `the remote still has dir: ${names.filter((p) => p.startsWith('dir/')).slice(0, 5)}`);
    assert.ok(existsSync(path.join(m.dst, 'dir2/sub1/deep/newer/n.txt')));
    t.diagnostic(`tree pushed in ${first} ms; rename converged in ${moved} ms; edits to ${n} files converged in ${edited} ms; ${reconciliations(m)}`);
  });

  it('a directory renamed twice (dir → dir2 → dir3), then edits below it: pushed under dir3', async (t) => {
    const m = await mirror();
    await writeTree(m.src, nested('dir'));
    await converge(m.src, m.dst, 30_000, 100);
    await rename(path.join(m.src, 'dir'), path.join(m.src, 'dir2'));
    await converge(m.src, m.dst, 30_000, 100);
    await rename(path.join(m.src, 'dir2'), path.join(m.src, 'dir3'));
    await converge(m.src, m.dst, 30_000, 100);
    await sleep(500);
    const n = await editBelow(path.join(m.src, 'dir3'));
    const edited = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`edits to ${n} files converged in ${edited} ms; ${reconciliations(m)}`);
  });

  it('a tree moved in from outside (same file system), then edits in its subdirectories: pushed', async (t) => {
    const m = await mirror();
    const outside = path.join(m.base, 'outside');
    await writeTree(outside, nested('incoming', 10, 10));
    await rename(path.join(outside, 'incoming'), path.join(m.src, 'incoming'));
    const first = await converge(m.src, m.dst, 30_000, 100);
    await sleep(500);
    const n = await editBelow(path.join(m.src, 'incoming'));
    const edited = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`moved-in tree converged in ${first} ms; edits to ${n} files converged in ${edited} ms; ${reconciliations(m)}`);
  });

  it('a tree moved out of the watch root: deleted remotely; later writes out there are not pushed', async (t) => {
    const m = await mirror();
    await writeTree(m.src, nested('leaving'));
    await converge(m.src, m.dst, 30_000, 100);
    const outside = path.join(m.base, 'outside');
    await mkdir(outside);
    await rename(path.join(m.src, 'leaving'), path.join(outside, 'leaving'));
    const gone = await converge(m.src, m.dst, 30_000, 100);
    // The kernel watches follow the moved tree (ghost events under stale paths, §4 d).
    await editBelow(path.join(outside, 'leaving'));
    await writeFile(path.join(m.src, 'marker.txt'), 'after the ghosts\n');
    const after = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`move-out converged in ${gone} ms; ghost writes + marker converged in ${after} ms; ${reconciliations(m)}`);
  });
});

describe('nothing lost: subtrees made again or nested in a new subtree', () => {
  it('a subtree made again under a name used before (cp -r x, rm -rf x, cp -r x): later appends are pushed', async (t) => {
    // /bin/cp is fast enough to make subdirectories before their parent's
    // watch exists, so the engine has to watch each new subtree itself.
    const m = await mirror();
    const outside = path.join(m.base, 'outside');
    await writeInChild(WRITER_TREE, [outside, 'tree', '200', '2', 'deep']);
    const cp = (): void => {
      const r = spawnSync('/bin/cp', ['-r', path.join(outside, 'tree'), path.join(m.src, 'x')]);
      assert.equal(r.status, 0, String(r.stderr));
    };
    cp();
    await converge(m.src, m.dst, 30_000, 100);
    await rm(path.join(m.src, 'x'), { recursive: true });
    await converge(m.src, m.dst, 30_000, 100);
    cp();
    await converge(m.src, m.dst, 30_000, 100);
    // Later: after the stream sweep of the copy (and any reconciliation it
    // asked for) is over, so only the watches can report these appends.
    await sleep(3000);
    const n = Number(await writeInChild(WRITER_APPEND_ALL, [path.join(m.src, 'x')]));
    const ms = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`appends to ${n} files in the remade subtree converged in ${ms} ms; ${reconciliations(m)}`);
  });

  it('a new subtree inside a copied subtree (cp -r, then cp -r inside it): later appends are pushed', async (t) => {
    const m = await mirror();
    const outside = path.join(m.base, 'outside');
    await writeInChild(WRITER_TREE, [outside, 'tree', '200', '2', 'deep']);
    const r = spawnSync('/bin/cp', ['-r', path.join(outside, 'tree'), path.join(m.src, 't')]);
    assert.equal(r.status, 0, String(r.stderr));
    await converge(m.src, m.dst, 30_000, 100);
    // Made inside the copy as fast as /bin/cp makes it (a node writer is slow
    // enough for the watches to keep up).
    const r2 = spawnSync('/bin/cp', ['-r', path.join(outside, 'tree'), path.join(m.src, 't/new')]);
    assert.equal(r2.status, 0, String(r2.stderr));
    await converge(m.src, m.dst, 30_000, 100);
    await sleep(3000); // after the stream sweep, as above
    const n = Number(await writeInChild(WRITER_APPEND_ALL, [path.join(m.src, 't/new')]));
    const ms = await converge(m.src, m.dst, 30_000, 100);
    t.diagnostic(`appends to ${n} files in the nested subtree converged in ${ms} ms; ${reconciliations(m)}`);
  });
});

describe('nothing lost: names that are not UTF-8', () => {
  // 'bad-\xff\xfe.txt' and the directory 'dir-\xe9' (latin1 é): @parcel/watcher
  // reports both with U+FFFD in place of the bytes.
  const bad = Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
  const badDir = Buffer.concat([Buffer.from('dir-'), Buffer.from([0xe9])]);
  const abs = (m: Mirror, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.from(m.src), ...parts.flatMap((p) => [Buffer.from('/'), p])]);

  it('a file with such a name is created, modified and deleted: synced each time', async (t) => {
    const m = await mirror();
    const f = abs(m, bad);
    await writeFile(f, 'one\n');
    const created = await converge(m.src, m.dst, 30_000, 100);
    await sleep(300);
    await appendFile(f, 'two\n');
    const modified = await converge(m.src, m.dst, 30_000, 100);
    await unlink(f);
    const deleted = await converge(m.src, m.dst, 30_000, 100);
    assert.equal((await remoteNames(m.dst)).length, 0);
    t.diagnostic(`created ${created} ms, modified ${modified} ms, deleted ${deleted} ms; ${reconciliations(m)}`);
  });

  it('a file inside a directory with such a name is created, modified and deleted: synced each time', async (t) => {
    const m = await mirror();
    await mkdir(abs(m, badDir));
    const f = abs(m, badDir, bad);
    await writeFile(f, 'one\n');
    const created = await converge(m.src, m.dst, 30_000, 100);
    await sleep(300);
    await appendFile(f, 'two\n');
    const modified = await converge(m.src, m.dst, 30_000, 100);
    await unlink(f);
    const deleted = await converge(m.src, m.dst, 30_000, 100);
    await rm(abs(m, badDir), { recursive: true });
    const dirGone = await converge(m.src, m.dst, 30_000, 100);
    assert.equal((await remoteNames(m.dst)).length, 0);
    t.diagnostic(`created ${created} ms, modified ${modified} ms, deleted ${deleted} ms, directory removed ${dirGone} ms; ${reconciliations(m)}`);
  });

  it('two names that look the same once mangled (x\\xff, x\\xfe): deleting one deletes only that one remotely', async (t) => {
    const m = await mirror();
    const a = abs(m, Buffer.from([0x78, 0xff]));
    const b = abs(m, Buffer.from([0x78, 0xfe]));
    await writeFile(a, 'a\n');
    await writeFile(b, 'b\n');
    const created = await converge(m.src, m.dst, 30_000, 100);
    await unlink(a);
    const deleted = await converge(m.src, m.dst, 30_000, 100);
    assert.deepEqual(await remoteNames(m.dst), ['x\xfe']);
    t.diagnostic(`created ${created} ms, one deleted ${deleted} ms; ${reconciliations(m)}`);
  });
});
