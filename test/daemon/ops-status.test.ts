import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { EngineStatus } from '../../src/engine/engine.js';
import type { SenderStatus } from '../../src/engine/remoteSender.js';
import type { Config } from '../../src/config/types.js';
import { formatEntry } from '../../src/faillog/format.js';
import { countFailLogEntries } from '../../src/ops/failLogCount.js';
import { buildStatusDocument, formatDuration, formatStatus } from '../../src/ops/statusDoc.js';
import { NoDaemonError, queryStatus, startStatusServer } from '../../src/ops/status.js';
import { makeTempDir } from '../helpers/tmp.js';
import fs from 'node:fs';

const NOW = 1_800_000_000_000;

function sender(over: Partial<SenderStatus>): SenderStatus {
  return {
    remote: '127.0.0.1::www',
    pending: 0,
    inFlight: 0,
    oldestPendingMs: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastError: null,
    failures: 0,
    retries: 0,
    pushes: 0,
    files: 0,
    down: false,
    nextAttemptAt: null,
    ...over,
  };
}

function engineStatus(remotes: SenderStatus[]): EngineStatus {
  return { root: '/data/www', watching: true, watches: 120, patches: 0, events: 42, batches: 7, remotes };
}

describe('ops: status document and --status text', () => {
  it('formats durations the way people read them', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(42_900), '42s');
    assert.equal(formatDuration(187_000), '3m07s');
    assert.equal(formatDuration(2 * 3600_000 + 5 * 60_000), '2h05m');
    assert.equal(formatDuration(3 * 86400_000 + 4 * 3600_000), '3d04h');
  });

  it('reports per remote: pending, lag, last success, failures, fail-log entries; and watches against the limit', () => {
    const doc = buildStatusDocument({
      engine: engineStatus([
        sender({ remote: '127.0.0.1::www', pending: 0, lastSuccessAt: NOW - 5000, pushes: 10, files: 12 }),
        sender({
          remote: '10.0.0.2::backup',
          pending: 17,
          oldestPendingMs: 95_000,
          lastSuccessAt: NOW - 3600_000,
          lastFailureAt: NOW - 2000,
          lastError: 'rsync exit 10: error in socket IO',
          failures: 6,
          retries: 1,
          down: true,
          nextAttemptAt: NOW + 30_000,
        }),
      ]),
      failLog: { total: 4, perRemote: [0, 4] },
      failLogPath: '/tmp/rsync_fail_log.sh',
      watchLimit: 8192,
      startedAt: NOW - 3 * 3600_000,
      now: NOW,
      pid: 4242,
      mode: 'sync',
      config: '/etc/confxml.xml',
    });
    assert.equal(doc.remotes[1].lagSeconds, 95);
    assert.equal(doc.remotes[1].failLogEntries, 4);
    assert.equal(doc.remotes[0].lagSeconds, 0);
    assert.equal(doc.uptimeSeconds, 3 * 3600);
    const text = formatStatus(doc);
    assert.match(text, /pid 4242, up 3h00m, config \/etc\/confxml\.xml/);
    assert.match(text, /inotify watches: 120 in use of 8192 .*\(1\.5%\)/);
    assert.match(text, /fail log: \/tmp\/rsync_fail_log\.sh: 4 entries/);
    const header = text.split('\n').find((l) => l.startsWith('REMOTE'));
    assert.ok(header, text);
    assert.match(header, /PENDING\s+IN FLIGHT\s+LAG\s+LAST SUCCESS\s+FAILURES\s+FAIL LOG/);
    assert.match(text, /^127\.0\.0\.1::www\s+in sync\s+0\s+0\s+-\s+5s ago\s+0\s+0$/m);
    assert.match(text, /^10\.0\.0\.2::backup\s+DOWN\s+17\s+0\s+1m35s\s+1h00m ago\s+6\s+4$/m);
    assert.match(text, /10\.0\.0\.2::backup: last error \(2s ago\): rsync exit 10: error in socket IO; next attempt in 30s/);
  });

  it('says "never" for a remote that never succeeded', () => {
    const doc = buildStatusDocument({
      engine: engineStatus([sender({ pending: 3, oldestPendingMs: 1000 })]),
      failLog: { total: 0, perRemote: [0] },
      failLogPath: '/x',
      watchLimit: null,
      startedAt: NOW,
      now: NOW,
      pid: 1,
      mode: 'refreshCDN',
      config: '/c.xml',
    });
    const text = formatStatus(doc);
    assert.match(text, /\(-m refreshCDN\)/);
    assert.match(text, /^127\.0\.0\.1::www\s+syncing\s+3\s+0\s+1s\s+never/m);
    assert.match(text, /in use of \?/);
  });
});

function fakeConfig(over: { ssh?: boolean; auth?: boolean } = {}): Config {
  return {
    remotes: [
      { ip: '127.0.0.1', name: 'www' },
      { ip: '10.0.0.2', name: 'www' },
    ],
    rsync: {
      commonParams: '-artuz',
      commonArgs: ['-artuz'],
      auth: { enabled: over.auth ?? false, users: 'rsync_backup', passwordFile: '/etc/rsync.pas' },
      userDefinedPort: { enabled: false, port: '874' },
      timeout: { enabled: false, time: '100' },
      ssh: over.ssh ?? false,
    },
  } as unknown as Config;
}

describe('ops: fail-log entries per remote', () => {
  it('counts our entries and sersync2 legacy lines, attributed by the remote target', () => {
    const text =
      formatEntry(256, '/data/www', ['-artuz', '-R', './a.txt', '127.0.0.1::www']) +
      formatEntry(256, '/data/www', ['-artuz', '-R', './b c.txt', '10.0.0.2::www']) +
      formatEntry(2560, '/data/www', ['-artuz', '-R', './it\'s.txt', '10.0.0.2::www']) +
      '#errno 256\ncd /data/www && rsync -artuz -R "./d.txt" 127.0.0.1::www >/dev/null 2>&1 \n\n' +
      'cd /data/www && rsync -artuz -R "./bare.txt" 10.0.0.2::www >/dev/null 2>&1 \n\n' +
      '#errno 1\nrm -rf / ; echo not a command we accept\n\n';
    const c = countFailLogEntries(text, fakeConfig());
    assert.deepEqual(c.perRemote, [2, 3]);
    assert.equal(c.total, 6);
  });

  it('matches user@ targets with auth, and host:path with ssh', () => {
    const auth = formatEntry(256, '/w', ['-artuz', '-R', './a', 'rsync_backup@10.0.0.2::www', '--password-file=/etc/rsync.pas']);
    assert.deepEqual(countFailLogEntries(auth, fakeConfig({ auth: true })).perRemote, [0, 1]);
    const ssh = formatEntry(256, '/w', ['-artuz', '-R', '-e', 'ssh', './a', '127.0.0.1:www']);
    assert.deepEqual(countFailLogEntries(ssh, fakeConfig({ ssh: true })).perRemote, [1, 0]);
    assert.deepEqual(countFailLogEntries(ssh, fakeConfig()).perRemote, [0, 0], 'a daemon-mode config does not match host:path');
  });

  it('counts nothing in an empty fail log', () => {
    assert.deepEqual(countFailLogEntries('', fakeConfig()), { total: 0, perRemote: [0, 0] });
  });
});

describe('ops: status socket', () => {
  it('answers each connection with the current document, mode 0600; the client reads it; no daemon → NoDaemonError', async () => {
    const dir = await makeTempDir('statussock');
    const sock = path.join(dir, 's.sock');
    fs.writeFileSync(sock, 'stale'); // a leftover from a killed daemon is replaced
    let n = 0;
    const server = await startStatusServer(sock, () => {
      n++;
      return { pid: n } as never;
    });
    try {
      assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
      assert.equal((await queryStatus(sock)).pid, 1);
      assert.equal((await queryStatus(sock)).pid, 2);
    } finally {
      await server.close();
    }
    assert.equal(fs.existsSync(sock), false, 'the socket file is removed on close');
    await assert.rejects(queryStatus(sock), (e: unknown) => e instanceof NoDaemonError && e.code === 'ENOENT');
  });

  it('reports a producer failure as an error, not as a document', async () => {
    const dir = await makeTempDir('statussock');
    const sock = path.join(dir, 's.sock');
    const server = await startStatusServer(sock, () => {
      throw new Error('still starting');
    });
    try {
      await assert.rejects(queryStatus(sock), /still starting/);
    } finally {
      await server.close();
    }
  });
});
