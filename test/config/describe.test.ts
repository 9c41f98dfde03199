import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeConfig } from '../../src/config/load.js';
import { load, stockWith } from './tmpconfig.js';

describe('describeConfig: the --check rendering', () => {
  const c = load(
    stockWith(
      ['<auth start="false" users="root" passwordfile="/etc/rsync.pas"/>', '<auth start="true" users="rsync_backup" passwordfile="/etc/rsync.password"/>'],
      ['<filter start="false">', '<filter start="true">'],
      ['<crontab start="false"', '<crontab start="true"'],
      ['passwd="xxxx"', 'passwd="s3cret-cdn"'],
    ),
  );
  const text = describeConfig(c);

  it('shows the effective watch root, remotes with user and separator, and rsync arguments', () => {
    assert.match(text, /localpath \(sersync watch\): \/opt\/tongbu/);
    assert.match(text, /rsync_backup@127\.0\.0\.1::tongbu1/);
    assert.match(text, /commonParams: "-artuz" → arguments \["-artuz"\]/);
  });
  it('lists the filter rules, the fail log and the crontab schedule', () => {
    assert.match(text, /exclude \(\.\*\)\\\.svn/);
    assert.match(text, /failLog: \/tmp\/rsync_fail_log\.sh, replayed every 60 min/);
    assert.match(text, /crontab: full sync every 600 min/);
  });
  it('shows the password file path but never a password', () => {
    assert.match(text, /password file \/etc\/rsync\.password \(content not shown\)/);
    assert.equal(text.includes('s3cret-cdn'), false);
    assert.match(text, /passwd \(set, not shown\)/);
  });
  it('ends with the warnings', () => {
    const idx = text.indexOf('warnings (');
    assert.ok(idx > 0);
    assert.ok(text.slice(idx).includes('sersync2 turns crontab OFF'));
  });
  it('says "warnings: none" for the stock file', () => {
    assert.match(describeConfig(load(stockWith())), /warnings: none\n$/);
  });
});
