import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { deliveredRecord, Journal, journalPath, markRecord, parseJournal } from '../../src/journal/journal.js';
import type { PushOp } from '../../src/rsync/argv.js';
import { fromBuffer } from '../../src/util/bytepath.js';
import { makeTempDir } from '../helpers/tmp.js';
import { captureLog } from '../faillog/captureLog.js';

describe('journal records (pure)', () => {
  it('M and D records carry the byte length, so any name survives', () => {
    const names = ['a.txt', 'new\nline', 'sp ace', '\xff\x00x', 'M 0 f 3:abc\n', ''];
    const text = names.map((n, i) => markRecord(i % 2, n, 'file')).join('');
    assert.deepEqual(
      parseJournal(text).live.map((e) => e.rel),
      names,
    );
  });

  it('the live set: M adds, D removes, the last kind wins, order of first mark kept', () => {
    const text =
      markRecord(0, 'a', 'file') +
      markRecord(0, 'b', 'dir') +
      markRecord(1, 'a', 'file') +
      deliveredRecord(0, 'a') +
      markRecord(0, 'b', 'delete') +
      markRecord(0, 'c', 'file');
    assert.deepEqual(parseJournal(text), {
      live: [
        { remoteIndex: 0, rel: 'b', kind: 'delete' },
        { remoteIndex: 1, rel: 'a', kind: 'file' },
        { remoteIndex: 0, rel: 'c', kind: 'file' },
      ],
      rootId: null,
      records: 6,
      tornBytes: 0,
      reconcileOwed: false,
    });
  });

  it('a torn last record (crash mid-write) ends the parse; what came before counts', () => {
    const good = markRecord(0, 'a', 'file') + markRecord(0, 'b', 'file');
    for (const tail of ['M 0 f 10:abc', 'M 0', 'D', 'M 0 f 3:abc', 'X junk\n']) {
      const p = parseJournal(good + tail);
      assert.deepEqual(p.live.map((e) => e.rel), ['a', 'b'], JSON.stringify(tail));
      assert.equal(p.tornBytes, tail.length);
    }
  });

  it('the file name depends on the watch root and the remotes', () => {
    const a = journalPath('/var/lib/s', '/nonexistent/w', ['10.0.0.2::www']);
    assert.match(a, /^\/var\/lib\/s\/journal-[0-9a-f]{40}\.log$/);
    assert.notEqual(a, journalPath('/var/lib/s', '/nonexistent/w', ['10.0.0.3::www']));
    assert.notEqual(a, journalPath('/var/lib/s', '/nonexistent/v', ['10.0.0.2::www']));
    assert.equal(a, journalPath('/var/lib/s/', '/nonexistent/w', ['10.0.0.2::www']));
  });
});

/** A fake engine: the live set is a Map the test drives. */
function fakeEngine() {
  const pending = new Map<string, PushOp & { remoteIndex: number }>();
  return {
    pending,
    live: () => {
      const by = new Map<number, PushOp[]>();
      for (const p of pending.values()) {
        if (!by.has(p.remoteIndex)) by.set(p.remoteIndex, []);
        by.get(p.remoteIndex)!.push({ rel: p.rel, kind: p.kind });
      }
      return [...by].map(([remoteIndex, ops]) => ({ remoteIndex, ops }));
    },
    idle: () => pending.size === 0,
  };
}

async function journalIn(opts: { flushMs?: number; maxRecords?: number; compactBytes?: number } = {}) {
  const dir = await makeTempDir('journal');
  const file = path.join(dir, 'state', 'journal-x.log');
  const eng = fakeEngine();
  const j = new Journal({ file, root: dir, log: captureLog(), live: eng.live, idle: eng.idle, ...opts });
  return { dir, file, eng, j };
}

const onDisk = (file: string) => parseJournal(fromBuffer(fs.readFileSync(file)));

describe('journal on disk', () => {
  it('creates the state dir and an empty journal, mode 0600', async () => {
    const t = await journalIn();
    assert.deepEqual(await t.j.open(), []);
    assert.equal(fs.statSync(t.file).size, 0);
    assert.equal(fs.statSync(t.file).mode & 0o777, 0o600);
    await t.j.close();
  });

  it('group commit: records reach the disk within flushMs, many marks in few writes', async () => {
    const t = await journalIn({ flushMs: 20 });
    await t.j.open();
    for (let i = 0; i < 500; i++) {
      t.eng.pending.set(`0\0f${i}`, { remoteIndex: 0, rel: `f${i}`, kind: 'file' });
      t.j.marked(0, `f${i}`, 'file');
    }
    assert.equal(fs.statSync(t.file).size, 0, 'nothing written synchronously');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(onDisk(t.file).live.length, 500);
    assert.ok(t.j.stats.groups <= 2, `${t.j.stats.groups} writes`);
    await t.j.close();
  });

  it('a full group is written at once, without waiting for the timer', async () => {
    const t = await journalIn({ flushMs: 60_000, maxRecords: 100 });
    await t.j.open();
    for (let i = 0; i < 100; i++) {
      t.eng.pending.set(`0\0f${i}`, { remoteIndex: 0, rel: `f${i}`, kind: 'file' });
      t.j.marked(0, `f${i}`, 'file');
    }
    await t.j.flush();
    assert.equal(onDisk(t.file).live.length, 100);
    await t.j.close();
  });

  it('a delivered path leaves the live set, unless it was marked again meanwhile', async () => {
    const t = await journalIn({ flushMs: 5 });
    await t.j.open();
    t.eng.pending.set('x', { remoteIndex: 0, rel: 'keep', kind: 'file' }); // not idle
    t.j.marked(0, 'a', 'file');
    t.j.marked(0, 'b', 'file');
    t.j.delivered(0, [{ rel: 'a', kind: 'file' }, { rel: 'b', kind: 'file' }], (rel) => rel === 'b');
    await t.j.flush();
    assert.deepEqual(onDisk(t.file).live.map((e) => e.rel), ['b']);
    await t.j.close();
  });

  it('is truncated once the engine is idle (every mark delivered)', async () => {
    const t = await journalIn({ flushMs: 5 });
    await t.j.open();
    t.j.marked(0, 'a', 'file');
    t.j.delivered(0, [{ rel: 'a', kind: 'file' }], () => false);
    await t.j.flush();
    assert.equal(fs.statSync(t.file).size, 0);
    assert.equal(t.j.stats.truncations, 1);
    await t.j.close();
  });

  it('is compacted to the engine live set when it grows past compactBytes', async () => {
    const t = await journalIn({ flushMs: 5, compactBytes: 2000 });
    await t.j.open();
    t.eng.pending.set('p', { remoteIndex: 0, rel: 'still-pending', kind: 'dir' });
    for (let i = 0; i < 200; i++) {
      t.j.marked(0, `f${i}`, 'file');
      t.j.delivered(0, [{ rel: `f${i}`, kind: 'file' }], () => false);
    }
    await t.j.flush();
    assert.ok(t.j.stats.compactions >= 1);
    assert.deepEqual(onDisk(t.file).live, [{ remoteIndex: 0, rel: 'still-pending', kind: 'dir' }]);
    assert.ok(fs.statSync(t.file).size < 2000);
    await t.j.close();
  });

  it('a new start gets what the killed run had not delivered, and finds it compacted', async () => {
    const t = await journalIn({ flushMs: 5 });
    await t.j.open();
    t.eng.pending.set('x', { remoteIndex: 0, rel: 'x', kind: 'file' });
    t.j.marked(0, 'done', 'file');
    t.j.marked(0, 'x', 'file');
    t.j.marked(1, 'd/y', 'delete');
    t.j.delivered(0, [{ rel: 'done', kind: 'file' }], () => false);
    await t.j.flush();
    fs.appendFileSync(t.file, 'M 0 f 99:torn'); // killed mid-write
    // (no close: the process was killed)
    const again = new Journal({ file: t.file, root: t.dir, log: captureLog(), live: () => [], idle: () => true });
    assert.deepEqual(await again.open(), [
      { remoteIndex: 0, rel: 'x', kind: 'file' },
      { remoteIndex: 1, rel: 'd/y', kind: 'delete' },
    ]);
    assert.equal(onDisk(t.file).records, 3, 'rewritten with the live set only (and the root record)');
    assert.equal(again.rootChanged, false);
    await again.close();
    await (t.j as unknown as { fh: { close(): Promise<void> } }).fh.close(); // the "killed" one's descriptor
  });

  it('notices that the watch root is another directory than when the records were made', async () => {
    const t = await journalIn({ flushMs: 5 });
    await t.j.open();
    t.eng.pending.set('x', { remoteIndex: 0, rel: 'x', kind: 'file' });
    t.j.marked(0, 'x', 'file');
    await t.j.flush();
    assert.match(fs.readFileSync(t.file, 'latin1'), /^W \d+:\d+:\d+\nM 0 f 1:x\n$/);
    const otherRoot = path.join(t.dir, 'elsewhere');
    fs.mkdirSync(otherRoot);
    const again = new Journal({ file: t.file, root: otherRoot, log: captureLog(), live: () => [], idle: () => true });
    assert.equal((await again.open()).length, 1);
    assert.equal(again.rootChanged, true);
    await again.close();
    await (t.j as unknown as { fh: { close(): Promise<void> } }).fh.close();
  });

  it('a clean close with nothing pending leaves no file', async () => {
    const t = await journalIn({ flushMs: 60_000 });
    await t.j.open();
    t.j.marked(0, 'a', 'file');
    await t.j.close();
    assert.equal(fs.existsSync(t.file), false);
  });

  it('a clean close keeps exactly what is still pending', async () => {
    const t = await journalIn({ flushMs: 60_000 });
    await t.j.open();
    t.eng.pending.set('a', { remoteIndex: 0, rel: 'a', kind: 'file' });
    t.j.marked(0, 'a', 'file');
    t.j.marked(0, 'gone-meanwhile', 'file');
    await t.j.close();
    assert.deepEqual(onDisk(t.file).live, [{ remoteIndex: 0, rel: 'a', kind: 'file' }]);
  });

  it('a reconciliation owed (R) survives truncation, compaction and a clean close, and is read back at the next open', async () => {
    const t = await journalIn({ flushMs: 5, compactBytes: 2000 });
    await t.j.open();
    t.j.setReconcileOwed(true);
    t.j.marked(0, 'a', 'file');
    t.j.delivered(0, [{ rel: 'a', kind: 'file' }], () => false);
    await t.j.flush();
    assert.equal(t.j.stats.truncations, 0, 'not truncated while a reconciliation is owed');
    assert.equal(onDisk(t.file).reconcileOwed, true);
    await t.j.compact();
    assert.deepEqual(onDisk(t.file), { ...onDisk(t.file), live: [], reconcileOwed: true });
    await t.j.close();
    assert.ok(fs.existsSync(t.file), 'a clean close keeps the file');

    const next = new Journal({ file: t.file, root: t.dir, log: captureLog(), live: t.eng.live, idle: t.eng.idle, flushMs: 5 });
    await next.open();
    assert.equal(next.reconcileOwedAtOpen, true);
    assert.equal(onDisk(t.file).reconcileOwed, true, 'still owed until paid');
    next.setReconcileOwed(false);
    await next.flush();
    assert.equal(onDisk(t.file).reconcileOwed, false, 'C: paid');
    await next.close();
    assert.equal(fs.existsSync(t.file), false, 'nothing pending, nothing owed: no file');
  });

  it('R and C records: the last one wins; a torn one is ignored', () => {
    assert.equal(parseJournal('R 0:\n').reconcileOwed, true);
    assert.equal(parseJournal('R 0:\nC 0:\n').reconcileOwed, false);
    assert.equal(parseJournal('C 0:\nR 0:\n' + markRecord(0, 'a', 'file')).reconcileOwed, true);
    const torn = parseJournal('C 0:\nR 0');
    assert.equal(torn.reconcileOwed, false);
    assert.equal(torn.tornBytes, 3);
  });
});
