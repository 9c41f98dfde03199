// The argv builders against a real `rsync --daemon` on 127.0.0.1 (with auth and
// --port): what the remote looks like after each kind of call.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { diffTrees, snapshotTree, writeTree, type Tree, type TreeSpec } from '../helpers/tree.js';
import {
  buildBatchPush,
  buildFailLogCommand,
  buildFilePush,
  buildFullSync,
  filesFromList,
  sersync2Argv,
  type PushOp,
  type RsyncInvocation,
} from '../../src/rsync/argv.js';
import { runRsync } from '../../src/rsync/run.js';
import { formatEntry } from '../../src/faillog/format.js';
import type { Config, Remote } from '../../src/config/types.js';
import { type BytePath, fromText, toBuffer } from '../../src/util/bytepath.js';
import { stockConfig } from './configFixture.js';

let d: RsyncDaemon;
let W = '';
let MOD = '';
let config: Config;
let remote: Remote;

function configFor(edit?: (c: Config) => void): Config {
  return stockConfig((c) => {
    c.localPath = fromText(W);
    c.remotes = [{ ip: '127.0.0.1', name: 'www' }];
    c.rsync.auth = { enabled: true, users: d.user, passwordFile: fromText(d.passwordFile) };
    c.rsync.userDefinedPort = { enabled: true, port: String(d.port) };
    c.rsync.timeout = { enabled: true, time: '30' };
    edit?.(c);
  });
}

before(async () => {
  d = await startRsyncDaemon({ auth: true, modules: ['www', 'full'] });
  W = await makeTempDir('argv-w');
  MOD = d.moduleDir('www');
  config = configFor();
  remote = config.remotes[0]!;
});
after(async () => {
  await d?.stop();
});

/** Entries of `spec` (byte-string names) below root. */
async function put(root: string, spec: Array<[BytePath, string | { dir: true }]>): Promise<void> {
  const pairs: TreeSpec = spec.map(([rel, v]): [Buffer, string | { dir: true }] => [toBuffer(rel), v]);
  await writeTree(root, pairs);
}

async function subtree(root: string, top: BytePath): Promise<Tree> {
  const all = await snapshotTree(root);
  const out: Tree = new Map();
  for (const [k, v] of all) if (top === '' || k === top || k.startsWith(`${top}/`)) out.set(k, v);
  return out;
}

async function same(top: BytePath): Promise<void> {
  assert.deepEqual(diffTrees(await subtree(W, top), await subtree(MOD, top)), []);
}

async function names(root: string, top: BytePath): Promise<BytePath[]> {
  return [...(await subtree(root, top)).keys()].sort();
}

async function runAll(invs: RsyncInvocation[]): Promise<void> {
  assert.ok(invs.length > 0);
  for (const inv of invs) {
    const r = await runRsync(inv);
    assert.equal(r.exitCode, 0, `rsync ${inv.args.join(' ')} failed: ${r.stderr}`);
  }
}

const HOSTILE: BytePath[] = [
  'sp ace.txt',
  'q"uote',
  "it's",
  '$HOME',
  '`touch INJECTED`',
  'semi;colon',
  'new\nline',
  '-leading',
  '--delete',
  'star*',
  'qm?',
  'br[1]',
  'back\\slash',
  ' lead and trail ',
  '\xff\xfe',
  'lat\xe9n1',
  fromText('ünïcødé'),
  'd/nested\xff/f',
];

describe('batched pushes on a real rsync daemon', () => {
  it('pushes files with hostile and invalid-UTF-8 names in one call, byte for byte', async () => {
    await put(W, HOSTILE.map((n) => [`t1/${n}`, `content of ${n}`] as [BytePath, string]));
    const ops: PushOp[] = HOSTILE.map((n) => ({ rel: `t1/${n}`, kind: 'file' }));
    const invs = buildBatchPush(config, remote, ops);
    assert.equal(invs.length, 1);
    await runAll(invs);
    await same('t1');
    assert.ok(!(await names(W, '')).includes('INJECTED'));
  });

  it('pushes one hostile valid-UTF-8 name with the per-file sersync2 form, and an invalid one via the fallback', async () => {
    const good = 't1b/a b;$(x)"\'`y`\n.txt';
    const bad = 't1b/\xff only';
    await put(W, [
      [good, 'g'],
      [bad, 'b'],
    ]);
    const inv = buildFilePush(config, remote, good);
    assert.ok(!inv.args.includes('--files-from=-'));
    await runAll([inv]);
    await runAll([buildFilePush(config, remote, bad)]);
    await same('t1b');
  });

  it('pushes a changed file even when size and mtime second are unchanged (--ignore-times)', async () => {
    await put(W, [['t1c/f', 'AAAA']]);
    await runAll([buildFilePush(config, remote, 't1c/f')]);
    const t = new Date('2020-01-01T00:00:00Z');
    const { utimes } = await import('node:fs/promises');
    await utimes(path.join(W, 't1c/f'), t, t);
    await utimes(path.join(MOD, 't1c/f'), t, t);
    await writeFile(path.join(W, 't1c/f'), 'BBBB');
    await utimes(path.join(W, 't1c/f'), t, t);
    await runAll(buildBatchPush(config, remote, [{ rel: 't1c/f', kind: 'file' }]));
    await same('t1c');
  });

  it('deletes a file and a non-empty directory in one call, and nothing else', async () => {
    await put(W, [
      ['t2/keep.txt', 'k'],
      ['t2/gone.txt', 'g'],
      ['t2/gd/sub/x', 'x'],
      ['t2/gd/y', 'y'],
    ]);
    await runAll(buildBatchPush(config, remote, [{ rel: 't2', kind: 'dir' }]));
    await put(MOD, [['t2/remote-only', 'r']]);
    await rm(path.join(W, 't2/gone.txt'));
    await rm(path.join(W, 't2/gd'), { recursive: true });
    await runAll(
      buildBatchPush(config, remote, [
        { rel: 't2/gone.txt', kind: 'delete' },
        { rel: 't2/gd', kind: 'delete' },
        { rel: 't2/gd/sub/x', kind: 'delete' },
      ]),
    );
    assert.deepEqual(await names(MOD, 't2'), ['t2', 't2/keep.txt', 't2/remote-only']);
  });

  it('a delete of a path that exists again locally pushes it (as the sersync2 delete form does)', async () => {
    await put(W, [['t2b/back', 'new']]);
    await put(MOD, [['t2b/back', 'old!']]);
    await runAll(buildBatchPush(config, remote, [{ rel: 't2b/back', kind: 'delete' }]));
    await same('t2b');
  });

  it('a file that vanished before rsync ran: deleted remotely with delete on; exit 0 and left alone with delete off', async () => {
    await put(MOD, [
      ['t2c/vanished', 'v'],
      ['t2c/vanished2', 'v'],
    ]);
    await put(W, [['t2c/here', 'h']]);
    await runAll(buildBatchPush(config, remote, [{ rel: 't2c/vanished', kind: 'file' }]));
    const off = configFor((c) => (c.inotify.delete = false));
    await runAll(buildBatchPush(off, remote, [{ rel: 't2c/vanished2', kind: 'file' }]));
    assert.deepEqual(await names(MOD, 't2c'), ['t2c', 't2c/vanished2']);
  });

  it('a directory push with --delete removes stale remote children only inside that directory', async () => {
    await put(W, [
      ['t3/d/new.txt', 'n'],
      ['t3/d/sub/n', 'n'],
      ['t3/d2/kept-local', 'k'],
    ]);
    await put(MOD, [
      ['t3/d/stale.txt', 's'],
      ['t3/d/sub/stale', 's'],
      ['t3/d/staledir/deep/s', 's'],
      ['t3/outside-stale', 's'],
      ['t3/d2/stale', 's'],
    ]);
    const invs = buildBatchPush(config, remote, [
      { rel: 't3/d', kind: 'dir' },
      { rel: 't3/d/new.txt', kind: 'file' },
    ]);
    assert.equal(invs.length, 1);
    await runAll(invs);
    assert.deepEqual(diffTrees(await subtree(W, 't3/d'), await subtree(MOD, 't3/d')), []);
    assert.deepEqual(await names(MOD, 't3'), ['t3', 't3/d', 't3/d/new.txt', 't3/d/sub', 't3/d/sub/n', 't3/d2', 't3/d2/stale', 't3/outside-stale']);
  });

  it('creates missing parent directories of listed paths', async () => {
    await put(W, [['t4/a/b/c/deep.txt', 'd']]);
    await runAll(buildBatchPush(config, remote, [{ rel: 't4/a/b/c/deep.txt', kind: 'file' }]));
    await same('t4');
  });
});

describe('delete form with literal include patterns on a real rsync daemon (§9.18)', () => {
  before(async () => {
    await put(W, [['t5', { dir: true }]]);
  });

  it('deletes only the file literally named a*, not ab or a1', async () => {
    await put(MOD, [
      ['t5/a*', '1'],
      ['t5/ab', '2'],
      ['t5/a1', '3'],
    ]);
    const { cwd, args } = buildFailLogCommand(config, remote, { rel: 't5/a*', kind: 'delete' });
    const r = await runRsync({ args, cwd, paths: [] });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await names(MOD, 't5'), ['t5', 't5/a1', 't5/ab']);
  });

  it("sersync2's own unescaped form would have deleted them too (the bug)", async () => {
    await put(MOD, [['t5/a*', '1']]);
    const r = await runRsync({ args: sersync2Argv(config, remote, 't5/a*', 'delete', false), cwd: fromText(W), paths: [] });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await names(MOD, 't5'), ['t5']);
  });

  it('deletes a non-empty directory named d* (subtree include), leaving dd alone', async () => {
    await put(MOD, [
      ['t5/d*/x/y', '1'],
      ['t5/dd/x', '2'],
    ]);
    const { cwd, args } = buildFailLogCommand(config, remote, { rel: 't5/d*', kind: 'delete' });
    const r = await runRsync({ args, cwd, paths: [] });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await names(MOD, 't5'), ['t5', 't5/dd', 't5/dd/x']);
  });

  it('handles names rsync would read as rule prefixes ("- x", "+ y", "!") and a\\b', async () => {
    await put(MOD, [
      ['t5/- x', '1'],
      ['t5/x', '2'],
      ['t5/+ y', '3'],
      ['t5/!', '4'],
      ['t5/a\\b', '5'],
      ['t5/ab', '6'],
    ]);
    for (const rel of ['t5/- x', 't5/+ y', 't5/!', 't5/a\\b']) {
      const { cwd, args } = buildFailLogCommand(config, remote, { rel, kind: 'delete' });
      const r = await runRsync({ args, cwd, paths: [] });
      assert.equal(r.exitCode, 0, r.stderr);
    }
    assert.deepEqual(await names(MOD, 't5'), ['t5', 't5/ab', 't5/dd', 't5/dd/x', 't5/x']);
  });
});

describe('fail-log entries on a real rsync daemon', () => {
  it('an entry run by /bin/sh pushes the hostile file and injects nothing', async () => {
    const rel = 't6/inj";touch INJECTED;".txt';
    await put(W, [[rel, 'x']]);
    const { cwd, args } = buildFailLogCommand(config, remote, { rel, kind: 'file' });
    const script = path.join(W, '..', `fail-${path.basename(W)}.sh`);
    await writeFile(script, toBuffer(formatEntry(256, cwd, args)), { mode: 0o600 });
    execFileSync('sh', [script], { cwd: W, stdio: ['ignore', 'ignore', 'pipe'] });
    await rm(script);
    await same('t6');
    assert.ok(!(await names(W, '')).includes('INJECTED'));
  });
});

describe('full sync on a real rsync daemon', () => {
  it('with a file list: pushes exactly the listed paths even with -r in commonParams', async () => {
    await put(W, [
      ['t7/a.txt', 'a'],
      ['t7/skip.tmp', 's'],
      ['t7/d/b.txt', 'b'],
      ['t7/d/skip.tmp', 's'],
      ['t7/empty', { dir: true }],
    ]);
    const list = ['t7', 't7/a.txt', 't7/d', 't7/d/b.txt', 't7/empty'];
    await runAll([buildFullSync(config, remote, { excludes: [], filesFrom: filesFromList(list) })]);
    assert.deepEqual(await names(MOD, 't7'), list);
  });

  it('the plain shape mirrors W with --delete, leaving excluded remote paths alone', async () => {
    const w2 = await makeTempDir('argv-full');
    const mod2 = d.moduleDir('full');
    await put(w2, [
      ['a', 'a'],
      ['x.php', 'p'],
      ['d/b', 'b'],
    ]);
    await put(mod2, [
      ['remote-only', 'r'],
      ['d/stale', 's'],
      ['old.php', 'o'],
    ]);
    const c = configFor((x) => (x.localPath = fromText(w2)));
    await runAll([buildFullSync(c, { ip: '127.0.0.1', name: 'full' }, { excludes: ['*.php'] })]);
    assert.deepEqual(await names(mod2, ''), ['a', 'd', 'd/b', 'old.php']);
  });
});
