// Full syncs end to end: the real CLI, a real rsync daemon with auth.
// Spec §5.5, §10 cases 13–15, 25, 26; issue 6.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { CLI_MAIN, startCli, type CliProcess } from '../helpers/cli.js';
import { spawnGroup, stopGroup } from '../helpers/procs.js';
import { writeConfig, type ConfigOptions } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { startSshd } from '../helpers/sshd.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { showPath, snapshotTree, waitForConvergence, writeTree } from '../helpers/tree.js';

const running = new Set<CliProcess>();
const daemons = new Set<RsyncDaemon>();
after(async () => {
  await Promise.all([...running].map((c) => c.stop()));
  await Promise.all([...daemons].map((d) => d.stop()));
  await removeTempDirs();
});

async function daemon(): Promise<RsyncDaemon> {
  const d = await startRsyncDaemon({ auth: true });
  daemons.add(d);
  return d;
}

function baseConfig(watch: string, d: RsyncDaemon, extra: Partial<ConfigOptions> = {}): ConfigOptions {
  return {
    watch,
    remotes: [{ ip: '127.0.0.1', name: 'www' }],
    auth: { users: d.user, passwordFile: d.passwordFile },
    port: d.port,
    ...extra,
  };
}

function start(args: string[], cwd: string, env: Record<string, string> = {}): CliProcess {
  const cli = startCli(args, { cwd, env });
  running.add(cli);
  return cli;
}

async function stop(cli: CliProcess): Promise<void> {
  running.delete(cli);
  await cli.stop();
}

/** The relative paths of a tree, as display strings, sorted. */
async function paths(root: string): Promise<string[]> {
  return [...(await snapshotTree(root)).keys()].map(showPath).sort();
}

const SUMMARY_TTY = /full sync to 127\.0\.0\.1::www: \d+ files, \d+ bytes, [\d.]+ s \(-r; \d+ transferred, \d+ deleted\)\r?\n/;
const SUMMARY = /full sync to 127\.0\.0\.1::www: (\d+) files, (\d+) bytes, ([\d.]+) s \(-r; (\d+) transferred, (\d+) deleted\)\n/;

describe('fullsync: -r', () => {
  it('starts watching first, prints sersync2 lines, pushes pre-existing files (hostile names too), deletes remote-only ones, and ends with a summary line', async () => {
    const d = await daemon();
    const dir = await makeTempDir('fs-r');
    const w = path.join(dir, 'w');
    await mkdir(w);
    await writeTree(w, [
      ['a.txt', 'a'],
      ['d/e/f.txt', 'f'],
      ['.dot', 'dot-files are sent by full syncs'],
      ['empty', { dir: true }],
      [Buffer.from('new\nline'), 'nl'],
      [Buffer.from([0x62, 0x61, 0x64, 0xff]), 'invalid utf-8'],
      ['ln', { symlink: 'a.txt' }],
    ]);
    await writeTree(d.moduleDir('www'), { 'stale.txt': 'remote only', 'old/x': 'remote only dir' });
    const cfg = await writeConfig(dir, baseConfig(w, d));
    const cli = start(['-r', '-o', cfg], dir);

    const summary = await cli.waitForOutput(SUMMARY, 20000, 'stdout');
    const out = cli.stdout;
    const order = ['watch path is: ', 'rsync the directory recursivly to the remote servers once', 'working please wait...', 'execute command: '];
    const at = order.map((s) => out.indexOf(s));
    assert.ok(at.every((i) => i >= 0), out);
    assert.deepEqual([...at].sort((x, y) => x - y), at, 'watching starts before the full sync');
    assert.match(out, new RegExp(`execute command: cd ${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} && rsync -artuz -R --delete ./  --port=${d.port} sersync@127\\.0\\.0\\.1::www --password-file=`));
    assert.equal(Number(summary[5]), 3, 'stale.txt, old, old/x');
    await waitForConvergence(w, d.moduleDir('www'), { timeoutMs: 5000 });
    await stop(cli);
  });

  it('delete off: nothing remote-only is deleted (§10 case 13: -R  ./ with no --delete)', async () => {
    const d = await daemon();
    const dir = await makeTempDir('fs-r-nodel');
    const w = path.join(dir, 'w');
    await mkdir(w);
    await writeTree(w, { 'a.txt': 'a' });
    await writeTree(d.moduleDir('www'), { 'stale.txt': 'remote only' });
    const cfg = await writeConfig(dir, baseConfig(w, d, { delete: false }));
    const cli = start(['-r', '-o', cfg], dir);
    await cli.waitForOutput(SUMMARY, 20000, 'stdout');
    assert.match(cli.stdout, /execute command: cd \S+ && rsync -artuz -R  \.\/  --port=/);
    assert.deepEqual(await paths(d.moduleDir('www')), ['"a.txt"', '"stale.txt"']);
    await stop(cli);
  });
});

describe('fullsync: -r progress on a terminal', () => {
  const haveScript = existsSync('/usr/bin/script') || existsSync('/bin/script');
  it('draws a live line per remote in place and replaces it with the summary', { skip: haveScript ? false : 'no script(1) for a pseudo-terminal' }, async () => {
    const d = await daemon();
    const dir = await makeTempDir('fs-tty');
    const w = path.join(dir, 'w');
    await mkdir(w);
    await writeTree(w, Object.fromEntries(Array.from({ length: 300 }, (_v, i) => [`f${i}`, 'x'.repeat(1000)])));
    const cfg = await writeConfig(dir, baseConfig(w, d));
    // script(1) gives the CLI a pseudo-terminal as stdout; `timeout` is only a safety net.
    const child = spawnGroup('script', ['-qc', `exec timeout 30 ${process.execPath} ${CLI_MAIN} -r -o ${cfg}`, '/dev/null'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (t: string) => (out += t));
    const deadline = Date.now() + 20000;
    while (!SUMMARY_TTY.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const pid = /pid (\d+), pid file/.exec(out)?.[1];
    if (pid) process.kill(Number(pid), 'SIGTERM');
    await stopGroup(child, { graceMs: 5000 });
    assert.match(out, SUMMARY_TTY, out.slice(-2000));
    // The block is drawn with erase-line, then erased (cursor up + clear to end) before the summary.
    assert.match(out, /\x1b\[2Kfull sync to 127\.0\.0\.1::www: /);
    assert.match(out, /\x1b\[1F\x1b\[Jfull sync to 127\.0\.0\.1::www: 301 files, 300000 bytes/);
  });
});

describe('fullsync: -r with the main filter (sersync2 refuses; sersync-ts builds the list)', () => {
  it('leaves excluded files out, deletes remote-only files, keeps remote files the filter excludes', async () => {
    const d = await daemon();
    const dir = await makeTempDir('fs-r-filter');
    const w = path.join(dir, 'w');
    await mkdir(w);
    await writeTree(w, {
      'a.txt': 'a',
      'a.gz': 'excluded (root, bare name)',
      'keep/k.gz': 'excluded (/keep/k.gz)',
      'keep/k.txt': 'k',
      'info/i.txt': 'excluded: info/ is pruned at start-up',
      'sub/info/i.txt': 'not the root info',
      'a/deep/d.txt': 'a/deep/ does not match (.*)/deep',
      '.hidden': 'dot-files are sent',
    });
    await writeTree(d.moduleDir('www'), {
      'stale.txt': 'remote only: deleted',
      'old/b.txt': 'remote only: deleted',
      'old/keep.gz': 'remote only but excluded: kept (and so is old/)',
      'r.gz': 'remote only but excluded: kept',
      'info/remote.txt': 'inside an excluded dir: kept',
    });
    const cfg = await writeConfig(dir, baseConfig(w, d, { filter: ['(.*)\\.gz', '^info/*', '(.*)/deep'] }));
    const cli = start(['-r', '-o', cfg], dir);
    const summary = await cli.waitForOutput(SUMMARY, 20000, 'stdout');
    assert.doesNotMatch(cli.stdout, /can not work/);
    assert.match(cli.stdout, /the filter is on/);
    assert.equal(Number(summary[5]), 2, 'stale.txt and old/b.txt');
    assert.deepEqual(await paths(d.moduleDir('www')), [
      '".hidden"',
      '"a"',
      '"a.txt"',
      '"a/deep"',
      '"a/deep/d.txt"',
      '"info"',
      '"info/remote.txt"',
      '"keep"',
      '"keep/k.txt"',
      '"old"',
      '"old/keep.gz"',
      '"r.gz"',
      '"sub"',
      '"sub/info"',
      '"sub/info/i.txt"',
    ]);
    await stop(cli);
  });
});

describe('fullsync: ssh mode (§10 case 18)', () => {
  it('-r with the main filter lists and cleans <ip>:<path with a space>/ through ssh', async () => {
    const sshd = await startSshd();
    try {
      const dir = await makeTempDir('fs-ssh');
      const w = path.join(dir, 'w');
      await mkdir(w);
      await writeTree(w, { 'a.txt': 'a', 'b.gz': 'excluded', 'sub/c.txt': 'c' });
      const remote = path.join(sshd.remoteDir, 'with space $(touch INJECTED)');
      await mkdir(remote);
      await writeTree(remote, { 'stale.txt': 'deleted', 'r.gz': 'excluded: kept', 'old/x.txt': 'deleted' });
      const cfg = await writeConfig(dir, { watch: w, remotes: [{ ip: '127.0.0.1', name: remote }], ssh: true, filter: ['(.*)\\.gz'] });
      const cli = start(['-r', '-o', cfg], dir, sshd.env);
      const m = await cli.waitForOutput(/full sync to 127\.0\.0\.1:[^\n]*: (\d+) files, \d+ bytes, [\d.]+ s \(-r; \d+ transferred, (\d+) deleted\)\n/, 20000, 'stdout');
      assert.equal(Number(m[2]), 3, 'stale.txt, old, old/x.txt');
      assert.deepEqual(await paths(remote), ['"a.txt"', '"r.gz"', '"sub"', '"sub/c.txt"']);
      assert.deepEqual(await paths(sshd.remoteDir), ['"with space $(touch INJECTED)"', ...(await paths(remote)).map((p) => `"with space $(touch INJECTED)/${p.slice(1)}`)]);
      await stop(cli);
    } finally {
      await sshd.stop();
    }
  });
});

describe('fullsync: crontab (§10 case 25; the fast minute test hook)', () => {
  it('runs every period with the crontabfilter and the main filter, and repairs a file deleted on the remote by hand', async () => {
    const d = await daemon();
    const dir = await makeTempDir('fs-cron');
    const w = path.join(dir, 'w');
    await mkdir(w);
    await writeTree(w, {
      'a.txt': 'a',
      'x.php': 'crontabfilter *.php',
      'info/i.txt': 'crontabfilter info/*',
      'y.gz': 'main filter (.*)\\.gz',
      'sub/z.txt': 'z',
    });
    await writeTree(d.moduleDir('www'), { 'r.php': 'remote, excluded by the crontabfilter: kept', 'stale.txt': 'deleted' });
    const cfg = await writeConfig(dir, baseConfig(w, d, { filter: ['(.*)\\.gz'], crontab: { schedule: 1, excludes: ['*.php', 'info/*'] } }));
    const t0 = Date.now();
    const cli = start(['-o', cfg], dir, { SERSYNC_TS_CRONTAB_MINUTE_MS: '1500' });
    await cli.waitForOutput(/watch path is: /);
    assert.match(cli.stdout, /Start the crontab \tEvery 1 minutes rsync all the files to the remote servers entirely/);
    assert.deepEqual(await paths(d.moduleDir('www')), ['"r.php"', '"stale.txt"'], 'no full sync at start-up');

    await cli.waitForOutput(/full sync to 127\.0\.0\.1::www: .*\(crontab; /, 15000, 'stderr');
    assert.ok(Date.now() - t0 >= 1500, 'the first run comes one (fast) minute after start');
    const expected = ['"a.txt"', '"info"', '"r.php"', '"sub"', '"sub/z.txt"'];
    assert.deepEqual(await paths(d.moduleDir('www')), expected);

    // Someone deletes a file on the remote: the next run puts it back.
    await rm(path.join(d.moduleDir('www'), 'a.txt'));
    const runs = () => (cli.stderr.match(/full sync to 127\.0\.0\.1::www: .*\(crontab; /g) ?? []).length;
    const before = runs();
    await cli.waitForOutput(new RegExp(`(full sync to 127\\.0\\.0\\.1::www: .*\\(crontab; [^\\n]*\\n[^]*){${before + 1}}`), 15000, 'stderr');
    assert.deepEqual(await paths(d.moduleDir('www')), expected);
    await stop(cli);
  });

  it('a failed run is logged and retried at the next period, not written to the fail log', async () => {
    const d = await daemon();
    const dir = await makeTempDir('fs-cron-fail');
    const w = path.join(dir, 'w');
    await mkdir(w);
    await writeTree(w, { 'a.txt': 'a' });
    const failLog = path.join(dir, 'fail.sh');
    const cfg = await writeConfig(dir, baseConfig(w, d, { crontab: { schedule: 1 }, failLog: { path: failLog, minutes: 60 } }));
    await d.stop();
    const cli = start(['-o', cfg], dir, { SERSYNC_TS_CRONTAB_MINUTE_MS: '1000' });
    await cli.waitForOutput(/full sync to 127\.0\.0\.1::www failed after [\d.]+ s: .*\(crontab\); it runs again at the next crontab period/, 15000, 'stderr');
    await d.start();
    await cli.waitForOutput(/full sync to 127\.0\.0\.1::www: \d+ files, .*\(crontab; /, 15000, 'stderr');
    assert.deepEqual(await paths(d.moduleDir('www')), ['"a.txt"']);
    const log = await readFile(failLog, 'utf8').catch(() => '');
    assert.doesNotMatch(log, /rsync/, 'full syncs never reach the fail log');
    await stop(cli);
  });
});
