import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Metrics, parseListenAddress, startMetricsServer } from '../../src/ops/metrics.js';
import type { StatusDocument, RemoteStatus } from '../../src/ops/statusDoc.js';

function remote(over: Partial<RemoteStatus>): RemoteStatus {
  return {
    remote: '127.0.0.1::www',
    pending: 0,
    inFlight: 0,
    oldestPendingMs: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastError: null,
    failures: 0,
    retries: 0,
    pushes: 0,
    files: 0,
    down: false,
    nextAttemptAt: null,
    lagSeconds: 0,
    failLogEntries: 0,
    ...over,
  };
}

function doc(events: number, remotes: RemoteStatus[]): StatusDocument {
  return {
    version: 1,
    program: 'sersync-ts',
    pid: 1,
    startedAt: 0,
    now: 0,
    uptimeSeconds: 0,
    mode: 'sync',
    config: '/c.xml',
    root: '/w',
    watching: true,
    watches: { inUse: 12, limit: 8192 },
    events,
    failLog: { path: '/f', entries: 0 },
    remotes,
  };
}

/** The value of one sample line, e.g. sample(text, 'sersync_files_total{remote="a"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ops: --metrics address', () => {
  it('accepts host:port, [v6]:port, :port (all interfaces) and a bare port (loopback)', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9108'), { host: '127.0.0.1', port: 9108 });
    assert.deepEqual(parseListenAddress('0.0.0.0:9108'), { host: '0.0.0.0', port: 9108 });
    assert.deepEqual(parseListenAddress('[::1]:9108'), { host: '::1', port: 9108 });
    assert.deepEqual(parseListenAddress(':9108'), { host: '0.0.0.0', port: 9108 });
    assert.deepEqual(parseListenAddress('9108'), { host: '127.0.0.1', port: 9108 });
    assert.deepEqual(parseListenAddress('localhost:9108'), { host: 'localhost', port: 9108 });
  });
  it('rejects the rest with a message that shows the expected form', () => {
    for (const bad of ['', 'localhost', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:70000', '::1:9108', 'a b:1', '1.2.3.4:9x']) {
      const r = parseListenAddress(bad);
      assert.ok('error' in r, `${JSON.stringify(bad)} should be refused`);
      assert.match(r.error, /--metrics/);
    }
  });
});

describe('ops: metrics from the status document', () => {
  it('exports the counters and gauges with the sersync_ prefix, advancing counters by the difference', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.update(doc(5, [remote({ pushes: 3, failures: 1, files: 4, retries: 1, pending: 2, oldestPendingMs: 1500, lastSuccessAt: 2000 })]));
    let t = await m.text();
    const r = 'remote="127.0.0.1::www"';
    assert.equal(sample(t, 'sersync_events_total'), 5);
    assert.equal(sample(t, `sersync_pushes_total{${r},result="ok"}`), 2);
    assert.equal(sample(t, `sersync_pushes_total{${r},result="failed"}`), 1);
    assert.equal(sample(t, `sersync_files_total{${r}}`), 4);
    assert.equal(sample(t, `sersync_failures_total{${r}}`), 1);
    assert.equal(sample(t, `sersync_retries_total{${r}}`), 1);
    assert.equal(sample(t, `sersync_pending_paths{${r}}`), 2);
    assert.equal(sample(t, `sersync_replication_lag_seconds{${r}}`), 1.5);
    assert.equal(sample(t, `sersync_last_success_timestamp_seconds{${r}}`), 2);
    assert.equal(sample(t, `sersync_remote_up{${r}}`), 1);
    assert.equal(sample(t, 'sersync_watches'), 12);
    assert.equal(sample(t, 'sersync_watches_limit'), 8192);

    m.update(doc(9, [remote({ pushes: 10, failures: 1, files: 11, down: true, pending: 0 })]));
    t = await m.text();
    assert.equal(sample(t, 'sersync_events_total'), 9);
    assert.equal(sample(t, `sersync_pushes_total{${r},result="ok"}`), 9);
    assert.equal(sample(t, `sersync_files_total{${r}}`), 11);
    assert.equal(sample(t, `sersync_replication_lag_seconds{${r}}`), 0);
    assert.equal(sample(t, `sersync_remote_up{${r}}`), 0);
  });

  it('records full-sync durations in a histogram per remote', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.observeFullSync('127.0.0.1::www', 3);
    const t = await m.text();
    assert.equal(sample(t, 'sersync_full_sync_duration_seconds_count{remote="127.0.0.1::www"}'), 1);
    assert.equal(sample(t, 'sersync_full_sync_duration_seconds_bucket{le="5",remote="127.0.0.1::www"}'), 1);
    assert.equal(sample(t, 'sersync_full_sync_duration_seconds_bucket{le="1",remote="127.0.0.1::www"}'), 0);
  });

  it('serves /metrics over HTTP on 127.0.0.1, refreshed at each scrape', async () => {
    const m = new Metrics();
    let events = 0;
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, m, () => doc(++events, [remote({})]));
    try {
      const port = server.address.port;
      assert.ok(port > 0);
      const a = await get(port, '/metrics');
      assert.equal(a.status, 200);
      assert.match(a.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(sample(a.body, 'sersync_events_total'), 1);
      assert.ok(sample(a.body, 'sersync_process_resident_memory_bytes')! > 0, 'default process metrics are there too');
      const b = await get(port, '/metrics');
      assert.equal(sample(b.body, 'sersync_events_total'), 2);
      assert.equal((await get(port, '/nope')).status, 404);
    } finally {
      await server.close();
    }
  });
});

function get(port: number, urlPath: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
      })
      .on('error', reject);
  });
}
