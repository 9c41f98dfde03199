import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummary, parseProgress2, parseStats, Progress2Reader, renderProgressLine } from '../../src/fullsync/progress.js';

// Captured from rsync 3.5.0 (`rsync -a --info=progress2 --stats big/ dst/`), '\r' kept.
const CAPTURED =
  '\r              0   0%    0.00kB/s    0:00:00  \r              2   0%    0.00kB/s    0:00:00 (xfr#1, to-chk=2999/3001)' +
  '\r          5   0%    2.93kB/s    0:00:00 (xfr#2, to-chk=2998/3001)' +
  '\r         13,893 100%  215.32kB/s    0:00:00 (xfr#3000, to-chk=0/3001)' +
  '\r         13,893 100%   63.39kB/s    0:00:00 (xfr#3000, to-chk=0/3001)\n' +
  '\nNumber of files: 3,001 (reg: 3,000, dir: 1)\nNumber of created files: 3,001 (reg: 3,000, dir: 1)\n' +
  'Number of deleted files: 7\nNumber of regular files transferred: 3,000\nTotal file size: 13,893 bytes\n' +
  'Total transferred file size: 13,893 bytes\nLiteral data: 13,893 bytes\nMatched data: 0 bytes\nFile list size: 0\n' +
  'File list generation time: 0.005 seconds\nFile list transfer time: 0.000 seconds\nTotal bytes sent: 194,477\n' +
  'Total bytes received: 57,019\n\nsent 194,477 bytes  received 57,019 bytes  502,992.00 bytes/sec\ntotal size is 13,893  speedup is 0.06\n';

describe('fullsync progress: rsync --info=progress2 lines', () => {
  it('parses bytes (digit grouping removed), percent, rate, time and file counts', () => {
    assert.deepEqual(parseProgress2('     1,234,567  45%   12.34MB/s    0:01:10 (xfr#12, to-chk=100/2000)'), {
      bytes: 1234567,
      percent: 45,
      rate: '12.34MB/s',
      time: '0:01:10',
      transferred: 12,
      toCheck: 100,
      total: 2000,
      scanning: false,
    });
  });
  it('knows the incremental-recursion form (ir-chk: total still growing) and the bare first line', () => {
    assert.equal(parseProgress2('  5   0%    2.93kB/s    0:00:00 (xfr#2, ir-chk=1000/1100)')!.scanning, true);
    const first = parseProgress2('              0   0%    0.00kB/s    0:00:00  ')!;
    assert.equal(first.total, null);
    assert.equal(parseProgress2('Number of files: 3'), null);
  });
  it('reads a captured stream chunk by chunk, split anywhere', () => {
    for (const size of [1, 7, 64, CAPTURED.length]) {
      const seen: number[] = [];
      const r = new Progress2Reader((p) => seen.push(p.percent));
      for (let i = 0; i < CAPTURED.length; i += size) r.push(Buffer.from(CAPTURED.slice(i, i + size), 'latin1'));
      r.end();
      assert.deepEqual(seen, [0, 0, 0, 100, 100], `chunk size ${size}`);
      assert.equal(r.latest!.transferred, 3000);
      assert.equal(parseStats(r.otherLines.join('\n'))!.files, 3001);
    }
  });
  it('still finds the stats after thousands of file-name lines (-v in commonParams)', () => {
    const r = new Progress2Reader();
    r.push(Array.from({ length: 5000 }, (_v, i) => `d/f${i}.txt\n`).join(''));
    r.push(CAPTURED);
    r.end();
    assert.equal(parseStats(r.otherLines.join('\n'))!.deleted, 7);
  });
  it('renders a terminal line with percent, bytes, rate, ETA and files checked', () => {
    const p = parseProgress2('     1,234,567  45%   12.34MB/s    0:01:10 (xfr#12, to-chk=100/2000)');
    assert.equal(renderProgressLine('127.0.0.1::www', p, 'sending'), 'full sync to 127.0.0.1::www:  45% 1.2 MiB 12.34MB/s ETA 0:01:10, 1900/2000 files, 12 sent');
    assert.equal(renderProgressLine('h::m', null, 'listing files'), 'full sync to h::m: listing files');
  });
});

describe('fullsync progress: --stats and the summary line', () => {
  it('parses the stats block', () => {
    assert.deepEqual(parseStats(CAPTURED), {
      files: 3001,
      regularTransferred: 3000,
      created: 3001,
      deleted: 7,
      totalSize: 13893,
      transferredSize: 13893,
      bytesSent: 194477,
      bytesReceived: 57019,
    });
    assert.equal(parseStats('nothing here'), null);
  });
  it('formats one line per remote: files, bytes, seconds, then the details', () => {
    const stats = parseStats(CAPTURED);
    assert.equal(
      formatSummary({ label: '127.0.0.1::www', reason: '-r', ok: true, durationMs: 3210, stats, deleted: 7 }),
      'full sync to 127.0.0.1::www: 3001 files, 13893 bytes, 3.2 s (-r; 3000 transferred, 7 deleted)',
    );
    assert.equal(
      formatSummary({ label: 'h::m', reason: 'crontab', ok: false, durationMs: 100, stats: null, deleted: 0, error: 'rsync exit 5: @ERROR: auth failed on module m' }),
      'full sync to h::m failed after 0.1 s: rsync exit 5: @ERROR: auth failed on module m (crontab)',
    );
  });
});
