// Issue 5, "Done when" (5): SIGKILL during a burst, restart without -r:
// converged, thanks to the journal (sersync2 lost its whole queue). Real CLI,
// real rsync daemon; the first run's rsync is slowed down by a wrapper so that
// most of the burst is still pending (not failed: the fail log stays empty)
// when the daemon is killed.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startCli, type CliProcess } from '../helpers/cli.js';
import type { RsyncDaemon } from '../helpers/rsyncd.js';
import { diffTrees, snapshotTree, waitForConvergence } from '../helpers/tree.js';
import { burst, journalOwesReconcile, makeKit, readFailLog, readJournal, rsyncWrapper, seedRemote, uncovered, until } from '../faillog/integrationKit.js';

const daemons: RsyncDaemon[] = [];
const clis: CliProcess[] = [];
after(async () => {
  await Promise.all(clis.map((c) => c.stop('SIGKILL', 0)));
  await Promise.all(daemons.map((d) => d.stop()));
});

describe('the journal', () => {
  it('SIGKILL during a burst, restart without -r: what was pending is pushed, the mirror converges', async () => {
    const k = await makeKit('journal-kill');
    daemons.push(k.rsyncd);
    const slow = await rsyncWrapper(3);
    const first = startCli(['-o', k.config], { cwd: k.dir, env: { PATH: `${slow.binDir}:${process.env.PATH}` } });
    clis.push(first);
    await first.waitForOutput(/watch path is: /, 15000);

    const files = burst(k, 2000);
    // The journal is written in groups (≤ 100 ms): wait until every file of the burst
    // is either in it or already delivered (under load, the first slow rsyncs may finish).
    const unaccounted = () => uncovered(files, readJournal(k.stateDir)).filter((rel) => !fs.existsSync(`${k.dst}/${rel}`));
    await until(() => unaccounted().length === 0, 30000, () => `the journal does not hold ${unaccounted().length} files of the burst`);
    await first.stop('SIGKILL', 0);

    const before = diffTrees(await snapshotTree(k.watch), await snapshotTree(k.dst));
    assert.ok(before.length > 0, 'the kill left changes undelivered');
    assert.equal(readFailLog(k.failLog).entries.length, 0, 'nothing failed: only the journal knows');

    const second = startCli(['-o', k.config], { cwd: k.dir }); // no -r
    clis.push(second);
    await second.waitForOutput(/watch path is: /, 15000);
    assert.match(second.output, /journal: \d+ change\(s\) a previous run had not delivered .* are queued again/);
    const { ms } = await waitForConvergence(k.watch, k.dst, { timeoutMs: 40000 });
    console.log(`# restart after SIGKILL: ${before.length} differences, converged ${ms} ms after "watching"`);
    // Delivered and idle: the journal is truncated.
    await until(() => readJournal(k.stateDir).size === 0, 10000, () => 'the journal still has live entries');
    assert.equal(await second.stop('SIGTERM'), 0);
    assert.ok(fs.existsSync(k.stateDir));
  });

  it('SIGKILL in the middle of an event stream: the next start reconciles (the sweep for events the watcher may have dropped never ran)', async () => {
    const k = await makeKit('journal-kill-stream');
    daemons.push(k.rsyncd);
    const first = startCli(['-o', k.config], { cwd: k.dir });
    clis.push(first);
    await first.waitForOutput(/watch path is: /, 15000);
    // A steady stream of new files, one every 10 ms, in a few directories.
    let n = 0;
    const writer = setInterval(() => {
      fs.mkdirSync(`${k.watch}/s${n % 5}`, { recursive: true });
      fs.writeFileSync(`${k.watch}/s${n % 5}/f${n}.txt`, `stream ${n}\n`);
      n++;
    }, 10);
    try {
      await until(() => journalOwesReconcile(k.stateDir), 10000, () => 'the journal never said that a stream owes its sweep');
      await first.stop('SIGKILL', 0);
    } finally {
      clearInterval(writer);
    }
    // Written while nothing watches: it stands for an event dropped in the stream.
    fs.writeFileSync(`${k.watch}/unseen.txt`, 'never reported\n');

    const second = startCli(['-o', k.config], { cwd: k.dir }); // no -r
    clis.push(second);
    await second.waitForOutput(/watch path is: /, 15000);
    await second.waitForOutput(/previous run stopped while events were arriving.*reconciling/, 5000);
    const { ms } = await waitForConvergence(k.watch, k.dst, { timeoutMs: 40000 });
    console.log(`# restart after SIGKILL mid-stream (${n} files written): converged ${ms} ms after "watching"`);
    await until(() => !journalOwesReconcile(k.stateDir), 10000, () => 'the reconciliation ran but the journal still owes it');
    assert.equal(await second.stop('SIGTERM'), 0);
  });

  it('after SIGKILL, a watch root that is not the same directory (not mounted?) does not turn pending paths into remote deletes', async () => {
    const k = await makeKit('journal-unmounted');
    daemons.push(k.rsyncd);
    const files = burst(k, 200);
    await seedRemote(k);
    const slow = await rsyncWrapper(5);
    const first = startCli(['-o', k.config], { cwd: k.dir, env: { PATH: `${slow.binDir}:${process.env.PATH}` } });
    clis.push(first);
    await first.waitForOutput(/watch path is: /, 15000);
    for (const rel of files) fs.appendFileSync(`${k.watch}/${rel}`, 'changed\n');
    await until(() => uncovered(files, readJournal(k.stateDir)).length === 0, 20000, () => 'the journal does not hold the changes');
    await first.stop('SIGKILL', 0);

    // The data's file system "is not mounted": W is an empty directory now.
    fs.renameSync(k.watch, `${k.watch}.real`);
    fs.mkdirSync(k.watch);
    const second = startCli(['-o', k.config], { cwd: k.dir });
    clis.push(second);
    await second.waitForOutput(/are NOT deleted remotely/, 15000);
    await new Promise((r) => setTimeout(r, 1000));
    const left = fs.readdirSync(k.dst);
    assert.equal(left.length, 2, `the mirror keeps its copies: ${left.join(' ')}`);
    assert.equal(fs.readdirSync(`${k.dst}/b0`).length, 100);
    assert.equal(await second.stop('SIGTERM'), 0);
  });
});
