// The real-time engine end to end, file operations (issue 3, spec §3.4, §5):
// the real CLI mirrors a directory to a real `rsync --daemon` with auth on
// 127.0.0.1; after every step the module holds exactly what the source holds
// (paths, types, contents), except what sersync2's live path never sends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { removeTempDirs } from '../helpers/tmp.js';
import { converge, type Mirror, present, settle, startMirror } from './engine-kit.js';

after(removeTempDirs);

describe('engine: file operations reach the remote', () => {
  let m: Mirror;
  before(async () => {
    m = await startMirror();
  });
  after(async () => m?.stop());
  const src = (rel: string) => path.join(m.src, rel);
  const dst = (rel: string) => path.join(m.dst, rel);

  it('creates a file', async () => {
    await writeFile(src('a.txt'), 'hello\n');
    await converge(m);
  });

  it('modifies a file in place with the same size within the same second (rsync quick check must not skip it)', async () => {
    await writeFile(src('same.txt'), 'AAAA');
    await converge(m);
    const { mtime } = statSync(src('same.txt'));
    await writeFile(src('same.txt'), 'BBBB');
    // Same size and the same mtime as before: only --ignore-times gets it across.
    utimesSync(src('same.txt'), mtime, mtime);
    await converge(m);
  });

  it('appends to a file', async () => {
    await appendFile(src('a.txt'), 'more\n');
    await converge(m);
    await appendFile(src('a.txt'), 'x'.repeat(100_000));
    await converge(m);
  });

  it('truncates a file, to a shorter length and to zero', async () => {
    await truncate(src('a.txt'), 3);
    await converge(m);
    await truncate(src('a.txt'), 0);
    await converge(m);
  });

  it('deletes a file', async () => {
    await writeFile(src('gone.txt'), 'soon gone');
    await converge(m);
    await rm(src('gone.txt'));
    await converge(m);
  });

  it('renames a file (old name deleted, new name pushed)', async () => {
    await writeFile(src('old-name.txt'), 'content that moves');
    await converge(m);
    await rename(src('old-name.txt'), src('new-name.txt'));
    await converge(m);
  });

  it('renames a file over an existing one', async () => {
    await writeFile(src('target.txt'), 'old target');
    await writeFile(src('incoming.txt'), 'new content for target');
    await converge(m);
    await rename(src('incoming.txt'), src('target.txt'));
    await converge(m);
  });

  it('writes a file in a subdirectory that exists', async () => {
    await mkdir(src('sub'));
    await converge(m);
    await writeFile(src('sub/deep.txt'), 'deep');
    await converge(m);
    await writeFile(src('sub/deep.txt'), 'deeper and longer');
    await converge(m);
  });

  it('creates a symlink (sent as a link, with its target verbatim)', async () => {
    await symlink('a.txt', src('link-rel'));
    await symlink('/nonexistent/absolute/target', src('link-dangling'));
    await converge(m);
  });

  it('many quick rewrites of one file end with the last content', async () => {
    for (let i = 0; i < 50; i++) await writeFile(src('busy.txt'), `version ${i}\n`.repeat(i + 1));
    await converge(m);
  });

  it('does not push hidden files, editor backups (*~) or vim probes (4913) created at run time (spec §3.3)', async () => {
    await writeFile(src('.hidden'), 'not pushed live');
    await writeFile(src('backup.txt~'), 'not pushed live');
    await writeFile(src('4913'), 'not pushed live');
    await writeFile(src('sub/.hidden-too'), 'not pushed live');
    await writeFile(src('visible.txt'), 'pushed');
    await settle(m);
    const skipped = ['.hidden', 'backup.txt~', '4913', 'sub/.hidden-too'];
    for (const rel of skipped) assert.equal(present(dst(rel)), false, `${rel} must not be pushed`);
    // Everything else converges.
    await converge(m, { ignore: (rel) => skipped.includes(rel) });
    // Changing them again does not push them either.
    await appendFile(src('.hidden'), 'more');
    await settle(m);
    assert.equal(present(dst('.hidden')), false);
    for (const rel of skipped) await rm(src(rel));
    await converge(m);
  });

  it('a hidden file that reached the remote inside a pushed directory is deleted remotely when deleted locally (differs from sersync2, which ignored any event for a dot-file)', async () => {
    // A directory push is recursive, so a dot-file inside a new directory goes
    // along (as with sersync2). Its later delete cannot be told from the delete
    // of a hidden directory, whose deletes sersync2 does propagate.
    await mkdir(src('with-hidden'));
    await writeFile(src('with-hidden/.dot'), 'goes along with the directory');
    await converge(m);
    await rm(src('with-hidden/.dot'));
    await converge(m);
  });

  it('replaces a file by a directory of the same name, and back', async () => {
    await writeFile(src('shape'), 'a file first');
    await converge(m);
    await rm(src('shape'));
    await mkdir(src('shape'));
    await writeFile(src('shape/inside.txt'), 'now a directory');
    await converge(m);
    await rm(src('shape'), { recursive: true });
    await writeFile(src('shape'), 'a file again');
    await converge(m);
  });
});
