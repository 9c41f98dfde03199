// ssh mode end to end (issue 3, spec §5.4): `<ssh start="true"/>`, the remote
// name is an absolute path on the target, reached as `127.0.0.1:<path>` with
// `rsync -e ssh` through a real sshd on 127.0.0.1 with a generated key (the
// sshd helper puts an `ssh` wrapper first in PATH). The same operations as in
// daemon mode converge the same way; names are not re-split by the remote shell.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { writeTree } from '../helpers/tree.js';
import { converge, type Mirror, startMirror, under } from './engine-kit.js';

after(removeTempDirs);

const B = (...bytes: number[]): Buffer => Buffer.from(bytes);

describe('ssh mode: changes reach <ip>:<absolute path> through ssh, also a path with a space and $(…)', () => {
  let sshd: Sshd;
  let m: Mirror;
  let outside: string;
  before(async () => {
    sshd = await startSshd();
    // Two remotes: a plain path, and one the remote shell would split or expand.
    const dirs = [path.join(sshd.remoteDir, 'plain'), path.join(sshd.remoteDir, 'with space $(touch INJECTED)')];
    for (const d of dirs) await mkdir(d);
    m = await startMirror({ ssh: { dirs, env: sshd.env } });
    outside = path.join(m.base, 'outside');
    await mkdir(outside);
  });
  after(async () => {
    await m?.stop();
    await sshd?.stop();
  });
  const src = (rel: string) => path.join(m.src, rel);

  it('creates, modifies, renames and deletes files', async () => {
    await writeFile(src('a.txt'), 'a');
    await writeFile(src('b.txt'), 'b');
    await converge(m);
    await writeFile(src('a.txt'), 'a, modified');
    await rename(src('b.txt'), src('c.txt'));
    await converge(m);
    await rm(src('a.txt'));
    await converge(m);
  });

  it('mkdir -p with files, rename the directory, then edit two levels down under the new name', async () => {
    await mkdir(src('d/e/f'), { recursive: true });
    await writeFile(src('d/e/f/x.txt'), 'x');
    await converge(m);
    await rename(src('d'), src('d-renamed'));
    await converge(m);
    await writeFile(src('d-renamed/e/f/x.txt'), 'x, edited after the rename');
    await writeFile(src('d-renamed/e/new.txt'), 'new');
    await converge(m);
  });

  it('moves a tree in and edits inside it, moves a tree out, rm -rf', async () => {
    await writeTree(outside, { 'in/one/two/leaf.txt': 'leaf', 'in/top.txt': 'top' });
    await rename(path.join(outside, 'in'), src('moved-in'));
    await converge(m);
    await writeFile(src('moved-in/one/two/leaf.txt'), 'leaf, edited');
    await converge(m);
    await rename(src('moved-in'), path.join(outside, 'moved-out'));
    await converge(m);
    await rm(src('d-renamed'), { recursive: true });
    await converge(m);
  });

  it('creates a symlink', async () => {
    await symlink('c.txt', src('link'));
    await converge(m);
  });

  it('syncs hostile and non-UTF-8 names without running anything on either side', async () => {
    const names = [
      Buffer.from('sp ace $(touch INJECTED) `touch INJECTED`.txt'),
      Buffer.from("q'uo\"te;touch INJECTED"),
      Buffer.from('-e touch INJECTED'),
      Buffer.from('new\nline'),
      Buffer.from('#hash ;semi'),
      Buffer.from('*?[x]'),
      Buffer.concat([Buffer.from('bad-'), B(0xff, 0xfe)]),
    ];
    for (const n of names) await writeFile(under(m.src, n), Buffer.concat([Buffer.from('content of '), n]));
    await mkdir(under(m.src, names[0]!.toString() + ' dir'));
    await writeFile(under(m.src, names[0]!.toString() + ' dir', names[1]!), 'nested');
    await converge(m);
    for (const n of names) await rm(under(m.src, n));
    await converge(m);
    for (const dir of [m.src, ...m.dsts, sshd.remoteDir, m.base, path.dirname(sshd.remoteDir)]) {
      assert.ok(!readdirSync(dir).includes('INJECTED'), `INJECTED in ${dir}`);
    }
  });
});
