// The full-sync API others build on (issue 4 reconciliation): runFullSync with
// a delete guard, the controller's one-at-a-time folding, and the gap repair.
// A real rsync daemon with auth; no CLI.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FullSyncController } from '../../src/fullsync/controller.js';
import { type DeleteGuardInput, runFullSync } from '../../src/fullsync/fullSync.js';
import type { Markable } from '../../src/fullsync/gapRepair.js';
import { createLogger } from '../../src/log/logger.js';
import { fromText } from '../../src/util/bytepath.js';
import { writeConfig } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { showPath, snapshotTree, writeTree } from '../helpers/tree.js';

const daemons = new Set<RsyncDaemon>();
after(async () => {
  await Promise.all([...daemons].map((d) => d.stop()));
  await removeTempDirs();
});

const log = createLogger({ level: 'error' });

async function setup(filter?: string[]): Promise<{ d: RsyncDaemon; w: string; config: Config }> {
  const d = await startRsyncDaemon({ auth: true });
  daemons.add(d);
  const dir = await makeTempDir('fs-api');
  const w = path.join(dir, 'w');
  await mkdir(w);
  await writeTree(w, { 'a.txt': 'a', 'sub/b.txt': 'b' });
  await writeTree(d.moduleDir('www'), { 'stale.txt': 's', 'old/x': 'x' });
  const file = await writeConfig(dir, {
    watch: w,
    remotes: [{ ip: '127.0.0.1', name: 'www' }],
    auth: { users: d.user, passwordFile: d.passwordFile },
    port: d.port,
    ...(filter ? { filter } : {}),
  });
  return { d, w, config: loadConfig(file) };
}

async function paths(root: string): Promise<string[]> {
  return [...(await snapshotTree(root)).keys()].map(showPath).sort();
}

describe('fullsync API: runFullSync with a delete guard', () => {
  it('asks the guard with the counts before deleting, and a veto keeps the remote-only paths (the push still happens)', async () => {
    const { d, w, config } = await setup();
    const asked: DeleteGuardInput[] = [];
    const r = await runFullSync({ config, root: fromText(w), log }, { reason: 'audit', allowDelete: (p) => (asked.push(p), false) });
    assert.equal(r.ok, true);
    assert.equal(r.remotes[0]!.mode, 'list', 'a guard forces list mode (rsync --delete cannot be asked first)');
    assert.deepEqual(asked, [{ remote: '127.0.0.1::www', remoteIndex: 0, reason: 'audit', deleteCount: 3, remoteTotal: 6 }]);
    assert.match(r.remotes[0]!.deleteNote ?? '', /vetoed: 3 of 6/);
    assert.deepEqual(await paths(d.moduleDir('www')), ['"a.txt"', '"old"', '"old/x"', '"stale.txt"', '"sub"', '"sub/b.txt"']);

    const r2 = await runFullSync({ config, root: fromText(w), log }, { reason: 'audit', allowDelete: () => true });
    assert.equal(r2.remotes[0]!.deleted, 3);
    assert.deepEqual(await paths(d.moduleDir('www')), ['"a.txt"', '"sub"', '"sub/b.txt"']);
  });

  it('reports a remote that cannot be reached as a failure with rsync\'s reason, and never throws', async () => {
    const { d, w, config } = await setup();
    await d.stop();
    const r = await runFullSync({ config, root: fromText(w), log }, { reason: 'crontab' });
    assert.equal(r.ok, false);
    assert.match(r.remotes[0]!.error ?? '', /rsync exit 10/);
  });
});

describe('fullsync API: gap repair', () => {
  it('marks again, after the full sync, every path the live pipeline marked while it ran', async () => {
    const { w, config } = await setup();
    const marks: Array<[string, string]> = [];
    const sender: Markable = { mark: (rel, kind) => void marks.push([rel, kind]) };
    const running = runFullSync({ config, root: fromText(w), log, senders: [sender] }, { reason: '-r' });
    sender.mark('during.txt', 'file', Date.now()); // the live pipeline at work
    sender.mark('gone', 'delete', Date.now());
    sender.mark('during.txt', 'file', Date.now());
    const r = await running;
    assert.equal(r.remotes[0]!.remarked, 2);
    assert.deepEqual(marks.slice(3), [
      ['during.txt', 'file'],
      ['gone', 'delete'],
    ]);
    sender.mark('after.txt', 'file', Date.now());
    assert.equal(marks.length, 6, 'recording stopped with the full sync');
  });
});

describe('fullsync API: the controller', () => {
  it('runs one full sync at a time: requests made meanwhile fold into one follow-up, and every guard of it must agree', async () => {
    const { w, config } = await setup();
    const c = new FullSyncController({ config, root: fromText(w), log, out: () => undefined });
    const first = c.run('-r', { allowDelete: () => false });
    const guards: string[] = [];
    const second = c.run('overflow', { allowDelete: () => (guards.push('a'), true) });
    const third = c.run('lost root', { allowDelete: () => (guards.push('b'), false) });
    assert.equal(c.status().queued, true);
    const [r1, r2, r3] = await Promise.all([first, second, third]);
    assert.equal(r1.reason, '-r');
    assert.equal(r2, r3, 'the two later requests share one run');
    assert.equal(r2.reason, 'overflow, lost root');
    assert.deepEqual(guards, ['a', 'b']);
    assert.match(r2.remotes[0]!.deleteNote ?? '', /vetoed/);
    const st = c.status();
    assert.equal(st.running, false);
    assert.equal(st.remotes[0]!.runs, 2);
    assert.equal(st.remotes[0]!.lastReason, 'overflow, lost root');
    assert.equal(st.remotes[0]!.failures, 0);
    c.stop();
  });
});
