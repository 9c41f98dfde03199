// Issue 5, "Done when" (4): SIGTERM during a 5,000-file burst with the remote
// down, then a restart: converged. On SIGTERM the daemon stops taking events,
// lets rsyncs in flight finish, records everything pending in the fail log and
// the journal, and exits 0. Real CLI, real rsync daemon.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startCli, type CliProcess } from '../helpers/cli.js';
import type { RsyncDaemon } from '../helpers/rsyncd.js';
import { waitForConvergence } from '../helpers/tree.js';
import { burst, journalOwesReconcile, makeKit, readFailLog, readJournal, uncovered, until } from '../faillog/integrationKit.js';

const daemons: RsyncDaemon[] = [];
const clis: CliProcess[] = [];
after(async () => {
  await Promise.all(clis.map((c) => c.stop('SIGKILL', 0)));
  await Promise.all(daemons.map((d) => d.stop()));
});

describe('SIGTERM', () => {
  it('during a 5,000-file burst with the remote down: exit 0, everything pending recorded; a restart converges', async () => {
    const k = await makeKit('sigterm', { sersyncts: 'retryBaseMs="100" retryMaxMs="1000"' });
    daemons.push(k.rsyncd);
    const start = () => {
      const c = startCli(['-o', k.config], { cwd: k.dir });
      clis.push(c);
      return c;
    };
    const cli = start();
    await cli.waitForOutput(/watch path is: /, 15000);
    await k.rsyncd.stop();

    const files = burst(k, 5000);
    const t0 = Date.now();
    const code = await cli.stop('SIGTERM', 30000); // at once: the daemon is still busy with the burst
    const stopMs = Date.now() - t0;
    assert.equal(code, 0, cli.output.slice(-2000));
    assert.match(cli.output, /stopping \(SIGTERM\)/);

    // What was pending is on disk twice: in the fail log (cron, sh) and in the journal (next start).
    const inFailLog = new Set(readFailLog(k.failLog).entries.map((e) => e.rel));
    const inJournal = readJournal(k.stateDir);
    assert.ok(inFailLog.size > 0, 'pending changes were recorded in the fail log');
    assert.deepEqual(uncovered(inFailLog, inJournal), [], 'the journal holds what the fail log holds');
    // The stop came in the middle of an event stream, before the sweep that makes up for
    // events the watcher may have dropped in it: the stream's directories are recorded as
    // directory pushes (so even a file whose event was lost is covered, for cron too) and,
    // as the stream touched the root, the journal owes the next start a reconciliation.
    assert.deepEqual(uncovered(files, inFailLog).slice(0, 5), [], 'the fail log covers every file of the burst');
    assert.ok(journalOwesReconcile(k.stateDir), 'the journal owes the next start a reconciliation');
    const seen = [...files].filter((rel) => !uncovered([rel], inJournal).length).length;
    console.log(`# SIGTERM: exit 0 after ${stopMs} ms; ${seen} of ${files.size} files recorded; ${inFailLog.size} fail-log entries`);

    // A file the stopped run never saw: it stands for an event the watcher dropped in the
    // stream. Only the owed reconciliation can find it (the restart has no -r).
    fs.writeFileSync(`${k.watch}/unseen.txt`, 'never reported\n');

    await k.rsyncd.start();
    const again = start();
    await again.waitForOutput(/watch path is: /, 15000);
    const { ms } = await waitForConvergence(k.watch, k.dst, { timeoutMs: 40000 });
    console.log(`# restart after SIGTERM: converged ${ms} ms after "watching"`);
    await until(() => readFailLog(k.failLog).entries.length === 0, 10000, () => 'the delivered paths left the fail log');
    await until(() => /reconciliation .*(no drift|repaired drift)/.test(again.output), 30000, () => 'the owed reconciliation ran');
    await until(() => !journalOwesReconcile(k.stateDir), 5000, () => 'the journal still owes a reconciliation after it ran');
    assert.equal(fs.statSync(k.failLog).mode & 0o777, 0o600);
    assert.equal(await again.stop('SIGTERM'), 0);
  });
});
