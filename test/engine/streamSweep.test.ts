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
});
