import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SETTLE_MS, settleUntil } from '../../src/engine/settle.js';

describe('settleUntil: closeWrite emulation when a held file op is about to go out', () => {
  const quiet = 30;

  it('lets a file go at once when it has been quiet for quietMs', () => {
    assert.equal(settleUntil(1000, 990, 1030, quiet), null);
    assert.equal(settleUntil(1000, 990, 5000, quiet), null);
  });

  it('holds a file that changed less than quietMs ago until it has been quiet that long', () => {
    // written at 1000, looked at 1010: may go at 1030
    assert.equal(settleUntil(1000, 900, 1010, quiet), 1030);
    // still being written: the mtime moves, so does the time it may go
    assert.equal(settleUntil(1025, 900, 1030, quiet), 1055);
  });

  it('does not wait on an mtime in the future (waiting would not make it older)', () => {
    assert.equal(settleUntil(2000, 900, 1000, quiet), null);
  });

  it('holds a file that keeps changing at most MAX_SETTLE_MS after its first change was seen', () => {
    const first = 10_000;
    // close to the bound: held only up to it
    assert.equal(settleUntil(first + MAX_SETTLE_MS - 5, first, first + MAX_SETTLE_MS - 1, quiet), first + MAX_SETTLE_MS);
    // at or past the bound: goes now, even though it was written just now
    assert.equal(settleUntil(first + MAX_SETTLE_MS, first, first + MAX_SETTLE_MS, quiet), null);
    assert.equal(settleUntil(first + 9000, first, first + 9001, quiet, 8000), null);
  });

  it('never holds anything with quietMs 0', () => {
    assert.equal(settleUntil(1000, 1000, 1000, 0), null);
  });
});
