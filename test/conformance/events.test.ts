// Spec §10 cases 1–13 and 19–22: file operations → commands and remote result.
// Each case: a REAL run pushing to a real rsync daemon (the remote result is
// asserted) and, on the same watch directory, a DRY run (`--dry-run`, the
// spec's BASE remote) whose printed commands are compared token by token with
// the spec's strings (kit.ts). Where sersync-ts fixes a sersync2 bug or
// differs on purpose, the test asserts the sersync-ts behaviour and says so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../helpers/exec.js';
import { assertCommand, assertCommandSet, distinct, snapshotTree, Suite, tokens, until, waitForConvergence, type CaseDirs, type Run } from './kit.js';

// The spec's exact strings (§5.3, §10), for W = /data/www and 10.0.0.2::www.
const T01 = 'cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ';
const T02 = 'cd /data/www && rsync -artuz -R "./d1" 10.0.0.2::www >/dev/null 2>&1 ';
const T03 = 'cd /data/www && rsync -artuz -R "./d1/b.txt" 10.0.0.2::www >/dev/null 2>&1 ';
const T04 = 'cd /data/www && rsync -artuz -R --delete ./   --include="a.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 ';
const T05 = 'cd /data/www && rsync -artuz -R --delete ./   --include="d1/" --include="d1/e/" --include="d1/e/b.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 ';
const sync = (rel: string) => `cd /data/www && rsync -artuz -R "./${rel}" 10.0.0.2::www >/dev/null 2>&1 `;
/** §5.2 delete form of a directory directly in W (T06's shape). */
const delDir = (d: string) => `cd /data/www && rsync -artuz -R --delete ./   --include="${d}"  --include="${d}/***" --exclude=*  10.0.0.2::www >/dev/null 2>&1 `;

const CASES = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'c10', 'c11', 'c12', 'c13', 'c19', 'c19b', 'c20', 'c21a', 'c21b', 'c22'];
let s: Suite;
before(async () => {
  s = await Suite.create('events', CASES);
});
after(async () => {
  await s.close();
});

const write = (c: CaseDirs, rel: string, text: string) => fs.writeFileSync(path.join(c.w, rel), text);

/** Start the real and the dry run on one case, with the same config switches. */
async function pair(c: CaseDirs, cfg: Parameters<Suite['startReal']>[1] = {}, args: string[] = []): Promise<{ real: Run; dry: Run }> {
  const [real, dry] = await Promise.all([s.startReal(c, cfg, { args }), s.startDry(c, cfg, { args })]);
  return { real, dry };
}

async function finish(p: { real: Run; dry: Run }): Promise<void> {
  assert.deepEqual(p.dry.stubCalls(), [], '--dry-run never runs rsync');
  const [a, b] = await Promise.all([p.real.stop(), p.dry.stop()]);
  assert.equal(a, 0, 'the real run stops cleanly on SIGTERM');
  assert.equal(b, 0, 'the dry run stops cleanly on SIGTERM');
}

/** Regular files, directories, symlinks below `root` (sentinels left out), sorted. */
async function listing(root: string): Promise<string[]> {
  return [...(await snapshotTree(root)).entries()]
    .filter(([rel]) => !rel.startsWith('zz-sentinel-'))
    .map(([rel, e]) => `${rel}:${e.type}`)
    .sort();
}

describe('spec §10: file operations (stock toggles unless stated)', () => {
  it('case 1: create file — one sync-form command (T01), the file arrives', async () => {
    const c = await s.case('c01');
    const p = await pair(c);
    write(c, 'a.txt', 'hi\n');
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), [T01], c.w);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 2: mkdir — `./d1` (T02), then a file in it is seen (T03): the new directory is watched', async () => {
    const c = await s.case('c02');
    const p = await pair(c);
    fs.mkdirSync(path.join(c.w, 'd1'));
    await p.dry.waitCommands(1);
    write(c, 'd1/b.txt', 'x\n');
    await p.dry.waitCommands(2);
    const cmds = distinct(await p.dry.settle());
    assert.equal(cmds.length, 2, cmds.join('\n'));
    assertCommand(cmds[0]!, T02, c.w);
    assertCommand(cmds[1]!, T03, c.w);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 3: delete file — the delete form (T04); the file is gone remotely, its neighbour stays', async () => {
    const c = await s.case('c03', { 'a.txt': 'a\n', 'keep.txt': 'k\n' });
    const p = await pair(c);
    fs.rmSync(path.join(c.w, 'a.txt'));
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), [T04], c.w);
    await waitForConvergence(c.w, c.mirror);
    assert.ok(fs.existsSync(path.join(c.mirror, 'keep.txt')));
    await finish(p);
  });

  it('case 4: delete nested file — the delete form with the parent includes (T05)', async () => {
    const c = await s.case('c04', { 'd1/e/b.txt': 'b\n', 'd1/e/keep.txt': 'k\n', 'd1/top.txt': 't\n' });
    const p = await pair(c);
    fs.rmSync(path.join(c.w, 'd1/e/b.txt'));
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), [T05], c.w);
    await waitForConvergence(c.w, c.mirror);
    assert.ok(fs.existsSync(path.join(c.mirror, 'd1/e/keep.txt')));
    await finish(p);
  });

  it('case 5: rename file — delete form of the old name and sync of the new one, in any order', async () => {
    const c = await s.case('c05', { 'd1/b.txt': 'b\n' });
    const p = await pair(c);
    fs.renameSync(path.join(c.w, 'd1/b.txt'), path.join(c.w, 'd1/c.txt'));
    await p.dry.waitCommands(2);
    assertCommandSet(await p.dry.settle(), [
      'cd /data/www && rsync -artuz -R --delete ./   --include="d1/" --include="d1/b.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 ',
      sync('d1/c.txt'),
    ], c.w);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  /** Cases 6 and 7: `mv d e`, then `echo 1 > e/sub/new.txt`. */
  async function renameDir(c: CaseDirs, p: { real: Run; dry: Run }): Promise<string[]> {
    fs.renameSync(path.join(c.w, 'd'), path.join(c.w, 'e'));
    await p.dry.waitCommands(2);
    const first = await p.dry.settle();
    // The directory delete form of d (T06's shape) and the recursive sync of e.
    assertCommandSet(first, [delDir('d'), sync('e')], c.w);
    write(c, 'e/sub/new.txt', '1\n');
    await until('./e/sub/new.txt', () => p.dry.commands().some((l) => l.includes('"./e/sub/new.txt"')));
    const second = (await p.dry.settle()).slice(first.length);
    return second;
  }

  /**
   * The watcher keeps reporting changes below a renamed directory under the
   * old name too (parcel-watcher-linux §2.5); sersync-ts finds nothing there
   * and sends a delete of that stale path, which changes nothing remotely (d
   * is gone). Anything else is a failure.
   */
  function assertOnlyNewPathOrStaleDeletes(c: CaseDirs, second: string[]): void {
    const [mine, rest] = [second.filter((l) => l.includes('"./e/sub/new.txt"')), second.filter((l) => !l.includes('"./e/sub/new.txt"'))];
    assert.equal(distinct(mine).length, 1, second.join('\n'));
    assertCommand(mine[0]!, sync('e/sub/new.txt'), c.w);
    for (const l of rest) {
      const t = tokens(l);
      assert.ok(t.includes('--delete') && t.includes('--include=d/'), `only harmless deletes of stale d/… paths may follow, got: ${l}`);
    }
  }

  it('case 6: rename dir — dir delete form of d + `./e`, then `./e/sub/new.txt`', async () => {
    const c = await s.case('c06', { 'd/sub/old.txt': 'o\n', 'd/top.txt': 't\n' });
    const p = await pair(c);
    assertOnlyNewPathOrStaleDeletes(c, await renameDir(c, p));
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 7: moveFrom off, rename dir — fixed mode: `./e/sub/new.txt`, never the stale `./d/sub/new.txt`', async () => {
    // sersync2 sends `./e` then the stale `./d/sub/new.txt` and keeps d on the
    // remote (no IN_MOVED_FROM). sersync-ts produces the fixed output; and since
    // the watcher cannot tell a move-out from a delete, the vanished d is deleted
    // remotely when <delete> is on (README: differences).
    const c = await s.case('c07', { 'd/sub/old.txt': 'o\n' });
    const p = await pair(c, { moveFrom: false });
    const second = await renameDir(c, p);
    assert.ok(!second.some((l) => l.includes('"./d/')), `no sync of a stale path: ${second.join('\n')}`);
    assertOnlyNewPathOrStaleDeletes(c, second);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 8: links and FIFOs, stock toggles — sersync-ts syncs them (sersync2 did not); `touch` syncs the file', async () => {
    const c = await s.case('c08', { 'orig.txt': 'o\n' });
    const p = await pair(c);
    fs.symlinkSync('orig.txt', path.join(c.w, 'sym'));
    fs.linkSync(path.join(c.w, 'orig.txt'), path.join(c.w, 'hard'));
    assert.equal((await run('mkfifo', [path.join(c.w, 'fifo')])).code, 0);
    await until('./sym, ./hard and ./fifo', () => ['sym', 'hard', 'fifo'].every((n) => p.dry.commands().some((l) => l.includes(`"./${n}"`))));
    const first = await p.dry.settle();
    // The new hard link changes orig.txt's link count (IN_ATTRIB → `update`): a push of it is allowed too.
    assertCommandSet(first.filter((l) => !l.includes('"./orig.txt"')), [sync('sym'), sync('hard'), sync('fifo')], c.w);
    await run('touch', [path.join(c.w, 'orig.txt')]);
    await until('./orig.txt after touch', () => p.dry.commands().slice(first.length).some((l) => l.includes('"./orig.txt"')));
    const second = (await p.dry.settle()).slice(first.length);
    assertCommandSet(second, [sync('orig.txt')], c.w);
    await waitForConvergence(c.w, c.mirror);
    const remote = await snapshotTree(c.mirror);
    assert.equal(remote.get('sym')?.type, 'symlink');
    assert.equal(remote.get('fifo')?.special, 'fifo');
    await finish(p);
  });

  it('case 9: createFile on — `touch newfile` and `ln -s x sym` are synced; no inverted start-up message', async () => {
    const c = await s.case('c09');
    const p = await pair(c, { createFile: true });
    // sersync2 prints "will ignore the inotify createFile event" when createFile is ON
    // (a bug, §9 item 7); sersync-ts does not print that false statement.
    assert.doesNotMatch(p.dry.cli.stdout, /will ignore the inotify createFile event/);
    await run('touch', [path.join(c.w, 'newfile')]);
    fs.symlinkSync('x', path.join(c.w, 'sym'));
    await until('./newfile and ./sym', () => ['newfile', 'sym'].every((n) => p.dry.commands().some((l) => l.includes(`"./${n}"`))));
    const cmds = await p.dry.settle();
    assertCommandSet(cmds, [sync('newfile'), sync('sym')], c.w);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 10: modify on, merging — create + write + close of m.txt gives exactly one `./m.txt`', async () => {
    const c = await s.case('c10');
    const p = await pair(c, { modify: true, createFile: true });
    write(c, 'm.txt', 'merged\n');
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), [sync('m.txt')], c.w);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 11: attrib on, file — `chmod 600 a.txt` is pushed in the sync form (fixed: sersync2 used the delete form)', async () => {
    // sersync2: `… -R --delete ./   --include="a.txt" --exclude=*  …`, which happens to
    // transfer the file (§5.2). sersync-ts treats attrib as a push (§9 item 6): same remote result.
    const c = await s.case('c11', { 'a.txt': { content: 'a\n', mode: 0o644 } });
    const p = await pair(c, { attrib: true });
    fs.chmodSync(path.join(c.w, 'a.txt'), 0o600);
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), [T01], c.w);
    await waitForConvergence(c.w, c.mirror, { compareModes: true });
    assert.equal(fs.statSync(path.join(c.mirror, 'a.txt')).mode & 0o777, 0o600);
    await finish(p);
  });

  it('case 12: attrib on, dir — fixed mode: `chmod 700 d` pushes d, and `d/x` is still seen afterwards', async () => {
    // sersync2: a dir delete form for d, and d's watches are dropped, so d/x is never sent.
    const c = await s.case('c12', { 'd/f.txt': 'f\n' });
    fs.chmodSync(path.join(c.w, 'd'), 0o755);
    fs.chmodSync(path.join(c.mirror, 'd'), 0o755);
    const p = await pair(c, { attrib: true });
    fs.chmodSync(path.join(c.w, 'd'), 0o700);
    await p.dry.waitCommands(1);
    const first = await p.dry.settle();
    assertCommandSet(first, [sync('d')], c.w);
    write(c, 'd/x', '1\n');
    await until('./d/x', () => p.dry.commands().some((l) => l.includes('"./d/x"')));
    assertCommandSet((await p.dry.settle()).slice(first.length), [sync('d/x')], c.w);
    await waitForConvergence(c.w, c.mirror, { compareModes: true });
    assert.equal(fs.statSync(path.join(c.mirror, 'd')).mode & 0o777, 0o700);
    await finish(p);
  });

  it('case 13: delete off — deletes never reach the remote; `-r` has no --delete', async () => {
    const c = await s.case('c13', { 'a.txt': 'a\n', 'x.txt': 'x\n' }, { 'remote-only.txt': 'r\n' });
    const p = await pair(c, { delete: false }, ['-r']);
    for (const r of [p.real, p.dry]) assert.match(r.cli.stdout, /^will ignore the inotify delete event$/m);
    // sersync-ts runs -r once watching has started, so the line comes after `watch path is:`.
    const full = await p.dry.cli.waitForOutput(/^execute command: (.*)$/m, 10000, 'stdout');
    assertCommand(full[1]!, 'cd /data/www && rsync -artuz -R  ./ 10.0.0.2::www >/dev/null 2>&1 ', c.w);
    await p.real.cli.waitForOutput(/^full sync to 127\.0\.0\.1::c13: .*\(-r;/m, 20000);
    assert.deepEqual(await listing(c.mirror), ['a.txt:file', 'remote-only.txt:file', 'x.txt:file'], '-r without --delete keeps remote-only files');

    fs.rmSync(path.join(c.w, 'x.txt'));
    fs.renameSync(path.join(c.w, 'a.txt'), path.join(c.w, 'b.txt'));
    await until('./b.txt', () => p.dry.commands().some((l) => l.includes('"./b.txt"')));
    // sersync2 also sends `… -R  ./   --include="a.txt" --exclude=*  …` (no --delete) for the
    // moved-away a.txt, which changes nothing remotely; sersync-ts leaves it out.
    assertCommandSet(await p.dry.settle(), [sync('b.txt')], c.w);
    await until('b.txt on the remote', () => fs.existsSync(path.join(c.mirror, 'b.txt')));
    await p.real.stop(); // all pushes are done before the process exits
    assert.deepEqual(await listing(c.mirror), ['a.txt:file', 'b.txt:file', 'remote-only.txt:file', 'x.txt:file']);
    await finish(p);
  });

  it('case 19: two localpaths — the second one is ignored entirely (no watch, no commands), with a warning', async () => {
    const c = await s.case('c19');
    const other = path.join(c.dir, 'other');
    fs.mkdirSync(other);
    const extra = (module: string) => `\t<localpath watch="${other}">\n\t    <remote ip="127.0.0.1" name="${module}"/>\n\t</localpath>`;
    const [real, dry] = await Promise.all([
      s.startReal(c, { sersyncExtra: extra('c19b') }),
      s.startDry(c, { sersyncExtra: extra('www2') }),
    ]);
    assert.ok(dry.cli.stdout.includes(`second <localpath watch="${other}"> ignored`), dry.cli.stdout);
    fs.writeFileSync(path.join(other, 'o.txt'), 'o\n');
    write(c, 'a.txt', 'a\n');
    await dry.waitCommands(1);
    assertCommandSet(await dry.settle(), [T01], c.w);
    await waitForConvergence(c.w, c.mirror);
    assert.deepEqual(fs.readdirSync(s.rsyncd.moduleDir('c19b')), [], 'nothing reaches the second localpath\'s remote');
    await finish({ real, dry });
  });

  it('case 20: trailing slash — `watch="W/"` watches W and the commands are the same as without it', async () => {
    const c = await s.case('c20');
    const p = await pair(c, { watch: `${c.w}/` });
    for (const r of [p.real, p.dry]) assert.ok(r.cli.stdout.includes(`watch path is: ${c.w}\n`), r.cli.stdout);
    write(c, 'a.txt', 'a\n');
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), [T01], c.w);
    await waitForConvergence(c.w, c.mirror);
    await finish(p);
  });

  it('case 21: commonParams raw — `-az --bwlimit=1000` is spliced in as is; `params=""` means no options', async () => {
    const variants = [
      { id: 'c21a', params: '-az --bwlimit=1000', spec: 'cd /data/www && rsync -az --bwlimit=1000 -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ' },
      { id: 'c21b', params: '', spec: 'cd /data/www && rsync  -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ' },
    ];
    for (const v of variants) {
      const c = await s.case(v.id);
      const p = await pair(c, { commonParams: v.params });
      write(c, 'a.txt', 'a\n');
      await p.dry.waitCommands(1);
      assertCommandSet(await p.dry.settle(), [v.spec], c.w);
      await waitForConvergence(c.w, c.mirror);
      await finish(p);
    }
  });

  it('case 22: debug on — commands without the `>/dev/null 2>&1` suffix; every event and every rsync is shown', async () => {
    // sersync2 prints `inotify wd:1\tname:a.txt\tmask:8` and `add watch: …`; sersync-ts
    // logs the same facts through its logger (README: differences).
    const c = await s.case('c22');
    const p = await pair(c, { debug: true });
    for (const r of [p.real, p.dry]) assert.match(r.cli.stdout, /^Open debug, you will see debug infomation $/m);
    write(c, 'a.txt', 'a\n');
    await p.dry.waitCommands(1);
    assertCommandSet(await p.dry.settle(), ['cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www'], c.w);
    assert.ok(!p.dry.commands().some((l) => l.includes('/dev/null')), p.dry.commands().join('\n'));
    await waitForConvergence(c.w, c.mirror);
    await p.real.cli.waitForOutput(/DEBUG.* event (create|update) "a\.txt"/, 10000, 'stderr');
    await p.real.cli.waitForOutput(/DEBUG.* rsync "-artuz" "-R" .*"\.\/a\.txt" "127\.0\.0\.1::c22" → 0/, 10000, 'stderr');
    await finish(p);
  });
});
