// Issue 5, "Done when" (1) and (2): nothing is lost while the remote is down,
// through the automatic retry alone or through `--replay-faillog`; hostile
// names are replayed correctly by `sh <faillog>` and by `--replay-faillog`,
// and nothing is executed. Real CLI, real rsync daemon.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startCli, type CliProcess } from '../helpers/cli.js';
import { run } from '../helpers/exec.js';
import type { RsyncDaemon } from '../helpers/rsyncd.js';
import { diffTrees, snapshotTree, waitForConvergence } from '../helpers/tree.js';
import { HOSTILE, initialTree, injected, makeKit, readFailLog, readJournal, seedRemote, thousandChanges, uncovered, until, type Kit } from '../faillog/integrationKit.js';

const daemons: RsyncDaemon[] = [];
const clis: CliProcess[] = [];
after(async () => {
  await Promise.all(clis.map((c) => c.stop('SIGKILL', 0)));
  await Promise.all(daemons.map((d) => d.stop()));
});

async function kit(name: string, sersyncts: string): Promise<Kit> {
  const k = await makeKit(name, { sersyncts });
  daemons.push(k.rsyncd);
  return k;
}

function start(k: Kit): CliProcess {
  const cli = startCli(['-o', k.config], { cwd: k.dir });
  clis.push(cli);
  return cli;
}

const rels = (k: Kit) => new Set(readFailLog(k.failLog).entries.map((e) => e.rel));

describe('remote down during 1,000 changes (creates, modifies, deletes, renames, hostile names)', () => {
  it('the automatic retry alone brings the mirror back once the remote is up, and empties the fail log', async () => {
    const k = await kit('faillog-auto', 'retryBaseMs="100" retryMaxMs="1000"');
    initialTree(k);
    await seedRemote(k);
    const cli = start(k);
    await cli.waitForOutput(/watch path is: /, 15000);

    await k.rsyncd.stop();
    const touched = thousandChanges(k);
    // Every change was tried and failed twice: it is in the fail log (or its directory is).
    await until(
      () => uncovered(touched, rels(k)).length === 0,
      30000,
      () => `the fail log does not cover ${uncovered(touched, rels(k)).slice(0, 5).map((r) => JSON.stringify(r))}…`,
    );
    const { entries } = readFailLog(k.failLog);
    assert.equal(new Set(entries.map((e) => e.rel)).size, entries.length, 'one entry per path');
    assert.ok(entries.every((e) => e.status === 2560), '#errno 2560: rsync exit 10, connection refused');
    assert.equal(fs.statSync(k.failLog).mode & 0o777, 0o600);

    await k.rsyncd.start();
    const { ms } = await waitForConvergence(k.watch, k.dst, { timeoutMs: 30000 });
    await until(() => readFailLog(k.failLog).entries.length === 0, 10000, () => `the fail log still has ${readFailLog(k.failLog).entries.length} entries`);
    assert.ok(fs.existsSync(path.join(k.dst, 'starfish')), 'deleting "star*" did not delete its neighbour');
    assert.deepEqual(injected(k.dir, k.rsyncd.dir, process.cwd()), []);
    assert.equal(cli.output.match(/push to 127\.0\.0\.1::www failed: .*Connection refused/g)?.length, 1, 'the cause is said once');
    assert.match(cli.output, /reachable again/);
    assert.equal(await cli.stop(), 0);
    console.log(`# converged ${ms} ms after the remote came back (automatic retry)`);
  });

  it('with the retry held off, `--replay-faillog` brings the mirror back, exits 0 and leaves the fail log empty', async () => {
    const k = await kit('faillog-cron', 'retryBaseMs="3600000" retryMaxMs="3600000"');
    initialTree(k);
    await seedRemote(k);
    const cli = start(k);
    await cli.waitForOutput(/watch path is: /, 15000);

    await k.rsyncd.stop();
    const touched = thousandChanges(k);
    // The daemon has seen every change (its journal holds them), then stops: what is
    // pending goes to the fail log.
    await until(() => uncovered(touched, readJournal(k.stateDir)).length === 0, 30000, () => 'the journal does not cover every change');
    assert.equal(await cli.stop('SIGTERM'), 0);
    assert.deepEqual(uncovered(touched, rels(k)), [], 'the fail log covers every change');

    await k.rsyncd.start();
    const t0 = Date.now();
    const r = await runCli(['--replay-faillog', '-o', k.config], { cwd: k.dir, timeoutMs: 60000 });
    console.log(`# --replay-faillog: ${r.stdout.trim().replace(/^.*: /, '')} in ${Date.now() - t0} ms (process start to exit)`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /: replayed \d+, removed \d+, kept 0\n$/);
    assert.deepEqual(diffTrees(await snapshotTree(k.watch), await snapshotTree(k.dst)), [], 'converged by the replay alone');
    assert.equal(fs.readFileSync(k.failLog, 'latin1'), '', 'after a successful replay the fail log is empty');
    assert.deepEqual(injected(k.dir, k.rsyncd.dir, process.cwd()), []);

    const again = await runCli(['--replay-faillog', '-o', k.config], { cwd: k.dir });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /replayed 0, removed 0, kept 0/);
  });
});

describe('hostile names in the fail log', () => {
  it('`sh <faillog>` and `--replay-faillog` both push `x";touch INJECTED;".txt` and a name with a newline, and run nothing else', async () => {
    const k = await kit('faillog-sh', 'retryBaseMs="3600000" retryMaxMs="3600000"');
    const cli = start(k);
    await cli.waitForOutput(/watch path is: /, 15000);
    await k.rsyncd.stop();
    const names = [HOSTILE[0]!, HOSTILE[1]!, HOSTILE[2]!, HOSTILE[3]!];
    for (const n of names) fs.writeFileSync(Buffer.from(`${k.watch}/${n}`, 'latin1'), `content of ${JSON.stringify(n)}\n`);
    await until(() => uncovered(names, rels(k)).length === 0, 15000, () => `not all in the fail log: ${readFailLog(k.failLog).raw}`);
    assert.equal(await cli.stop('SIGTERM'), 0);
    const text = fs.readFileSync(k.failLog, 'latin1');
    assert.equal(readFailLog(k.failLog).entries.length, names.length, 'SIGTERM added no duplicates');

    await k.rsyncd.start();
    // 1. The file is still a valid /bin/sh script: run it for real.
    const sh = await run('sh', [k.failLog], { cwd: k.rsyncd.dir });
    assert.equal(sh.code, 0, sh.stderr);
    assert.deepEqual(diffTrees(await snapshotTree(k.watch), await snapshotTree(k.dst)), []);
    assert.equal(fs.readFileSync(k.failLog, 'latin1'), text, '`sh` cannot remove entries');
    assert.deepEqual(injected(k.dir, k.rsyncd.dir, process.cwd()), []);

    // 2. --replay-faillog, onto an emptied mirror.
    for (const n of fs.readdirSync(k.dst)) fs.rmSync(path.join(k.dst, n), { recursive: true });
    const r = await runCli(['--replay-faillog', '-o', k.config], { cwd: k.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(diffTrees(await snapshotTree(k.watch), await snapshotTree(k.dst)), []);
    assert.equal(fs.readFileSync(k.failLog, 'latin1'), '');
    assert.deepEqual(injected(k.dir, k.rsyncd.dir, process.cwd()), []);
  });

  it('`--replay-faillog` leaves an injected command line in the file and does not run it', async () => {
    const k = await kit('faillog-foreign', '');
    fs.writeFileSync(path.join(k.watch, 'a.txt'), 'a\n');
    const evil = `#errno 256\ncd ${k.watch} && rsync -artuz -R --port=${k.rsyncd.port} "./a.txt" 127.0.0.1::www; touch ${k.dir}/INJECTED\n\n`;
    const evil2 = `#errno 256\ncd ${k.watch} && rsync -artuz -R --port=${k.rsyncd.port} -e 'sh -c "touch ${k.dir}/INJECTED-e"' "./a.txt" 127.0.0.1::www\n\n`;
    fs.writeFileSync(k.failLog, evil + evil2, { mode: 0o600 });
    const r = await runCli(['--replay-faillog', '-o', k.config], { cwd: k.dir });
    assert.equal(r.code, 1, 'entries remain');
    assert.match(r.stdout, /kept 2 \(2 not replayable/);
    assert.match(r.stderr, /kept and not run/);
    assert.equal(fs.readFileSync(k.failLog, 'latin1'), evil + evil2);
    assert.deepEqual(injected(k.dir), []);
  });

  it('a fail log left world-writable (sersync2 chmod 777) is made 0600 at start-up, loudly', async () => {
    const k = await kit('faillog-777', '');
    fs.writeFileSync(k.failLog, '');
    fs.chmodSync(k.failLog, 0o777);
    const r = await runCli(['--replay-faillog', '-o', k.config], { cwd: k.dir });
    assert.equal(fs.statSync(k.failLog).mode & 0o777, 0o600);
    assert.match(r.stderr, /SECURITY: the fail log .* was writable by everyone \(mode 0777/);
    assert.equal(r.code, 0);
  });
});
