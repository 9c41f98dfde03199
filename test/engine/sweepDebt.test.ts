import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SweepDebt } from '../../src/engine/sweepDebt.js';

describe('SweepDebt: repairs of possibly lost events still owed', () => {
  it('reports only the changes between owing something and owing nothing', () => {
    const changes: boolean[] = [];
    const d = new SweepDebt((owed) => changes.push(owed));
    d.owe('stream', 100);
    d.owe('stream', 200);
    d.owe('reconcile', 300);
    d.pay('stream');
    assert.equal(d.owed, true);
    d.paidByFullSync(300);
    assert.equal(d.owed, false);
    d.pay('stream'); // nothing open: no change
    assert.deepEqual(changes, [true, false]);
  });

  it('a full sync pays a reconciliation asked for before it started, not one asked for during it', () => {
    const d = new SweepDebt();
    d.owe('reconcile', 1000);
    d.paidByFullSync(999);
    assert.equal(d.owed, true, 'that run began before the request: it may not cover it');
    d.paidByFullSync(1000);
    assert.equal(d.owed, false);
  });

  it('a full sync does not pay a running stream (only its own sweep does)', () => {
    const d = new SweepDebt();
    d.owe('stream', 10);
    d.paidByFullSync(20);
    assert.equal(d.owed, true);
    d.pay('stream');
    assert.equal(d.owed, false);
  });

  it('a debt inherited from the previous run (incurred "at 0") is paid by any complete full sync', () => {
    const d = new SweepDebt();
    d.owe('inherited', 0);
    d.paidByFullSync(Date.now());
    assert.equal(d.owed, false);
  });
});
