// Spec §10 cases 23 and 24: what a failing rsync leads to. Real rsync daemons
// make rsync fail for real (a read-only module → exit 1; a module whose
// rsyncd.conf excludes `*.bad` → "daemon refused to receive file", exit 23).
// Exit 24 ("some files vanished")
// cannot be provoked reliably with a real rsync, so that one part uses a stub
// `rsync` first on PATH, and says so in its name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RsyncDaemon } from '../helpers/rsyncd.js';
import { adapt, putFile, readText, Suite, tokens, until, type CaseDirs } from './kit.js';

let s: Suite;
let readOnly: RsyncDaemon;
let refusing: RsyncDaemon;
before(async () => {
  s = await Suite.create('failures', ['c23s']);
  readOnly = await s.daemon({ readOnly: true, modules: ['c23'] });
  refusing = await s.daemon({ modules: ['c24'] });
  // The daemon reads its config file again for every connection; the line lands in the (only) module's section.
  fs.appendFileSync(path.join(refusing.dir, 'rsyncd.conf'), 'exclude = *.bad\n');
});
after(async () => {
  await s.close();
});

/** Only the live attempt and the immediate retry: later retries are an hour away. */
const NO_BACKOFF_RETRY = '<sersyncts retryBaseMs="3600000" retryMaxMs="3600000"/>';
const failLogOf = (c: CaseDirs) => path.join(c.dir, 'rsync_fail_log.sh');

/** The engine's debug lines for rsync runs naming `./rel`, as exit codes. */
function attempts(output: string, rel: string): string[] {
  return output
    .split('\n')
    .filter((l) => / DEBUG .*rsync "/.test(l) && l.includes(`"./${rel}"`))
    .map((l) => / → (\S+) \(/.exec(l)?.[1] ?? '?');
}

describe('spec §10: failures, retry and the fail log', () => {
  it('case 23: retry then fail log — exit 1 (read-only module): two runs, then `#errno 256` + the sh-quoted command', async () => {
    const c = await s.case('c23', {}, {}, readOnly);
    const real = await s.start(c, await s.realConfig(c, { debug: true, extra: NO_BACKOFF_RETRY }, 'real.xml', readOnly), 'real');
    putFile(c, 'e1.txt', '1\n');
    const text = await until('the fail-log entry', () => readText(failLogOf(c)).includes('e1.txt') && readText(failLogOf(c)), 20000);
    // rsync ran twice, at once: the live attempt and the immediate retry (spec §6.2).
    assert.deepEqual(attempts(real.cli.output, 'e1.txt'), ['1', '1']);

    const m = /^#errno (-?\d+)\n(.*)\n\n$/.exec(text);
    assert.ok(m, `one entry, sersync2's format: ${JSON.stringify(text)}`);
    assert.equal(m[1], '256', 'exit 1 → wait status 256');
    const line = m[2]!;
    // Every value single-quoted for sh (spec top section; sersync2 used "…" with only $ escaped).
    assert.match(line, /^cd '[^']+' && rsync( '[^']*')+$/, line);
    // Token by token it is sersync2's command (T01's shape with this remote's port), without the
    // `>/dev/null 2>&1` suffix and with sersync-ts's two additions that change no remote result.
    const spec = tokens(adapt(`cd /data/www && rsync -artuz -R  --port=${readOnly.port} "./e1.txt" 10.0.0.2::c23 >/dev/null 2>&1 `, c.w));
    const ours = tokens(line);
    const additions = new Set(['--ignore-times', '--force', '--sockopts=TCP_NODELAY']);
    assert.deepEqual(ours.filter((t) => !additions.has(t)), spec.filter((t) => t !== '>/dev/null' && t !== '2>&1'));
    const added = ours.slice(7, ours.indexOf('./e1.txt'));
    assert.ok(added.length > 0 && added.every((t) => additions.has(t)), `only the known additions, just before the path: ${added.join(' ')}`);
    assert.equal(fs.statSync(failLogOf(c)).mode & 0o777, 0o600, 'the fail log is 0600, not 0777');
    assert.equal(await real.stop(), 0);
  });

  it('case 23, exit 24 (stub rsync: a vanished file cannot be provoked reliably) — sersync-ts: one run, nothing logged', async () => {
    // sersync2 counts 24 as a failure: two runs and `#errno 6144`. sersync-ts treats 24 like 23
    // ("some files vanished": the path is gone and its delete event follows), a documented difference.
    const c = await s.case('c23s', {}, {});
    const stubLog = path.join(c.dir, 'stub-stub.log');
    const cli = await s.start(c, await s.realConfig(c, { extra: NO_BACKOFF_RETRY }), 'stub', { stub: true, stubExit: 24 });
    const calls = () => readText(stubLog).split('\n').filter(Boolean);
    putFile(c, 'e24.txt', '24\n');
    await until('the stub run for e24.txt', () => calls().some((l) => l.includes('./e24.txt')));
    fs.writeFileSync(path.join(c.w, 'zz-after.txt'), 'z\n');
    await until('the stub run for the next file', () => calls().some((l) => l.includes('./zz-after.txt')));
    const mine = calls().filter((l) => l.includes('./e24.txt'));
    assert.equal(mine.length, 1, `one run: ${mine.join('\n')}`);
    assert.ok(mine[0]!.startsWith(`${c.w} `), 'rsync runs in W');
    assert.equal(readText(failLogOf(c)), '', 'nothing logged');
    assert.equal(await cli.stop(), 0);
  });

  it('case 24: exit 23 is success — one run, nothing logged (the daemon refuses the file: exit 23)', async () => {
    const c = await s.case('c24', {}, {}, refusing);
    const real = await s.start(c, await s.realConfig(c, { debug: true, extra: NO_BACKOFF_RETRY }, 'real.xml', refusing), 'real');
    putFile(c, 'a.bad', 'a\n');
    await until('the rsync run for a.bad', () => attempts(real.cli.output, 'a.bad').length > 0);
    fs.writeFileSync(path.join(c.w, 'zz-after.txt'), 'z\n');
    await until('the next file on the remote', () => fs.existsSync(path.join(c.mirror, 'zz-after.txt')));
    assert.deepEqual(attempts(real.cli.output, 'a.bad'), ['23'], 'exactly one run, exit 23, no retry');
    assert.ok(!fs.existsSync(path.join(c.mirror, 'a.bad')), 'the daemon really refused it');
    assert.equal(readText(failLogOf(c)), '', 'nothing logged');
    assert.equal(await real.stop(), 0);
  });
});
