import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config, Remote } from '../../src/config/types.js';
import { classifyEntry } from '../../src/faillog/entries.js';
import { FailLog } from '../../src/faillog/failLog.js';
import { formatEntry, isParsed, parseFailLog } from '../../src/faillog/format.js';
import { FailLogReplayer, replayFailLog, replayFailLogOnce, type ReplayExecutor } from '../../src/faillog/replay.js';
import { buildFailLogCommand, sersync2Command, type RsyncInvocation } from '../../src/rsync/argv.js';
import type { RsyncResult } from '../../src/rsync/run.js';
import { fromBuffer } from '../../src/util/bytepath.js';
import { stockConfig } from '../rsync/configFixture.js';
import { makeTempDir } from '../helpers/tmp.js';
import { captureLog } from './captureLog.js';

const OK: RsyncResult = { exitCode: 0, signal: null, stderr: '', durationMs: 1, classification: 'ok' };
const DOWN: RsyncResult = { exitCode: 10, signal: null, stderr: 'rsync: [sender] failed to connect to 10.0.0.2: Connection refused (111)', durationMs: 1, classification: 'transient' };

interface Call {
  remote: string;
  args: string[];
  list: string[];
}

function recorder(answer: (remote: Remote, inv: RsyncInvocation) => RsyncResult) {
  const calls: Call[] = [];
  const execute: ReplayExecutor = async (inv, remote) => {
    const list = inv.stdin ? inv.stdin.toString('latin1').split('\0').filter(Boolean) : inv.args.filter((a) => a.startsWith('./')).map((a) => a.slice(2));
    calls.push({ remote: remote.ip, args: inv.args, list });
    return answer(remote, inv);
  };
  return { calls, execute };
}

async function setup(edit?: (c: Config) => void) {
  const dir = await makeTempDir('replay');
  const w = path.join(dir, 'w');
  fs.mkdirSync(w);
  fs.writeFileSync(path.join(w, 'other.txt'), 'W is the real data: not empty\n');
  const file = path.join(dir, 'rsync_fail_log.sh');
  const config = stockConfig((c) => {
    c.localPath = w;
    c.failLog.path = file;
    c.remotes = [
      { ip: '10.0.0.2', name: 'www' },
      { ip: '10.0.0.3', name: 'www' },
    ];
    edit?.(c);
  });
  const log = captureLog();
  const failLog = new FailLog({ config, root: w, log });
  return { dir, w, file, config, log, failLog };
}

type Setup = Awaited<ReturnType<typeof setup>>;

function ours(s: Setup, remoteIndex: number, rel: string, kind: 'file' | 'dir' | 'delete', status = 2560): string {
  const { cwd, args } = buildFailLogCommand(s.config, s.config.remotes[remoteIndex]!, { rel, kind }, s.w);
  return formatEntry(status, cwd, args);
}

function left(file: string) {
  return parseFailLog(fromBuffer(fs.readFileSync(file)));
}

describe('replay: which entries are run', () => {
  it('accepts our entries and sersync2 legacy lines for the configured remotes, refuses everything else', async () => {
    const s = await setup();
    const R0 = s.config.remotes[0]!;
    const legacy = sersync2Command(s.config, R0, 'old.txt', 'sync', false, s.w);
    const legacyDel = sersync2Command(s.config, R0, 'd/gone', 'delete', true, s.w);
    const text = [
      ours(s, 0, 'a.txt', 'file'),
      `#errno 256\n${legacy}\n\n`,
      `${legacyDel}\n\n`, // a bare line (sersync2's retry-queue overflow)
      `#errno 256\ncd ${s.w} && rsync -artuz -R --log-file=/etc/cron.d/x "./b.txt" 10.0.0.2::www\n\n`,
      `#errno 256\ncd ${s.w} && rsync -artuz -R -e 'sh -c "touch /tmp/PWNED"' "./b.txt" 10.0.0.2::www\n\n`,
      `#errno 256\ncd ${s.w} && rsync -artuz -R "./../../etc/passwd" 10.0.0.2::www\n\n`,
      `#errno 256\ncd ${s.w} && rsync -artuz -R "./c.txt" 10.9.9.9::www\n\n`,
      `#errno 256\ncd /elsewhere && rsync -artuz -R "./c.txt" 10.0.0.2::www\n\n`,
      `#errno 256\ncd ${s.w} && rsync -artuz -R "./c.txt" 10.0.0.2::www; touch /tmp/PWNED\n\n`,
      'touch /tmp/PWNED\n\n',
    ].join('');
    const verdicts = parseFailLog(text).map((e) => classifyEntry(e, { config: s.config, root: s.w }));
    assert.deepEqual(
      verdicts.map((v) => (v.ok ? v.rel : v.reason.split(' ').slice(0, 3).join(' '))),
      [
        'a.txt',
        'old.txt',
        'd/gone',
        'its rsync options',
        'its rsync options',
        'not a sync',
        'its destination is',
        'it runs in',
        'not a `cd',
        'not a `cd',
      ],
    );
  });

  it('refuses paths excluded by the main filter', async () => {
    const s = await setup((c) => {
      c.filter.enabled = true;
      c.filter.excludes = [{ expression: '(.*)\\.key', regex: /^(?:(.*)\.key)$/ }];
    });
    const v = classifyEntry(parseFailLog(ours(s, 0, 'secret.key', 'file'))[0]!, { config: s.config, root: s.w, filter: s.failLog.ctx.filter });
    assert.equal(v.ok, false);
  });
});

describe('replay: outcome', () => {
  it('pushes every accepted path once per remote, batched, the kind decided by what the path is now', async () => {
    const s = await setup();
    fs.writeFileSync(path.join(s.w, 'f.txt'), 'x');
    fs.mkdirSync(path.join(s.w, 'dir'));
    const text = [
      ours(s, 0, 'f.txt', 'delete'), // it exists again: pushed as a file
      ours(s, 0, 'gone.txt', 'file'), // vanished: deleted remotely
      ours(s, 0, 'dir', 'file'), // a directory now: recursive push
      ours(s, 1, 'f.txt', 'file'),
    ].join('');
    fs.writeFileSync(s.file, text, { mode: 0o600 });
    const r = recorder(() => OK);
    const sum = await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
    assert.deepEqual(
      r.calls.map((c) => [c.remote, c.list.sort(), c.args.includes('-r') ? 'dirs' : 'files']),
      [
        ['10.0.0.2', ['f.txt', 'gone.txt'], 'files'],
        ['10.0.0.2', ['dir'], 'dirs'],
        ['10.0.0.3', ['f.txt'], 'files'],
      ],
    );
    assert.ok(r.calls[0]!.args.includes('--delete-missing-args'), 'the missing path is deleted remotely');
    assert.deepEqual(sum, { entries: 4, replayed: 4, removed: 4, kept: 0, refused: 0, busy: false, unsafe: null });
    assert.equal(fs.readFileSync(s.file, 'latin1'), '', 'after a successful replay the fail log is empty');
  });

  it('keeps failing entries with the new #errno, stops pushing to a remote that is down, still serves the others', async () => {
    const s = await setup((c) => {
      c.extensions.maxBatch = 1;
    });
    fs.writeFileSync(
      s.file,
      [ours(s, 0, 'a', 'file', 256), ours(s, 0, 'b', 'file', 256), ours(s, 0, 'c', 'file', 256), ours(s, 1, 'a', 'file', 256)].join(''),
      { mode: 0o600 },
    );
    for (const n of ['a', 'b', 'c']) fs.writeFileSync(path.join(s.w, n), n);
    const r = recorder((remote) => (remote.ip === '10.0.0.2' ? DOWN : OK));
    const sum = await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
    assert.deepEqual(r.calls.map((c) => c.remote), ['10.0.0.2', '10.0.0.3'], 'one probe of the down remote');
    const es = left(s.file).filter(isParsed);
    assert.deepEqual(es.map((e) => e.status), [2560, 2560, 2560], '#errno 2560 (exit 10)');
    assert.equal(sum.kept, 3);
    assert.equal(sum.removed, 1);
  });

  it('keeps refused entries byte for byte and never runs them', async () => {
    const s = await setup();
    const hostile = `#errno 256\ncd ${s.w} && rsync -artuz -R --log-file=/etc/cron.d/x "./b.txt" 10.0.0.2::www\n\n`;
    fs.writeFileSync(s.file, hostile + ours(s, 0, 'a', 'file'), { mode: 0o600 });
    fs.writeFileSync(path.join(s.w, 'a'), 'a');
    const r = recorder(() => OK);
    const sum = await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
    assert.equal(r.calls.length, 1);
    assert.deepEqual(r.calls[0]!.list, ['a']);
    assert.equal(fs.readFileSync(s.file, 'latin1'), hostile);
    assert.equal(sum.refused, 1);
    assert.equal(s.log.said('warn', /1 fail-log entry kept and not run: its rsync options .*\(1\)/), 1);
    await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
    assert.equal(s.log.said('warn', /kept and not run/), 1, 'said once per process');
  });

  it('leaves out paths the daemon queue will push anyway, and remotes not asked for', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, [ours(s, 0, 'a', 'file'), ours(s, 0, 'b', 'file'), ours(s, 1, 'c', 'file')].join(''), { mode: 0o600 });
    const r = recorder(() => OK);
    await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0, onlyRemote: 0, skip: (_i, rel) => rel === 'a' });
    assert.deepEqual(r.calls.map((c) => [c.remote, c.list]), [['10.0.0.2', ['b']]]);
    assert.equal(left(s.file).length, 2);
  });

  it('does not replay a file that others can write to', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, ours(s, 0, 'a', 'file'), { mode: 0o600 });
    fs.chmodSync(s.file, 0o666);
    const r = recorder(() => OK);
    const sum = await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
    assert.equal(r.calls.length, 0);
    assert.match(sum.unsafe ?? '', /writable by everyone/);
    assert.equal(s.log.said('error', /not replaying/), 1);
  });

  it('gives up at once (daemon) or after waitMs (cron) while another process replays', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, ours(s, 0, 'a', 'file'), { mode: 0o600 });
    const holder = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(`${s.file}.replay.lock`, `${holder.pid} 0\n`);
      const r = recorder(() => OK);
      const sum = await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
      assert.equal(sum.busy && sum.busy.pid, holder.pid);
      assert.equal(r.calls.length, 0);
      assert.equal(left(s.file).length, 1);
    } finally {
      holder.kill();
    }
  });
});

describe('replayFailLogOnce (--replay-faillog): summary line and exit code', () => {
  it('exit 0 and an empty file when every entry succeeded', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, ours(s, 0, 'a', 'file') + ours(s, 1, 'a', 'file'), { mode: 0o600 });
    let out = '';
    const code = await replayFailLogOnce(s.config, s.log, (t) => (out += t), { execute: recorder(() => OK).execute });
    assert.equal(code, 0);
    assert.match(out, /: replayed 2, removed 2, kept 0\n$/);
    assert.equal(fs.readFileSync(s.file, 'latin1'), '');
  });

  it('exit 0 when the fail log is missing', async () => {
    const s = await setup();
    let out = '';
    assert.equal(await replayFailLogOnce(s.config, s.log, (t) => (out += t), { execute: recorder(() => OK).execute }), 0);
    assert.match(out, /replayed 0, removed 0, kept 0/);
  });

  it('exit 1 when entries remain', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, ours(s, 0, 'a', 'file') + ours(s, 1, 'a', 'file'), { mode: 0o600 });
    let out = '';
    const code = await replayFailLogOnce(s.config, s.log, (t) => (out += t), {
      execute: recorder((remote) => (remote.ip === '10.0.0.3' ? DOWN : OK)).execute,
    });
    assert.equal(code, 1);
    assert.match(out, /replayed 2, removed 1, kept 1/);
  });
});

describe('the daemon replay schedule (FailLogReplayer)', () => {
  it('replays what a previous run left shortly after the start, and one remote again when it comes back', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, ours(s, 0, 'a', 'file') + ours(s, 1, 'b', 'file'), { mode: 0o600 });
    let down = true;
    const r = recorder((remote) => (remote.ip === '10.0.0.3' && down ? DOWN : OK));
    const rp = new FailLogReplayer({ failLog: s.failLog, log: s.log, execute: r.execute, intervalMs: 3_600_000, initialDelayMs: 10, soonDelayMs: 10 });
    rp.start();
    await until(() => r.calls.length === 2);
    await rp.idle();
    assert.deepEqual(left(s.file).filter(isParsed).map((e) => e.args.at(-1)), ['10.0.0.3::www']);
    down = false;
    rp.soon(1);
    await until(() => r.calls.length === 3);
    await rp.idle();
    assert.deepEqual(r.calls.map((c) => c.remote), ['10.0.0.2', '10.0.0.3', '10.0.0.3']);
    assert.equal(fs.readFileSync(s.file, 'latin1'), '');
    await rp.stop();
  });

  it('stop() cancels a replay in progress: its rsync is aborted, nothing is written, the lock is free', async () => {
    const s = await setup();
    const text = ours(s, 0, 'a', 'file');
    fs.writeFileSync(s.file, text, { mode: 0o600 });
    let aborted = false;
    let running = false;
    const execute: ReplayExecutor = (_inv, _remote, signal) =>
      new Promise((resolve) => {
        running = true;
        signal?.addEventListener('abort', () => {
          aborted = true;
          resolve({ ...OK, exitCode: null, signal: 'SIGTERM', classification: 'transient', canceled: true });
        });
      });
    const rp = new FailLogReplayer({ failLog: s.failLog, log: s.log, execute, intervalMs: 3_600_000, initialDelayMs: 0 });
    rp.start();
    await until(() => running);
    assert.ok(fs.existsSync(`${s.file}.replay.lock`), 'held during the replay');
    await rp.stop();
    assert.equal(aborted, true);
    assert.equal(fs.readFileSync(s.file, 'latin1'), text);
    assert.equal(fs.existsSync(`${s.file}.replay.lock`), false);
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('replay: a path that looks gone while W is empty (file system not mounted yet?)', () => {
  it('is not deleted remotely; its entry waits; a recorded delete still goes out', async () => {
    const s = await setup();
    fs.rmSync(path.join(s.w, 'other.txt')); // W is empty now
    const text = ours(s, 0, 'a.txt', 'file') + ours(s, 0, 'gone', 'delete');
    fs.writeFileSync(s.file, text, { mode: 0o600 });
    const r = recorder(() => OK);
    const sum = await replayFailLog({ failLog: s.failLog, log: s.log, execute: r.execute, waitMs: 0 });
    assert.deepEqual(r.calls.map((c) => c.list), [['gone']], 'only the recorded delete');
    assert.deepEqual(left(s.file).filter(isParsed).map((e) => e.args.find((a) => a.startsWith('./'))), ['./a.txt']);
    assert.equal(sum.kept, 1);
    assert.equal(s.log.said('warn', /is empty \(not mounted yet\?\): 1 path/), 1);
  });
});
