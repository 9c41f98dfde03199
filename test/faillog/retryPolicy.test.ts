import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, RETRY_ACTIONS, retryPolicyMarkdown } from '../../src/faillog/retryPolicy.js';
import { RSYNC_EXIT_CODES } from '../../src/rsync/exitcodes.js';
import { assertConfigError, load, minimal } from '../config/tmpconfig.js';

describe('retry policy: the documented table', () => {
  it('has one row per rsync exit code, plus signals and "rsync could not start"', () => {
    const md = retryPolicyMarkdown();
    for (const e of RSYNC_EXIT_CODES) assert.match(md, new RegExp(`^\\| ${e.code} \\| `, 'm'), `exit ${e.code}`);
    assert.match(md, /killed by a signal/);
    assert.match(md, /could not be started/);
  });
  it('says what happens for each class: 23/24 are done, auth and unknown module keep retrying and are said once', () => {
    const md = retryPolicyMarkdown();
    const row = (code: number) => md.split('\n').find((l) => l.startsWith(`| ${code} |`))!;
    assert.ok(row(23).includes(RETRY_ACTIONS.vanished));
    assert.ok(row(24).includes(RETRY_ACTIONS.vanished));
    assert.ok(row(5).includes(RETRY_ACTIONS.config), 'auth failed / unknown module');
    assert.match(RETRY_ACTIONS.config, /never given up/);
    assert.match(RETRY_ACTIONS.config, /ONCE/);
    assert.ok(row(10).includes(RETRY_ACTIONS.transient), 'connection refused');
  });
});

describe('retry policy: backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 8, 20].map((n) => backoffDelayMs(n, 500, 60_000)), [500, 1000, 2000, 4000, 60_000, 60_000]);
    assert.equal(backoffDelayMs(1000, 100, 1000), 1000);
  });
});

describe('config: <sersyncts retryBaseMs retryMaxMs> (backoff bounds, for tuning and tests)', () => {
  it('reads both, in milliseconds', () => {
    const c = load(minimal({ head: '<sersyncts retryBaseMs="100" RETRYMAXMS="1000"/>' }));
    assert.equal(c.extensions.retryBaseMs, 100);
    assert.equal(c.extensions.retryMaxMs, 1000);
  });
  it('leaves them unset when absent (the engine uses 500 ms and 60 s)', () => {
    const c = load(minimal({ head: '<sersyncts quietMs="5"/>' }));
    assert.equal(c.extensions.retryBaseMs, undefined);
    assert.equal(c.extensions.retryMaxMs, undefined);
    assert.deepEqual(load(minimal()).warnings.filter((w) => /retry/.test(w)), []);
  });
  it('refuses a non-number, zero, or a cap below the base', () => {
    assertConfigError(() => load(minimal({ head: '<sersyncts retryBaseMs="soon"/>' })), 1, 'sersyncts@retryBaseMs="soon"');
    assertConfigError(() => load(minimal({ head: '<sersyncts retryMaxMs="0"/>' })), 1, 'sersyncts@retryMaxMs="0"');
    assertConfigError(() => load(minimal({ head: '<sersyncts retryBaseMs="5000" retryMaxMs="1000"/>' })), 1, 'below retryBaseMs');
    assertConfigError(() => load(minimal({ head: '<sersyncts retryBaseMs="70000"/>' })), 1, 'below retryBaseMs');
  });
});
