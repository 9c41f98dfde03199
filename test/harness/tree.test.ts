// Self-test of test/helpers/tree.ts: the comparison every mirror test relies on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, rm, writeFile, symlink, mkdir, chmod, utimes } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from '../helpers/tmp.js';
import { snapshotTree, diffTrees, waitForConvergence, writeTree, showPath, type TreeSpec, type TreeValue, type DiffOptions } from '../helpers/tree.js';

/** Two identical trees a/ and b/ made from the same spec. */
async function twin(spec: TreeSpec): Promise<{ a: string; b: string }> {
  const root = await makeTempDir('tree');
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  await mkdir(a);
  await mkdir(b);
  await writeTree(a, spec);
  await writeTree(b, spec);
  return { a, b };
}

async function diff(a: string, b: string, opts?: DiffOptions): Promise<string[]> {
  return diffTrees(await snapshotTree(a), await snapshotTree(b), opts);
}

const BASE = {
  'a.txt': 'alpha\n',
  'd/b.txt': 'beta\n',
  'd/e/c.txt': 'gamma\n',
  'ln': { symlink: 'a.txt' },
  'empty': { dir: true as const },
};

describe('harness: tree snapshot and diff', () => {
  it('finds no difference between identical trees', async () => {
    const { a, b } = await twin(BASE);
    assert.deepEqual(await diff(a, b, { compareModes: true }), []);
    const snap = await snapshotTree(a);
    assert.deepEqual([...snap.keys()].sort(), ['a.txt', 'd', 'd/b.txt', 'd/e', 'd/e/c.txt', 'empty', 'ln']);
    assert.equal(snap.get('a.txt')?.type, 'file');
    assert.equal(snap.get('a.txt')?.size, 6);
    assert.equal(snap.get('ln')?.type, 'symlink');
    assert.equal(snap.get('ln')?.target, 'a.txt');
  });

  it('detects a missing file and an extra one', async () => {
    const { a, b } = await twin(BASE);
    await rm(path.join(b, 'd/b.txt'));
    await writeFile(path.join(b, 'new.txt'), 'n');
    assert.deepEqual(await diff(a, b), ['missing: "d/b.txt" (file (5 bytes))', 'extra: "new.txt" (file (1 bytes))']);
  });

  it('reports a missing directory once, not each file in it', async () => {
    const { a, b } = await twin(BASE);
    await rm(path.join(b, 'd'), { recursive: true });
    assert.deepEqual(await diff(a, b), ['missing: "d" (dir)']);
  });

  it('detects different content of the same size', async () => {
    const { a, b } = await twin(BASE);
    await writeFile(path.join(b, 'a.txt'), 'ALPHA\n');
    const d = await diff(a, b);
    assert.equal(d.length, 1);
    assert.match(d[0]!, /^content differs: "a\.txt": 6 bytes sha1 \w+ vs 6 bytes sha1 \w+$/);
  });

  it('detects a type change (file replaced by a directory, directory by a symlink)', async () => {
    const { a, b } = await twin(BASE);
    await rm(path.join(b, 'a.txt'));
    await mkdir(path.join(b, 'a.txt'));
    await rm(path.join(b, 'empty'), { recursive: true });
    await symlink('d', path.join(b, 'empty'));
    assert.deepEqual(await diff(a, b), [
      'type differs: "a.txt": file (6 bytes) vs dir',
      'type differs: "empty": dir vs symlink -> "d"',
    ]);
  });

  it('detects a symlink target change (and does not follow the link)', async () => {
    const { a, b } = await twin(BASE);
    await rm(path.join(b, 'ln'));
    await symlink('d/b.txt', path.join(b, 'ln'));
    assert.deepEqual(await diff(a, b), ['symlink target differs: "ln": "a.txt" vs "d/b.txt"']);
  });

  it('compares permission bits and mtimes only when asked', async () => {
    const { a, b } = await twin(BASE);
    await chmod(path.join(b, 'a.txt'), 0o600);
    await chmod(path.join(a, 'a.txt'), 0o644);
    await utimes(path.join(a, 'd/b.txt'), 1000000, 1000000);
    await utimes(path.join(b, 'd/b.txt'), 2000000, 2000000);
    assert.deepEqual(await diff(a, b), []);
    assert.deepEqual(await diff(a, b, { compareModes: true }), ['mode differs: "a.txt": 0644 vs 0600']);
    assert.deepEqual(await diff(a, b, { compareMtimes: true }), ['mtime differs: "d/b.txt": 1000000 vs 2000000']);
  });

  it('skips ignored paths on both sides', async () => {
    const { a, b } = await twin(BASE);
    await writeFile(path.join(b, 'junk.tmp'), 'j');
    await rm(path.join(b, 'd/e/c.txt'));
    assert.deepEqual(await diff(a, b, { ignore: (rel) => rel.endsWith('.tmp') || rel.startsWith('d/e/') }), []);
  });

  it('handles names with a newline and with bytes that are not UTF-8', async () => {
    const nl = Buffer.from('line1\nline2.txt');
    const bad = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e]); // f\xff\xfe.bin
    const latin = Buffer.from([0x64, 0xe9]); // "d\xe9" (latin-1 é), a directory
    const spec: Array<[Buffer | string, TreeValue]> = [
      [nl, 'newline'],
      [bad, 'invalid utf-8'],
      [Buffer.concat([latin, Buffer.from('/x')]), 'x'],
    ];
    const { a, b } = await twin(spec);
    const snap = await snapshotTree(a);
    // Keys are byte strings: one char per raw byte.
    assert.ok(snap.has('line1\nline2.txt'));
    assert.ok(snap.has('f\xff\xfe.bin'));
    assert.ok(snap.has('d\xe9/x'));
    assert.equal(snap.get('d\xe9')?.type, 'dir');
    assert.deepEqual(await diff(a, b), []);

    // A change to each of them is seen, and reported readably.
    await writeFile(Buffer.concat([Buffer.from(b + '/'), bad]), 'changed!');
    await rm(Buffer.concat([Buffer.from(b + '/'), nl]));
    assert.deepEqual(await diff(a, b), [
      'content differs: "f\\xff\\xfe.bin": 13 bytes sha1 ' + snap.get('f\xff\xfe.bin')!.sha1!.slice(0, 10) + ' vs 8 bytes sha1 ' +
        (await snapshotTree(b)).get('f\xff\xfe.bin')!.sha1!.slice(0, 10),
      'missing: "line1\\x0aline2.txt" (file (7 bytes))',
    ]);
    // The same name as UTF-8 text would be a different entry.
    assert.equal(snap.has(Buffer.from('f\xff\xfe.bin', 'utf8').toString('latin1')), false);
  });

  it('showPath escapes quotes, backslashes and control bytes', () => {
    assert.equal(showPath('a"b\\c\n\xff'), '"a\\"b\\\\c\\x0a\\xff"');
  });
});

describe('harness: waitForConvergence', () => {
  it('resolves once the destination catches up', async () => {
    const { a, b } = await twin(BASE);
    await writeFile(path.join(a, 'late.txt'), 'late');
    const copy = setTimeout(() => void cp(path.join(a, 'late.txt'), path.join(b, 'late.txt')), 200);
    try {
      const { ms } = await waitForConvergence(a, b, { timeoutMs: 10000 });
      assert.ok(ms >= 0);
    } finally {
      clearTimeout(copy);
    }
    assert.deepEqual(await diff(a, b), []);
  });

  it('rejects on timeout, listing the remaining differences', async () => {
    const { a, b } = await twin(BASE);
    await rm(path.join(b, 'a.txt'));
    await assert.rejects(waitForConvergence(a, b, { timeoutMs: 300 }), (e: Error) => {
      assert.match(e.message, /no convergence .* after 300 ms; 1 difference/);
      assert.match(e.message, /missing: "a\.txt"/);
      return true;
    });
  });

  it('lists at most 20 differences in the error', async () => {
    const { a, b } = await twin(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${String(i).padStart(2, '0')}`, 'x'])));
    await rm(b, { recursive: true });
    await mkdir(b);
    await assert.rejects(waitForConvergence(a, b, { timeoutMs: 100 }), (e: Error) => {
      assert.equal((e.message.match(/missing: /g) ?? []).length, 20);
      assert.match(e.message, /… and 5 more/);
      return true;
    });
  });
});
