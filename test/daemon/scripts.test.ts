import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from '../../src/cli/args.js';
import { statePaths } from '../../src/daemon/paths.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const SCRIPTS = path.join(REPO_ROOT, 'scripts');
const read = (name: string): string => fs.readFileSync(path.join(SCRIPTS, name), 'utf8');

/** A systemd unit as section → key → values (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const units = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = new Map();
      units.set(s[1], section);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(section && eq > 0, `unit line outside a section or without '=': ${line}`);
    const k = line.slice(0, eq).trim();
    section.set(k, [...(section.get(k) ?? []), line.slice(eq + 1).trim()]);
  }
  return units;
}

describe('scripts: systemd unit', () => {
  const unit = parseUnit(read('sersync-ts.service'));
  const svc = unit.get('Service')!;
  const one = (k: string): string | undefined => svc.get(k)?.at(-1);

  it('runs sersync2 in the foreground, restarts it on failure, reloads with SIGHUP, stops with SIGTERM', () => {
    assert.equal(one('Type'), 'simple');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('RestartSec'), '5');
    assert.equal(one('KillSignal'), 'SIGTERM');
    assert.equal(one('TimeoutStopSec'), '60');
    assert.equal(one('LimitNOFILE'), '65536');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.ok(unit.get('Install')?.get('WantedBy')?.includes('multi-user.target'));
  });

  it('ExecStart is read by our own parser as: -r, config /etc/confxml.xml, log file, and NOT -d', () => {
    const words = one('ExecStart')!.split(/\s+/);
    assert.equal(words[0], '/usr/local/bin/sersync2');
    const parsed = parseArgs(words.slice(1));
    assert.ok(parsed.ok);
    assert.equal(parsed.options.daemon, false, 'systemd supervises a foreground process');
    assert.equal(parsed.options.fullSyncAtStart, true);
    assert.equal(parsed.options.configFile, '/etc/confxml.xml');
    assert.equal(parsed.options.logFile, '/var/log/sersync-ts.log');
  });

  it('its StateDirectory is the default state directory of a root daemon (pid file, locks, status socket)', () => {
    assert.equal(one('StateDirectory'), 'sersync-ts');
    assert.equal(one('StateDirectoryMode'), '0700');
  });

  it('is accepted by systemd-analyze verify', async (t) => {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      t.skip('systemd-analyze is not installed');
      return;
    }
    // verify checks that ExecStart's binary exists: point it at a stand-in.
    const dir = await makeTempDir('unit');
    const bin = path.join(dir, 'sersync2');
    fs.writeFileSync(bin, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const file = path.join(dir, 'sersync-ts.service');
    fs.writeFileSync(file, read('sersync-ts.service').replaceAll('/usr/local/bin/sersync2', bin));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    const complaints = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => l.includes('sersync-ts.service'));
    assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stdout}${r.stderr}`);
    assert.deepEqual(complaints, []);
  });
});

describe('scripts: logrotate snippet', () => {
  const text = read('logrotate.sersync-ts');
  it('rotates the unit\'s log file and sends SIGHUP to the pid in the default pid file', () => {
    assert.match(text, /^\/var\/log\/sersync-ts\.log \{$/m);
    const post = /postrotate\n([\s\S]*?)\n\s*endscript/.exec(text);
    assert.ok(post, 'a postrotate script');
    const pidFile = statePaths({ stateDir: '/var/lib/sersync-ts', root: '/data/www', configFile: '/etc/confxml.xml', mode: 'sync' }).pidFile;
    assert.ok(post[1].includes(`cat ${pidFile}`), `postrotate reads ${pidFile}`);
    assert.match(post[1], /kill -HUP "\$pid"/);
    assert.doesNotMatch(text, /^\s*copytruncate/m, 'the log is reopened, not copied');
  });

  it('its postrotate script is valid sh that does nothing harmful when no daemon runs', () => {
    const post = /postrotate\n([\s\S]*?)\n\s*endscript/.exec(text)![1];
    execFileSync('sh', ['-n', '-c', post]);
    execFileSync('sh', ['-c', post.replaceAll('/var/lib/sersync-ts/', '/nonexistent-dir/')]); // exits 0
  });
});

describe('scripts: crontab example', () => {
  it('has the fail-log replay line, every 10 minutes, which our parser reads as --replay-faillog on /etc/confxml.xml', () => {
    const line = read('crontab.example')
      .split('\n')
      .find((l) => !l.startsWith('#') && l.includes('--replay-faillog'));
    assert.equal(line, '*/10 * * * * /usr/local/bin/sersync2 --replay-faillog -o /etc/confxml.xml');
    const parsed = parseArgs(line!.split(' ').slice(6));
    assert.ok(parsed.ok);
    assert.equal(parsed.options.replayFailLog, true);
    assert.equal(parsed.options.configFile, '/etc/confxml.xml');
  });
});
