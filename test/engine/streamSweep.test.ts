import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamSweep } from '../../src/engine/streamSweep.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('StreamSweep (the watcher flush race)', () => {
  it('sweeps the parent directories of a stream once it is quiet', async () => {
    const swept: string[][] = [];
    const s = new StreamSweep({ quietMs: 30, onSweep: (d) => swept.push(d.sort()) });
    s.note(['a/1', 'a/2', 'b/c/3'], 1000);
    s.note(['a/4', 'top.txt'], 1200); // 200 ms later: the same stream
    await wait(80);
    assert.deepEqual(swept, [['', 'a', 'b/c']]);
  });

  it('does not sweep after one isolated batch (no batch boundary inside a stream)', async () => {
    const swept: string[][] = [];
    const s = new StreamSweep({ quietMs: 20, onSweep: (d) => swept.push(d) });
    s.note(['a/1'], 1000);
    await wait(60);
    s.note(['b/1'], 5000); // far apart: two separate isolated batches
    await wait(60);
    assert.deepEqual(swept, []);
  });

  it('sweeps the root instead of too many directories', async () => {
    const swept: string[][] = [];
    const s = new StreamSweep({ quietMs: 20, maxDirs: 3, onSweep: (d) => swept.push(d) });
    s.note(['a/1', 'b/1', 'c/1', 'd/1', 'e/1'], 1000);
    s.note(['f/1'], 1100);
    await wait(60);
    assert.deepEqual(swept, [['']]);
  });

  it('a stream owes its sweep from its second batch; takeOwed() hands the debt over and nothing fires after', async () => {
    const swept: string[][] = [];
    let starts = 0;
    const s = new StreamSweep({ quietMs: 20, onSweep: (d) => swept.push(d), onStreamStart: () => starts++ });
    s.note(['a/1'], 1000);
    assert.equal(starts, 0, 'one batch is not a stream');
    assert.equal(s.streaming, false);
    s.note(['b/c/2', 'top'], 1100);
    s.note(['a/3'], 1200);
    assert.equal(starts, 1, 'said once per stream');
    assert.equal(s.streaming, true);
    assert.deepEqual(s.takeOwed()?.dirs.sort(), ['', 'a', 'b/c']);
    await wait(60);
    assert.deepEqual(swept, [], 'the stop took it over');
    assert.equal(s.takeOwed(), null, 'nothing owed twice');
  });

  it('nothing is owed after an isolated batch or once the sweep ran', async () => {
    const s = new StreamSweep({ quietMs: 20, onSweep: () => {} });
    s.note(['a/1'], 1000);
    assert.equal(s.takeOwed(), null);
    const t = new StreamSweep({ quietMs: 20, onSweep: () => {} });
    t.note(['a/1'], 1000);
    t.note(['a/2'], 1100);
    await wait(60);
    assert.equal(t.takeOwed(), null);
  });
});
