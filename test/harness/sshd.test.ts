// Self-test of test/helpers/sshd.ts: ssh mode reaches a local sshd through the PATH
// wrapper, with `-e ssh` exactly as sersync2 passes it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { writeTree, snapshotTree, diffTrees } from '../helpers/tree.js';
import { run } from '../helpers/exec.js';

describe('harness: sshd', () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  it('rsync -a -e ssh (plain `ssh` from PATH) mirrors a small tree to 127.0.0.1:<dir>', async () => {
    const src = await makeTempDir('src');
    await writeTree(src, { 'a.txt': 'a\n', 'd/e/b.txt': 'b', 'ln': { symlink: 'a.txt' }, 'sp ace.txt': 's' });
    const dst = path.join(sshd.remoteDir, 'mirror1');
    await mkdir(dst);
    const r = await run('rsync', ['-a', '-e', 'ssh', './', `127.0.0.1:${dst}/`], { cwd: src, env: sshd.env, timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(diffTrees(await snapshotTree(src), await snapshotTree(dst)), []);
  });

  it('pushes one file in sersync2\'s per-file shape: -artuz -R -e ssh ./rel ip:path', async () => {
    const src = await makeTempDir('src');
    await writeTree(src, { 'd1/c.txt': 'c' });
    const dst = path.join(sshd.remoteDir, 'mirror2');
    await mkdir(dst);
    const r = await run('rsync', ['-artuz', '-R', '-e', 'ssh', './d1/c.txt', `127.0.0.1:${dst}`], { cwd: src, env: sshd.env, timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...(await snapshotTree(dst)).keys()].sort(), ['d1', 'd1/c.txt']);
  });

  it('sshCommand is an explicit ssh argv that reaches the same server', async () => {
    const r = await run(sshd.sshCommand[0]!, [...sshd.sshCommand.slice(1), '127.0.0.1', 'echo', 'hello-from-sshd'], { timeoutMs: 30000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'hello-from-sshd');
  });
});
