import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import { STOCK_PATH } from './tmpconfig.js';

describe('config: the stock confxml.xml (spec Appendix A)', () => {
  const c = loadConfig(STOCK_PATH, { cwd: '/work/cwd', env: {}, uid: 1000 });

  it('keeps the file name as given', () => {
    assert.equal(c.file, STOCK_PATH);
  });
  it('reads <host hostip port> (printed only)', () => {
    assert.deepEqual(c.host, { ip: 'localhost', port: 8008 });
  });
  it('reads <debug> and <fileSystem xfs> as off', () => {
    assert.equal(c.debug, false);
    assert.equal(c.xfs, false);
  });
  it('has the main filter off, and then no exclude rules at all', () => {
    assert.deepEqual(c.filter, { enabled: false, excludes: [] });
  });
  it('reads the eight <inotify> switches (mask 0x3C8)', () => {
    assert.deepEqual(c.inotify, {
      delete: true,
      createFolder: true,
      createFile: false,
      closeWrite: true,
      moveFrom: true,
      moveTo: true,
      attrib: false,
      modify: false,
    });
  });
  it('reads the localpath and its one remote (commented-out remotes ignored)', () => {
    assert.equal(c.localPath, '/opt/tongbu');
    assert.deepEqual(c.ignoredLocalPaths, []);
    assert.deepEqual(c.remotes, [{ ip: '127.0.0.1', name: 'tongbu1' }]);
  });
  it('reads the <rsync> block: -artuz, auth/port/timeout/ssh off with their stock values', () => {
    assert.deepEqual(c.rsync, {
      commonParams: '-artuz',
      commonArgs: ['-artuz'],
      auth: { enabled: false, users: 'root', passwordFile: '/etc/rsync.pas' },
      userDefinedPort: { enabled: false, port: '874' },
      timeout: { enabled: false, time: '100' },
      ssh: false,
    });
  });
  it('reads <failLog>: /tmp/rsync_fail_log.sh every 60 minutes', () => {
    assert.deepEqual(c.failLog, { path: '/tmp/rsync_fail_log.sh', intervalSeconds: 3600, timeToExecuteRaw: '60' });
  });
  it('reads <crontab> off, schedule 600, crontabfilter off (so no globs)', () => {
    assert.deepEqual(c.crontab, { enabled: false, scheduleMinutes: 600, scheduleRaw: '600', filter: { enabled: false, excludes: [] } });
  });
  it('reads <sersync><plugin> off with name command', () => {
    assert.deepEqual(c.plugin, { enabled: false, name: 'command' });
  });
  it('reads the command plugin section: /bin/sh, empty suffix, ignoreError, filter off', () => {
    const cmd = c.plugins.command!;
    assert.equal(cmd.prefix, '/bin/sh');
    assert.equal(cmd.suffix, '');
    assert.equal(cmd.ignoreError, true);
    assert.deepEqual(cmd.filter, { enabled: false, includes: [] });
    assert.deepEqual(cmd.prefixArgs, ['/bin/sh']);
    assert.deepEqual(cmd.suffixArgs, []);
    assert.deepEqual(cmd.problems, []);
  });
  it('reads the socket plugin section (watch kept as written)', () => {
    assert.deepEqual(c.plugins.socket, { watch: '/opt/tongbu', ip: '192.168.138.20', port: 8009, problems: [] });
  });
  it('reads the refreshCDN plugin section (watch with its trailing slash stripped)', () => {
    const cdn = c.plugins.refreshCDN!;
    assert.equal(cdn.watch, '/data0/htdocs/cms.xoyo.com/site');
    assert.equal(cdn.domainName, 'ccms.chinacache.com');
    assert.equal(cdn.port, 80);
    assert.equal(cdn.userName, 'xxxx');
    assert.equal(cdn.passwd, 'xxxx');
    assert.equal(cdn.sendUrlBase, 'http://pic.xoyo.com/cms');
    assert.deepEqual(cdn.regexUrl, { enabled: false, match: 'cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images', regex: null });
    assert.deepEqual(cdn.problems, []);
  });
  it('has no http plugin section', () => {
    assert.equal(c.plugins.http, null);
  });
  it('uses the sersync-ts extension defaults', () => {
    assert.deepEqual(c.extensions, {
      auditIntervalSeconds: 600,
      deleteGuardRatio: 0.5,
      quietMs: 30,
      stateDir: path.join(os.tmpdir(), 'sersync-ts-1000'),
      maxBatch: 5000,
    });
  });
  it('gives no warning at all', () => {
    assert.deepEqual(c.warnings, []);
  });
});

describe('config: confxml.xml.example (repo root)', () => {
  const example = path.resolve(path.dirname(STOCK_PATH), '../../../confxml.xml.example');
  const opts = { cwd: '/work/cwd', env: {}, uid: 1000 };

  it('means exactly the same as the stock file, without any warning', () => {
    const a = loadConfig(example, opts);
    const b = loadConfig(STOCK_PATH, opts);
    assert.deepEqual(a.warnings, []);
    assert.deepEqual({ ...a, file: '' }, { ...b, file: '' });
  });
  it('is plain ASCII (it declares ISO-8859-1)', () => {
    assert.equal(/[^\x00-\x7f]/.test(readFileSync(example, 'latin1')), false);
  });
});
