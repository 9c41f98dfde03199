import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RSYNC_EXIT_CODES, classifyExit, describeRsyncError, exitMeaning } from '../../src/rsync/exitcodes.js';

describe('classifyExit', () => {
  it('0 is ok', () => assert.equal(classifyExit(0), 'ok'));
  it('23 and 24 (partial / vanished source) count as done, as sersync2 counts 23 (§6.1, case 24)', () => {
    assert.equal(classifyExit(23), 'vanished');
    assert.equal(classifyExit(24), 'vanished');
  });
  it('usage, protocol, unsupported, daemon refusal (auth, unknown module) are config problems', () => {
    for (const c of [1, 2, 4, 5]) assert.equal(classifyExit(c), 'config', String(c));
  });
  it('socket and stream errors, timeouts and ssh failures are transient', () => {
    for (const c of [10, 11, 12, 30, 35, 255]) assert.equal(classifyExit(c), 'transient', String(c));
  });
  it('a signal or an unknown code is transient', () => {
    assert.equal(classifyExit(null, 'SIGKILL'), 'transient');
    assert.equal(classifyExit(0, 'SIGTERM'), 'transient');
    assert.equal(classifyExit(99), 'transient');
  });
  it('the table has each code once and a meaning for it', () => {
    const codes = RSYNC_EXIT_CODES.map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length);
    assert.equal(exitMeaning(5), 'error starting client-server protocol');
    assert.equal(exitMeaning(77), 'exit code 77');
  });
});

describe('describeRsyncError', () => {
  const summary5 = 'rsync error: error starting client-server protocol (code 5) at main.c(1954) [sender=3.5.0]';
  it('picks the daemon @ERROR line (auth failed, unknown module)', () => {
    assert.equal(describeRsyncError(`@ERROR: auth failed on module www\n${summary5}\n`), '@ERROR: auth failed on module www');
    assert.equal(describeRsyncError(`@ERROR: Unknown module 'nomod'\n${summary5}\n`), "@ERROR: Unknown module 'nomod'");
  });
  it('picks the connection failure', () => {
    const s =
      'rsync: [sender] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)\nrsync error: error in socket IO (code 10) at clientserver.c(165) [sender=3.5.0]\n';
    assert.equal(describeRsyncError(s), 'failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)');
  });
  it('picks ERROR: module is read only over the follow-up noise', () => {
    const s =
      'ERROR: module is read only\nrsync error: syntax or usage error (code 1) at main.c(1185) [Receiver=3.5.0]\nrsync: [sender] read error: Connection reset by peer (104)\n';
    assert.equal(describeRsyncError(s), 'ERROR: module is read only');
  });
  it('explains --password-file over ssh (§5.4)', () => {
    const s = 'The --password-file option may only be used when accessing an rsync daemon.\nrsync error: syntax or usage error (code 1) at main.c(1602) [sender=3.5.0]\n';
    assert.equal(describeRsyncError(s), '--password-file option may only be used when accessing an rsync daemon.');
  });
  it('falls back to the summary line without its source position, then the last line', () => {
    assert.equal(describeRsyncError('rsync error: timeout in data send/receive (code 30) at io.c(197) [sender=3.5.0]\n'), 'rsync error: timeout in data send/receive (code 30)');
    assert.equal(describeRsyncError('something odd\n'), 'something odd');
    assert.equal(describeRsyncError(''), '');
  });
});
