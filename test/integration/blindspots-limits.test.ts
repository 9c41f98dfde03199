// Nothing lost (issue 4), the inotify watch limit. One watch per directory,
// and fs.inotify.max_user_watches is shared by all processes of a user: when
// the tree does not fit, sersync-ts must not start half-blind but stop with
// one clear line naming the sysctl, the number needed and the command.
//
// The live case runs the real CLI in a user namespace whose own inotify watch
// limit (/proc/sys/user/max_inotify_watches, per namespace) is set below the
// tree's directory count, under a nested namespace where it is not root: the
// global limit, which other tests share, is never touched.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI_MAIN, startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { writeTree } from '../helpers/tree.js';
import { watchLimitMessage } from '../../src/watch/limits.js';
import { converge, reconciliations, sleep, WRITER_APPEND_ALL, WRITER_TREE, writeInChild } from './blindspots-kit.js';

const clis = new Set<CliProcess>();
const daemons = new Set<RsyncDaemon>();
after(async () => {
  await Promise.all([...clis].map((c) => c.stop()));
  await Promise.all([...daemons].map((d) => d.stop()));
  await removeTempDirs();
});

/** Can this process make a user namespace and set its inotify watch limit? */
function userNamespacesWork(): string | null {
  const probe = spawnSync('unshare', ['-U', '-r', '--', 'sh', '-c', 'echo 50 > /proc/sys/user/max_inotify_watches'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `no user namespaces with their own inotify limit here: ${(probe.stderr ?? '').trim() || probe.error?.message}`;
}

/**
 * Runs `node <args…>` inside a user namespace whose inotify watch limit is
 * `limit`, nested in one where it is not root (so it cannot raise limits).
 * argv: limit, then node's arguments. Signals are passed on.
 */
const LAUNCHER = `
const { spawn } = require('child_process');
const inner = "require('fs').writeFileSync('/proc/sys/user/max_inotify_watches', process.argv[1]);" +
  "const c = require('child_process').spawn('unshare', ['-U', '--', process.execPath, ...process.argv.slice(2)], { stdio: 'inherit' });" +
  "for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => c.kill(s));" +
  "c.on('exit', (code, sig) => process.exit(code ?? 1));";
const c = spawn('unshare', ['-U', '-r', '--', process.execPath, '-e', inner, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => c.kill(s));
c.on('exit', (code) => process.exit(code ?? 1));
`;

const currentLimit = async (): Promise<number> =>
  Number.parseInt(await readFile('/proc/sys/fs/inotify/max_user_watches', 'utf8'), 10);

/** The value in the message's `sysctl -w fs.inotify.max_user_watches=N`. */
function suggested(msg: string): number {
  const m = /sysctl -w fs\.inotify\.max_user_watches=(\d+)/.exec(msg);
  assert.ok(m, `no sysctl command in: ${msg}`);
  return Number(m[1]);
}

describe('watch limit: the message', () => {
  it('is one line naming fs.inotify.max_user_watches, its value, the directories needed and the sysctl command', async () => {
    const msg = watchLimitMessage('/srv/www', 250_000);
    assert.ok(!msg.includes('\n'), msg);
    assert.match(msg, /fs\.inotify\.max_user_watches is \d+/);
    assert.ok(msg.includes(String(await currentLimit())), msg);
    assert.match(msg, /250000 directories/);
    assert.match(msg, /\/srv\/www/);
    assert.ok(suggested(msg) >= 250_000, msg);
    assert.match(msg, /\/etc\/sysctl\.d\//);
  });

  it(
    'suggests a value above the current limit when the tree is smaller than it (other processes hold watches)',
    async () => {
      const cur = await currentLimit();
      const msg = watchLimitMessage('/srv/www', 201);
      assert.ok(suggested(msg) > cur, `suggests ${suggested(msg)} while the limit already is ${cur}: ${msg}`);
    },
  );
});

describe('watch limit: at start', () => {
  it('a tree with more directories than the watch limit: the CLI exits with the clear message', async (t) => {
    const why = userNamespacesWork();
    if (why) {
      t.skip(why);
      return;
    }
    const base = await makeTempDir('watchlimit');
    const src = path.join(base, 'src');
    for (let i = 0; i < 200; i++) await mkdir(path.join(src, `d${i}`), { recursive: true });
    const config = await writeConfig(base, { watch: src, remotes: [{ ip: '127.0.0.1', name: 'www' }] });
    // Outer namespace (mapped root): lower its watch limit to 50. Inner one
    // (unmapped, so the CLI is not root and cannot raise limits): the CLI.
    const launcher = `
      require('fs').writeFileSync('/proc/sys/user/max_inotify_watches', '50');
      const r = require('child_process').spawnSync('unshare', ['-U', '--', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', timeout: 60000 });
      process.exit(r.status ?? 99);`;
    const r = spawnSync('unshare', ['-U', '-r', '--', process.execPath, '-e', launcher, CLI_MAIN, '-o', config], {
      encoding: 'utf8',
      env: { ...process.env, SERSYNC_TS_STATE_DIR: path.join(base, 'state') },
      timeout: 90_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.notEqual(r.status, 0, `the CLI started anyway:\n${out}`);
    assert.match(r.stderr, /not enough inotify watches/, out);
    assert.match(r.stderr, /fs\.inotify\.max_user_watches/, out);
    assert.match(r.stderr, /201 directories/, out);
    assert.match(r.stderr, /sysctl -w fs\.inotify\.max_user_watches=\d+/, out);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'a stack trace');
    t.diagnostic(r.stderr.trim().split('\n').pop() ?? '');
  });
});

describe('watch limit: at run time', () => {
  it('new directories beyond the limit: reported, and their changes reach the remote through the audit', async (t) => {
    const why = userNamespacesWork();
    if (why) {
      t.skip(why);
      return;
    }
    const base = await makeTempDir('watchlimit-run');
    const src = path.join(base, 'src');
    await writeTree(src, { 'a/1.txt': '1\n', 'b/2.txt': '2\n' });
    const d = await startRsyncDaemon({ auth: true });
    daemons.add(d);
    const dst = d.moduleDir('www');
    spawnSync('cp', ['-a', `${src}/.`, dst]);
    const config = await writeConfig(base, {
      watch: src,
      remotes: [{ ip: '127.0.0.1', name: 'www' }],
      auth: { users: d.user, passwordFile: d.passwordFile },
      port: d.port,
      extra: '<sersyncts auditInterval="4"/>',
    });
    const launcher = path.join(base, 'launcher.cjs');
    await writeFile(launcher, LAUNCHER);
    // 3 directories now; room for 40 watches: a copy of 100 more outgrows it.
    const cli = startCli(['40', CLI_MAIN, '-o', config], { cwd: base, main: launcher, env: { SERSYNC_TS_STATE_DIR: path.join(base, 'state') } });
    clis.add(cli);
    await cli.waitForOutput(/watch path is: .*\n/, 30_000);
    const outside = path.join(base, 'outside');
    await writeInChild(WRITER_TREE, [outside, 'tree', '100', '2', 'flat']);
    const r = spawnSync('/bin/cp', ['-r', path.join(outside, 'tree'), path.join(src, 'many')]);
    assert.equal(r.status, 0, String(r.stderr));
    const first = await converge(src, dst, 60_000, 250);
    await sleep(1000);
    const n = Number(await writeInChild(WRITER_APPEND_ALL, [path.join(src, 'many')]));
    assert.equal(n, 200);
    const second = await converge(src, dst, 60_000, 250);
    await cli.waitForOutput(/directories have no watch/, 15_000);
    const m = { cli } as Parameters<typeof reconciliations>[0];
    const lines = cli.output.split('\n').filter((l) => /no watch|watch limit|max_user_watches|No space/.test(l));
    t.diagnostic(`copy converged in ${first} ms, appends in ${second} ms; ${reconciliations(m)}; said: ${JSON.stringify(lines.slice(0, 3))}`);
    await t.test(
      'says the watch limit is the cause, with the sysctl to raise',
      async () => {
        // The failed rebuild reports after its subscribe gave up: wait for either outcome.
        await cli.waitForOutput(/fs\.inotify\.max_user_watches|watches rebuilt/, 20_000);
        assert.match(cli.output, /fs\.inotify\.max_user_watches/);
        assert.doesNotMatch(cli.output, /watches rebuilt/);
      },
    );
  });
});
