// Issue 5, "Done when" (3): a cron replay and the daemon's replay at the same
// moment: no duplicate runs, no lost entries, no corrupt file. Real CLI, real
// rsync daemon; every rsync goes through a wrapper that records it and takes a
// second, so that the two replays really overlap. Two remotes: `www` works,
// `nope` is an unknown module (rsync exit 5) whose entries must stay — while
// the daemon keeps appending new failures for it during the replays.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { FailLog } from '../../src/faillog/failLog.js';
import { silentLogger } from '../../src/log/logger.js';
import { runCli, startCli, type CliProcess, type CliResult } from '../helpers/cli.js';
import type { RsyncDaemon } from '../helpers/rsyncd.js';
import { makeKit, readFailLog, rsyncWrapper, until } from '../faillog/integrationKit.js';

const daemons: RsyncDaemon[] = [];
const clis: CliProcess[] = [];
after(async () => {
  await Promise.all(clis.map((c) => c.stop('SIGKILL', 0)));
  await Promise.all(daemons.map((d) => d.stop()));
});

describe('cron replay and daemon replay at the same moment', () => {
  it('never run together: each path is pushed once, entries appended meanwhile survive, the file stays well-formed', async () => {
    const k = await makeKit('faillog-race', {
      remotes: [
        { ip: '127.0.0.1', name: 'www' },
        { ip: '127.0.0.1', name: 'nope' },
      ],
      sersyncts: 'maxBatch="10" retryBaseMs="200" retryMaxMs="500"',
    });
    daemons.push(k.rsyncd);
    // 40 files whose pushes failed earlier (to both remotes), recorded as sersync-ts does.
    const old = Array.from({ length: 40 }, (_, i) => `a${i}.txt`);
    for (const n of old) fs.writeFileSync(path.join(k.watch, n), `${n}\n`);
    const config = loadConfig(k.config);
    const writer = new FailLog({ config, root: config.localPath, log: silentLogger() });
    await writer.append(0, old.map((rel) => ({ rel, kind: 'file' as const })), 2560);
    await writer.append(1, old.map((rel) => ({ rel, kind: 'file' as const })), 2560);

    const slow = await rsyncWrapper(1);
    const env = { PATH: `${slow.binDir}:${process.env.PATH}` };
    const daemon = startCli(['-o', k.config], { cwd: k.dir, env });
    clis.push(daemon);
    await daemon.waitForOutput(/watch path is: /, 15000);
    // The daemon replays about 1 s after start; cron starts now.
    const cron: Promise<CliResult> = runCli(['--replay-faillog', '-o', k.config], { cwd: k.dir, env, timeoutMs: 60000 });
    // Live changes meanwhile: delivered to www, fail-logged for nope while the replays rewrite the file.
    const fresh = Array.from({ length: 20 }, (_, i) => `c${i}.txt`);
    for (const n of fresh) {
      fs.writeFileSync(path.join(k.watch, n), `${n}\n`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await cron;
    assert.equal(r.code, 1, `nope's entries remain; cron said: ${r.stdout}${r.stderr}`);

    const wantNope = [...old, ...fresh].sort();
    const nopeRels = () =>
      readFailLog(k.failLog)
        .entries.filter((e) => e.target === '127.0.0.1::nope')
        .map((e) => e.rel)
        .sort();
    await until(() => JSON.stringify(nopeRels()) === JSON.stringify(wantNope), 20000, () => `nope entries: ${nopeRels().join(' ')}`);
    await daemon.stop('SIGTERM');

    // No corrupt file, no lost entry, no duplicate, nothing left for www.
    const fl = readFailLog(k.failLog);
    assert.equal(fl.unparsable, 0, fl.raw);
    assert.deepEqual(fl.entries.map((e) => e.target).filter((t) => t !== '127.0.0.1::nope'), [], 'www entries all replayed');
    assert.deepEqual(fl.entries.map((e) => e.rel).sort(), wantNope, 'exactly one entry per path');
    assert.ok(fl.entries.every((e) => e.status === 5 * 256), 'updated to #errno 1280 (exit 5, unknown module)');
    for (const n of [...old, ...fresh]) assert.ok(fs.existsSync(path.join(k.dst, n)), `${n} reached www`);

    // No duplicate runs: each old path went to www in exactly one rsync run.
    const www = slow.runs().filter((x) => x.args.includes('127.0.0.1::www'));
    for (const n of old) {
      const times = www.filter((x) => x.list.includes(n)).length;
      assert.equal(times, 1, `${n} pushed to www ${times} times`);
    }
    // The two replays did meet: one waited for or skipped the other.
    const met = /another fail-log replay is running/.test(r.stderr) || /fail-log replay skipped: another replay/.test(daemon.output);
    assert.ok(met, `the replays did not overlap; cron:\n${r.stderr}\ndaemon:\n${daemon.output.slice(-3000)}`);
    // The unknown module was said loudly, once.
    assert.equal(daemon.output.match(/ERROR .*push to 127\.0\.0\.1::nope failed: .*Unknown module/g)?.length, 1, daemon.output.slice(-3000));
  });
});
